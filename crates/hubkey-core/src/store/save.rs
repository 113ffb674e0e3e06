//! Saving a connection's tokens: a login or a rotated refresh token goes to a new generation beside the old
//! one, then an index switch under the lock, then the old entries are removed; a refresh that kept its refresh
//! token rewrites only the access token, in its own entry (see [`TokenStore::save_tokens`] and the module docs
//! of [`super`]).

use super::*;

impl TokenStore {
    /// Stores a connection with a new token set (a login): both tokens are written. See
    /// [`TokenStore::save_tokens`].
    pub async fn save_connection(&self, conn: Connection, tokens: &TokenSet) -> Result<Connection> {
        self.save_tokens(conn, tokens, RefreshTokenSource::New).await
    }

    /// Stores a connection with a new token set, all-or-nothing:
    ///
    /// 1. a fresh token generation `g` is reserved in the index (generations are never reused);
    /// 2. the refresh token (unless `refresh` is [`RefreshTokenSource::Kept`]), then the access
    ///    token, are written under generation `g`;
    /// 3. under [`IndexLock`], the index is re-read and the connection is switched to `g` (and,
    ///    for a kept refresh token, to the generation that holds it);
    /// 4. the entries it replaced are deleted (best effort); an entry the connection still points
    ///    at (a kept refresh token) is never among them.
    ///
    /// If, at the switch, the connection no longer points at a kept entry (a concurrent login or
    /// sign-out replaced it, and may have deleted it), the refresh token is written under `g` after
    /// all and the switch is made again, so the connection never points at a missing entry.
    ///
    /// **A kept refresh token** (a refresh HubSpot answered with the refresh token it was sent,
    /// its default) is cheaper: the new access token is written over the old one in the entry the
    /// connection already points at, and the index is updated once; no generation is reserved and
    /// nothing is deleted. One keychain write instead of a write and a delete, and one index write
    /// instead of two: gnome-keyring rewrites its whole file on each (docs/BENCHMARKS.md, finding 16).
    /// The connection never points at a missing entry (the entry exists before and after, T8). If the
    /// process stops between the write and the index update, or the update fails, the entry holds
    /// a token the index does not describe: its hint differs from the index's
    /// ([`Connection::describes`]), and the refresher treats such a token as due rather than trust
    /// the index's expiry for it. If the connection moved meanwhile (a concurrent login or
    /// sign-out), the entry written is no longer the connection's: it is deleted and the save
    /// takes the generation path above. Callers hold the connection's [`super::RefreshLock`]
    /// (the refresher does), so two in-place writes of one connection do not interleave.
    ///
    /// If any keychain write or the switch fails, the previous generation is untouched and still
    /// loadable, and the entries written under `g` are removed (best effort; skipped after a
    /// timeout). Only entries of `g` are ever removed on failure. The same path persists refreshed
    /// tokens, so a rotated refresh token is stored before the new access token is handed out.
    ///
    /// `conn.expires_at` and `conn.access_token_hint` are taken from `tokens`, and the generations
    /// are set here. The app must exist. Returns the connection as stored.
    pub async fn save_tokens(
        &self,
        mut conn: Connection,
        tokens: &TokenSet,
        refresh: RefreshTokenSource,
    ) -> Result<Connection> {
        let (app, hub_id) = (conn.app.clone(), conn.hub_id);
        let rk = |generation| SecretKey::refresh_token(&app, hub_id, generation);
        let ak = |generation| SecretKey::access_token(&app, hub_id, generation);
        // Refuse oversize values before anything is written.
        check_secret_size(&rk(0), tokens.refresh_token.as_secret())?;
        check_secret_size(&ak(0), tokens.access_token.as_secret())?;
        if tokens.refresh_token.is_empty() || tokens.access_token.is_empty() {
            return Err(Error::UnexpectedResponse(
                "HubSpot returned an empty token".into(),
            ));
        }

        if let RefreshTokenSource::Kept { generation } = refresh {
            if let Some(saved) = self.save_access_in_place(&conn, tokens, generation).await? {
                return Ok(saved);
            }
        }

        let app_name = app.clone();
        let generation = self
            .modify_index(move |ix| {
                if ix.app(&app_name).is_none() {
                    return Err(no_app(&app_name));
                }
                let highest = ix
                    .connections
                    .iter()
                    .map(|c| c.access_token_generation().max(c.refresh_token_generation()))
                    .max()
                    .unwrap_or(0);
                ix.last_generation = ix.last_generation.max(highest) + 1;
                Ok(ix.last_generation)
            })
            .await?;

        let mut kept = match refresh {
            RefreshTokenSource::New => None,
            RefreshTokenSource::Kept { generation } => Some(generation),
        };
        if kept.is_none() {
            self.write_refresh_token(&app, hub_id, generation, tokens).await?;
        }
        self.write_or_discard(
            &app,
            hub_id,
            generation,
            ak(generation),
            tokens.access_token.as_secret(),
            kept.is_none(),
        )
        .await?;

        conn.expires_at = tokens.expires_at;
        conn.access_token_hint = Some(tokens.access_token.hint());
        loop {
            conn.set_generations(generation, kept.unwrap_or(generation));
            let stored = conn.clone();
            let swapped = self
                .modify_index(move |ix| {
                    if ix.app(&stored.app).is_none() {
                        return Err(no_app(&stored.app));
                    }
                    let replaced = ix
                        .connection(&stored.app, stored.hub_id)
                        .map(Connection::generations);
                    if let Some(keep) = kept {
                        if replaced.map(|(_, r)| r) != Some(keep) {
                            return Ok(Swap::KeptEntryGone);
                        }
                    }
                    ix.upsert_connection(stored);
                    Ok(Swap::Done(replaced))
                })
                .await;
            match swapped {
                Err(e) => {
                    self.discard_generation(&app, hub_id, generation, kept.is_none(), &e)
                        .await;
                    return Err(e);
                }
                Ok(Swap::KeptEntryGone) => {
                    tracing::debug!(
                        app,
                        hub_id,
                        generation,
                        "the kept refresh token was replaced meanwhile; storing it with the new generation"
                    );
                    kept = None;
                    self.write_refresh_token(&app, hub_id, generation, tokens).await?;
                }
                Ok(Swap::Done(replaced)) => {
                    if let Some((old_access, old_refresh)) = replaced {
                        let mut stale = Vec::new();
                        if old_access != conn.access_token_generation() {
                            stale.push(ak(old_access));
                        }
                        if old_refresh != conn.refresh_token_generation() {
                            stale.push(rk(old_refresh));
                        }
                        self.delete_entries(&app, hub_id, stale).await;
                    }
                    return Ok(conn);
                }
            }
        }
    }

