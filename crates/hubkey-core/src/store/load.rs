//! Reading a connection's tokens: one keychain read per token, retried while a concurrent save moves the
//! generation under the reader.

use super::*;

impl TokenStore {
    /// The tokens of the connection of `app` to `hub_id` ([`Error::NotSignedIn`] when there is
    /// no such connection or the keychain has no tokens for it). Two keychain reads: callers that
    /// need one token use [`TokenStore::load_access_token`] or [`TokenStore::load_refresh_token`].
    pub async fn load_tokens(&self, key: &ConnectionKey) -> Result<TokenSet> {
        let (app, hub_id) = (key.app.as_str(), key.hub_id);
        // A concurrent save may switch generations (and delete the old entries) between reading
        // the index and reading the keychain: re-read and retry when a generation moved.
        let mut last = None;
        for _ in 0..4 {
            let conn = self
                .connection(key)
                .await?
                .ok_or_else(|| not_signed_in(app, hub_id))?;
            let generations = conn.generations();
            if last == Some(generations) {
                break;
            }
            last = Some(generations);
            let rk = SecretKey::refresh_token(app, hub_id, generations.1);
            let ak = SecretKey::access_token(app, hub_id, generations.0);
            let (refresh, access) = self.keychain(move |s| Ok((s.get(&rk)?, s.get(&ak)?))).await?;
            if let (Some(refresh_token), Some(access_token)) = (refresh, access) {
                return Ok(TokenSet {
                    access_token: AccessToken::from(access_token),
                    refresh_token: RefreshToken::from(refresh_token),
                    expires_at: conn.expires_at,
                    scopes: conn.scopes.clone(),
                    hub_id: Some(conn.hub_id),
                    user_id: conn.user_id,
                });
            }
        }
        Err(no_tokens(app, hub_id))
    }

    /// The current access token of the connection of `app` to `hub_id`, with the connection as
    /// indexed when it was read (one keychain read). [`Error::NotSignedIn`] as for
    /// [`TokenStore::load_tokens`].
    pub async fn load_access_token(&self, key: &ConnectionKey) -> Result<(Connection, AccessToken)> {
        let (conn, token) = self.load_token(key, TokenKind::Access, None).await?;
        Ok((conn, AccessToken::from(token)))
    }

    /// The current refresh token of the connection of `app` to `hub_id`, with the connection as
    /// indexed when it was read (its [`Connection::refresh_token_generation`] names the entry the
    /// token came from). One keychain read.
    pub async fn load_refresh_token(&self, key: &ConnectionKey) -> Result<(Connection, RefreshToken)> {
        let (conn, token) = self.load_token(key, TokenKind::Refresh, None).await?;
        Ok((conn, RefreshToken::from(token)))
    }

    /// [`TokenStore::load_access_token`] for a connection just read from the index: tries its
    /// generation first, and re-reads the index only when the entry is gone.
    pub async fn access_token_of(&self, conn: Connection) -> Result<(Connection, AccessToken)> {
        let key = conn.key();
        let (conn, token) = self.load_token(&key, TokenKind::Access, Some(conn)).await?;
        Ok((conn, AccessToken::from(token)))
    }

    /// [`TokenStore::load_refresh_token`] for a connection just read from the index.
    pub async fn refresh_token_of(&self, conn: Connection) -> Result<(Connection, RefreshToken)> {
        let key = conn.key();
        let (conn, token) = self.load_token(&key, TokenKind::Refresh, Some(conn)).await?;
        Ok((conn, RefreshToken::from(token)))
    }

    pub(super) async fn load_token(
        &self,
        key: &ConnectionKey,
        kind: TokenKind,
        mut known: Option<Connection>,
    ) -> Result<(Connection, Secret)> {
        let (app, hub_id) = (key.app.as_str(), key.hub_id);
        // As in `load_tokens`: retry while the generation moves under us.
        let mut last = None;
        for _ in 0..4 {
            let conn = match known.take() {
                Some(conn) => conn,
                None => self
                    .connection(key)
                    .await?
                    .ok_or_else(|| not_signed_in(app, hub_id))?,
            };
            let generation = match kind {
                TokenKind::Access => conn.access_token_generation(),
                TokenKind::Refresh => conn.refresh_token_generation(),
            };
            if last == Some(generation) {
                break;
            }
            last = Some(generation);
            let entry = match kind {
                TokenKind::Access => SecretKey::access_token(app, hub_id, generation),
                TokenKind::Refresh => SecretKey::refresh_token(app, hub_id, generation),
            };
            if let Some(token) = self.keychain(move |s| s.get(&entry)).await? {
                return Ok((conn, token));
            }
        }
        Err(no_tokens(app, hub_id))
    }
}
