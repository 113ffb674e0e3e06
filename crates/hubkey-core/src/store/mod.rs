//! Where Hubkey keeps what it knows: secrets in the OS keychain, everything else in a JSON index.
//!
//! - [`secrets`]: the blocking [`SecretStore`] interface (one keychain entry per secret, named by
//!   [`SecretKey`]), the size guard for Windows' 2560-byte credential cap, and [`MemoryStore`], a
//!   test double with fault injection. The real keychain lives in the `hubkey-keychain` crate, so
//!   this crate has no keyring dependency.
//! - [`index`]: `index.json` (apps without secrets, [`Connection`]s), written atomically and
//!   locked across processes ([`IndexLock`]); per-connection [`RefreshLock`]s for the refresher.
//! - [`TokenStore`]: the async API the rest of Hubkey uses. It combines both halves so that a
//!   token update is all-or-nothing (see [`TokenStore::save_tokens`]), costs as few keychain calls
//!   as possible (each one takes milliseconds, and gnome-keyring rewrites its whole file on every
//!   write or delete: an unchanged refresh token is kept, not rewritten; each token can be read on
//!   its own; the index keeps a 4-character hint of the access token for listings), and it runs every
//!   keychain call on a worker thread under a timeout, so a hung Secret Service (a locked
//!   collection waiting on a prompt nobody sees) yields [`Error::KeychainTimeout`] instead of
//!   freezing the app (threat-model.md T5/T6).
//!
//! There is no plaintext fallback: when the keychain fails, the operation fails.

pub mod index;
pub mod secrets;

pub use index::{Connection, ConnectionState, Index, IndexLock, RefreshLock, INDEX_VERSION};
pub use secrets::{
    check_secret_size, keychain_encoded_len, Fault, KeychainOp, MemoryStore, SecretKey, SecretStore,
    MAX_KEYCHAIN_SECRET_BYTES,
};

use crate::app::AppConfig;
use crate::error::{Error, Result};
use crate::ids::ConnectionKey;
use crate::secret::{AccessToken, ClientSecret, RefreshToken, Secret};
use crate::token::TokenSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The secrets (keychain) and the non-secret index, behind one async API.
///
/// Cheap to clone (an `Arc` and a path). All methods are safe to call from any Tokio runtime
/// flavour, including from inside Tauri commands.
#[derive(Debug, Clone)]
pub struct TokenStore {
    secrets: Arc<dyn SecretStore>,
    home: PathBuf,
    timeout: Duration,
}

impl TokenStore {
    /// How long one keychain call may take before it is reported as [`Error::KeychainTimeout`].
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

    /// A store over `secrets` with its index in `home` (created on first write, `0700`).
    pub fn new(secrets: Arc<dyn SecretStore>, home: impl Into<PathBuf>) -> Self {
        Self {
            secrets,
            home: home.into(),
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// A store over `secrets` with its index in [`crate::config::home_dir`].
    pub fn open_default(secrets: Arc<dyn SecretStore>) -> Result<Self> {
        Ok(Self::new(secrets, crate::config::home_dir()?))
    }

    /// Sets the keychain timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The keychain timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The folder holding `index.json` and the lock files.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The path of `index.json`.
    pub fn index_path(&self) -> PathBuf {
        Index::path_in(&self.home)
    }

    /// The underlying keychain.
    pub fn secrets(&self) -> &Arc<dyn SecretStore> {
        &self.secrets
    }

    // ----- plumbing -------------------------------------------------------------------------

    /// Runs one blocking keychain job on its own thread and waits at most `self.timeout`.
    ///
    /// A plain thread rather than `spawn_blocking`: a Tokio runtime waits for its blocking tasks
    /// when it shuts down, so a keychain call that never returns would hang the process at exit
    /// (openai/codex#41031). A stuck thread here is simply abandoned.
    pub async fn keychain<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn SecretStore) -> Result<T> + Send + 'static,
    {
        let store = Arc::clone(&self.secrets);
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("hubkey-keychain".into())
            .spawn(move || {
                let _ = tx.send(job(store.as_ref()));
            })
            .map_err(|e| Error::Io(format!("cannot start a keychain worker thread: {e}")))?;
        match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(Error::KeychainUnavailable(
                "the keychain call failed unexpectedly".into(),
            )),
            Err(_) => Err(Error::KeychainTimeout(self.timeout)),
        }
    }