    /// The kept-refresh-token save of [`TokenStore::save_tokens`]: the access token written over the
    /// one in the entry `conn` points at, then the index updated if the connection still points at
    /// the same entries. `Ok(None)`: it does not (or `conn` does not point at the kept entry), the
    /// entry written was deleted again, and the caller saves by a new generation instead.
    async fn save_access_in_place(
        &self,
        conn: &Connection,
        tokens: &TokenSet,
        kept: u64,
    ) -> Result<Option<Connection>> {
        let (app, hub_id) = (conn.app.clone(), conn.hub_id);
        let generations = conn.generations();
        if generations.1 != kept {
            return Ok(None);
        }
        let entry = SecretKey::access_token(&app, hub_id, generations.0);
        let (key, value) = (entry.clone(), tokens.access_token.as_secret().clone());
        // On failure the entry holds the old token or (after a timeout, later) the new one: both
        // are valid at HubSpot, the index still describes the old one, and nothing was deleted.
        self.keychain(move |s| s.set(&key, &value)).await?;

        let mut stored = conn.clone();
        stored.expires_at = tokens.expires_at;
        stored.access_token_hint = Some(tokens.access_token.hint());
        let update = stored.clone();
        let updated = self
            .modify_index(move |ix| {
                if ix.app(&update.app).is_none() {
                    return Err(no_app(&update.app));
                }
                let current = ix
                    .connection(&update.app, update.hub_id)
                    .map(Connection::generations);
                if current != Some(generations) {
                    return Ok(false);
                }
                ix.upsert_connection(update);
                Ok(true)
            })
            .await?;
        if updated {
            return Ok(Some(stored));
        }
        tracing::debug!(
            app,
            hub_id,
            "the connection moved while its access token was rewritten; saving a new generation"
        );
        // Generations are never reused: nothing else will point at this entry again.
        self.delete_entries(&app, hub_id, vec![entry]).await;
        Ok(None)
    }

    /// Writes the refresh token of the generation being saved (on failure, that generation's entries go).
    pub(super) async fn write_refresh_token(
        &self,
        app: &str,
        hub_id: u64,
        generation: u64,
        tokens: &TokenSet,
    ) -> Result<()> {
        let key = SecretKey::refresh_token(app, hub_id, generation);
        self.write_or_discard(
            app,
            hub_id,
            generation,
            key,
            tokens.refresh_token.as_secret(),
            true,
        )
        .await
    }

    /// Writes one entry of the generation being saved; on failure removes what that generation
    /// wrote so far (`with_refresh`: its refresh token too) and returns the error.
    pub(super) async fn write_or_discard(
        &self,
        app: &str,
        hub_id: u64,
        generation: u64,
        key: SecretKey,
        value: &Secret,
        with_refresh: bool,
    ) -> Result<()> {
        let value = value.clone();
        let result = self.keychain(move |s| s.set(&key, &value)).await;
        if let Err(e) = &result {
            self.discard_generation(app, hub_id, generation, with_refresh, e)
                .await;
        }
        result
    }

    /// Removes the entries of a generation that never became current: its access token, and its
    /// refresh token when `with_refresh` (never an entry of another generation, so a kept refresh
    /// token survives every failure).
    pub(super) async fn discard_generation(
        &self,
        app: &str,
        hub_id: u64,
        generation: u64,
        with_refresh: bool,
        cause: &Error,
    ) {
        if matches!(cause, Error::KeychainTimeout(_)) {
            // The keychain is not answering; more calls would only wait again. The entries, if
            // any were written, belong to a generation the index never points at.
            tracing::warn!(
                app,
                hub_id,
                generation,
                "keychain timed out; unused token entries may remain"
            );
            return;
        }
        let mut keys = vec![SecretKey::access_token(app, hub_id, generation)];
        if with_refresh {
            keys.push(SecretKey::refresh_token(app, hub_id, generation));
        }
        self.delete_entries(app, hub_id, keys).await;
    }

    /// Deletes token entries no connection points at any more, best effort, in one keychain job.
    pub(super) async fn delete_entries(&self, app: &str, hub_id: u64, keys: Vec<SecretKey>) {
        if keys.is_empty() {
            return;
        }
        let result = self
            .keychain(move |s| {
                // Every entry is tried, even after one fails; the first failure is reported.
                let mut result = Ok(());
                for key in &keys {
                    result = result.and(s.delete(key));
                }
                result
            })
            .await;
        if let Err(e) = result {
            tracing::warn!(
                app,
                hub_id,
                code = e.code().as_str(),
                "could not delete old token entries: {e}"
            );
        }
    }
}

/// The outcome of the index switch in [`TokenStore::save_tokens`].
pub(super) enum Swap {
    /// Switched; the generations (access, refresh) the connection pointed at before, if it existed.
    Done(Option<(u64, u64)>),
    /// Nothing changed: the connection no longer points at the kept refresh token's entry.
    KeptEntryGone,
}