    async fn index_job<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Path) -> Result<T> + Send + 'static,
    {
        let home = self.home.clone();
        tokio::task::spawn_blocking(move || {
            // Every read and write of the index and the locks starts here: a home another user could
            // write is refused before anything in it is believed (docs/SECURITY.md, finding 3).
            if std::fs::symlink_metadata(&home).is_ok() {
                crate::files::check_trusted_dir(&home, "the Hubkey home folder")?;
            }
            job(&home)
        })
        .await
        .map_err(|e| Error::Io(format!("the index task failed: {e}")))?
    }

    /// Read-modify-write of the index under [`IndexLock`]. Nothing is written when `f` fails
    /// or when the index cannot be read.
    pub async fn modify_index<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Index) -> Result<T> + Send + 'static,
    {
        self.index_job(move |home| {
            let _lock = IndexLock::acquire(home)?;
            let mut index = Index::load(home)?;
            let out = f(&mut index)?;
            index.save(home)?;
            Ok(out)
        })
        .await
    }

    /// The current index (a missing file is an empty index).
    pub async fn index(&self) -> Result<Index> {
        self.index_job(Index::load).await
    }

    // ----- apps -----------------------------------------------------------------------------

    /// Registers or updates an app: the client secret goes to the keychain, the rest to the
    /// index. If the keychain write fails, nothing changes.
    pub async fn save_app(&self, app: &AppConfig, client_secret: &ClientSecret) -> Result<()> {
        if app.name.trim().is_empty() {
            return Err(Error::Config("an app needs a name".into()));
        }
        if client_secret.is_empty() {
            return Err(Error::Config("the client secret is empty".into()));
        }
        let key = SecretKey::ClientSecret {
            app: app.name.clone(),
        };
        check_secret_size(&key, client_secret.as_secret())?;
        // Fail on an unreadable index before touching the keychain.
        self.index().await?;
        let value = client_secret.as_secret().clone();
        self.keychain(move |s| s.set(&key, &value)).await?;
        let app = app.clone();
        self.modify_index(move |ix| {
            ix.upsert_app(app);
            Ok(())
        })
        .await
    }

    /// The client secret of `app` ([`Error::NotFound`] for an unknown app, [`Error::Config`] when
    /// the keychain has no secret for it).
    pub async fn client_secret(&self, app: &str) -> Result<ClientSecret> {
        if self.index().await?.app(app).is_none() {
            return Err(no_app(app));
        }
        let key = SecretKey::ClientSecret { app: app.to_string() };
        let secret = self.keychain(move |s| s.get(&key)).await?.ok_or_else(|| {
            Error::Config(format!(
                "the keychain holds no client secret for the app {app}; add the app again"
            ))
        })?;
        Ok(ClientSecret::from(secret))
    }

    /// Removes an app and its client secret. Refused while the app still has connections
    /// (log out of them first, so their refresh tokens get revoked).
    pub async fn remove_app(&self, name: &str) -> Result<()> {
        let index = self.index().await?;
        if index.app(name).is_none() {
            return Err(no_app(name));
        }
        let portals: Vec<String> = index
            .connections
            .iter()
            .filter(|c| c.app == name)
            .map(|c| c.hub_id.to_string())
            .collect();
        if !portals.is_empty() {
            return Err(Error::Config(format!(
                "the app {name} is still connected to portal(s) {}; log out of them first",
                portals.join(", ")
            )));
        }
        let key = SecretKey::ClientSecret {
            app: name.to_string(),
        };
        self.keychain(move |s| s.delete(&key)).await?;
        let name = name.to_string();
        self.modify_index(move |ix| {
            ix.apps.retain(|a| a.name != name);
            Ok(())
        })
        .await
    }

    /// The registered apps.
    pub async fn apps(&self) -> Result<Vec<AppConfig>> {
        Ok(self.index().await?.apps)
    }

    /// The app called `name` ([`Error::NotFound`] when there is none).
    pub async fn app(&self, name: &str) -> Result<AppConfig> {
        self.index().await?.app(name).cloned().ok_or_else(|| no_app(name))
    }

    // ----- connections ----------------------------------------------------------------------

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
    /// A kept refresh token costs one keychain write and one delete instead of two of each. If,
    /// at the switch, the connection no longer points at the kept entry (a concurrent login or
    /// sign-out replaced it, and may have deleted it), the refresh token is written under `g` after
    /// all and the switch is made again, so the connection never points at a missing entry.
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
            self.write_or_discard(
                &app,
                hub_id,
                generation,
                rk(generation),
                tokens.refresh_token.as_secret(),
                true,
            )
            .await?;
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
                        .map(|c| (c.access_token_generation(), c.refresh_token_generation()));
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
                    self.write_or_discard(
                        &app,
                        hub_id,
                        generation,
                        rk(generation),
                        tokens.refresh_token.as_secret(),
                        true,
                    )
                    .await?;
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

    /// Writes one entry of the generation being saved; on failure removes what that generation
    /// wrote so far (`with_refresh`: its refresh token too) and returns the error.
    async fn write_or_discard(
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
    async fn discard_generation(
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
    async fn delete_entries(&self, app: &str, hub_id: u64, keys: Vec<SecretKey>) {
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
            let generations = (conn.access_token_generation(), conn.refresh_token_generation());
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

    async fn load_token(
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

    /// All connections.
    pub async fn connections(&self) -> Result<Vec<Connection>> {
        Ok(self.index().await?.connections)
    }

    /// The connection of `app` to `hub_id`, if any.
    pub async fn connection(&self, key: &ConnectionKey) -> Result<Option<Connection>> {
        Ok(self.index().await?.connection(&key.app, key.hub_id).cloned())
    }

    /// Changes a connection's non-secret fields (state, reason, metadata) under [`IndexLock`].
    /// `app`, `hub_id`, the token generations and the access token hint cannot be changed here. Returns the updated
    /// connection ([`Error::NotFound`] when there is none).
    pub async fn update_connection<F>(&self, key: &ConnectionKey, f: F) -> Result<Connection>
    where
        F: FnOnce(&mut Connection) + Send + 'static,
    {
        let (app, hub_id) = (key.app.clone(), key.hub_id);
        self.modify_index(move |ix| {
            let conn = ix
                .connection_mut(&app, hub_id)
                .ok_or_else(|| no_connection(&app, hub_id))?;
            let (app, access, refresh) = (
                conn.app.clone(),
                conn.access_token_generation(),
                conn.refresh_token_generation(),
            );
            let hint = conn.access_token_hint.clone();
            f(conn);
            conn.app = app;
            conn.hub_id = hub_id;
            conn.set_generations(access, refresh);
            conn.access_token_hint = hint;
            Ok(conn.clone())
        })
        .await
    }

    /// Deletes a connection: its keychain entries first (the current access token and the current
    /// refresh token, which may be in different generations), then its index entry. If the
    /// keychain fails, the connection stays listed so the deletion can be retried.
    /// [`Error::NotFound`] when there is no such connection.
    pub async fn delete_connection(&self, key: &ConnectionKey) -> Result<()> {
        let (app, hub_id) = (key.app.as_str(), key.hub_id);
        let conn = self
            .connection(key)
            .await?
            .ok_or_else(|| no_connection(app, hub_id))?;
        let deleted = token_keys(&conn);
        let keys = deleted.clone();
        self.keychain(move |s| {
            for key in &keys {
                s.delete(key)?;
            }
            Ok(())
        })
        .await?;
        let name = app.to_string();
        let current = self
            .modify_index(move |ix| {
                let current = ix.connection(&name, hub_id).cloned();
                ix.connections.retain(|c| !c.is(&name, hub_id));
                Ok(current)
            })
            .await?;
        // A save that completed in between switched to newer entries: delete them too.
        if let Some(current) = current {
            let newer: Vec<SecretKey> = token_keys(&current)
                .into_iter()
                .filter(|k| !deleted.contains(k))
                .collect();
            self.delete_entries(app, hub_id, newer).await;
        }
        Ok(())
    }

    /// Takes the cross-process refresh lock of a connection, waiting (asynchronously, polling
    /// every 20 ms) while another task or process holds it. Hold it across refresh +
    /// [`TokenStore::save_connection`]; re-read the tokens after taking it. Cancel-safe: wrap it
    /// in `tokio::time::timeout` to bound the wait (no thread is left blocked on the lock).
    pub async fn refresh_lock(&self, key: &ConnectionKey) -> Result<RefreshLock> {
        let hub_id = key.hub_id;
        loop {
            let app = key.app.clone();
            if let Some(lock) = self
                .index_job(move |home| RefreshLock::try_acquire(home, &app, hub_id))
                .await?
            {
                return Ok(lock);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Writes, reads back and deletes a [`SecretKey::Probe`] entry under the timeout: proves
    /// the keychain works (for `hubkey doctor`). See [`secrets::self_test`].
    pub async fn self_test(&self) -> Result<()> {
        self.keychain(secrets::self_test).await
    }
}

/// Where the refresh token of a token update is (see [`TokenStore::save_tokens`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshTokenSource {
    /// Not in the keychain yet (a login, a rotated refresh token): written with the access token.
    New,
    /// Already stored under `generation` (HubSpot answered a refresh with the refresh token that
    /// was read from there): that entry is kept, only the access token is written.
    Kept {
        /// The generation the refresh token was read from
        /// ([`Connection::refresh_token_generation`] of the connection it was read with).
        generation: u64,
    },
}

/// The outcome of the index switch in [`TokenStore::save_tokens`].
enum Swap {
    /// Switched; the generations (access, refresh) the connection pointed at before, if it existed.
    Done(Option<(u64, u64)>),
    /// Nothing changed: the connection no longer points at the kept refresh token's entry.
    KeptEntryGone,
}

#[derive(Debug, Clone, Copy)]
enum TokenKind {
    Access,
    Refresh,
}

/// The keys of the entries a connection points at: its access token and its refresh token.
fn token_keys(conn: &Connection) -> Vec<SecretKey> {
    vec![
        SecretKey::access_token(&conn.app, conn.hub_id, conn.access_token_generation()),
        SecretKey::refresh_token(&conn.app, conn.hub_id, conn.refresh_token_generation()),
    ]
}

fn no_tokens(app: &str, hub_id: u64) -> Error {
    Error::NotSignedIn(format!(
        "the keychain holds no tokens for the app {app} on portal {hub_id}"
    ))
}

fn no_app(name: &str) -> Error {
    Error::NotFound(format!("no app named {name:?}"))
}

fn no_connection(app: &str, hub_id: u64) -> Error {
    Error::NotFound(format!("the app {app:?} is not connected to portal {hub_id}"))
}

fn not_signed_in(app: &str, hub_id: u64) -> Error {
    Error::NotSignedIn(format!("the app {app:?} is not connected to portal {hub_id}"))
}
