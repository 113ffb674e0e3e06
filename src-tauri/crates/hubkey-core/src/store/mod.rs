//! Where Hubkey keeps what it knows: secrets in the OS keychain, everything else in a JSON index.
//!
//! - [`secrets`]: the blocking [`SecretStore`] interface (one keychain entry per secret, named by
//!   [`SecretKey`]), the size guard for Windows' 2560-byte credential cap, and [`MemoryStore`], a
//!   test double with fault injection. The real keychain lives in the `hubkey-keychain` crate, so
//!   this crate has no keyring dependency.
//! - [`index`]: `index.json` (apps without secrets, [`Connection`]s), written atomically and
//!   locked across processes ([`IndexLock`]); per-connection [`RefreshLock`]s for the refresher.
//! - [`TokenStore`]: the async API the rest of Hubkey uses. It combines both halves so that a
//!   token update is all-or-nothing (see [`TokenStore::save_connection`]), and it runs every
//!   keychain call on a worker thread under a timeout, so a hung Secret Service (a locked
//!   collection waiting on a prompt nobody sees) yields [`Error::KeychainTimeout`] instead of
//!   freezing the app (security.md T5/T6).
//!
//! There is no plaintext fallback: when the keychain fails, the operation fails.

pub mod index;
pub mod secrets;

pub use index::{Connection, ConnectionState, Index, IndexLock, RefreshLock, INDEX_VERSION};
pub use secrets::{
    check_secret_size, keychain_encoded_len, Fault, MemoryStore, SecretKey, SecretStore,
    MAX_KEYCHAIN_SECRET_BYTES,
};

use crate::app::AppConfig;
use crate::error::{Error, Result};
use crate::secret::Secret;
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
        tokio::task::spawn_blocking(move || job(&home))
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
    pub async fn save_app(&self, app: &AppConfig, client_secret: &Secret) -> Result<()> {
        if app.name.trim().is_empty() {
            return Err(Error::Config("an app needs a name".into()));
        }
        if client_secret.is_empty() {
            return Err(Error::Config("the client secret is empty".into()));
        }
        let key = SecretKey::ClientSecret {
            app: app.name.clone(),
        };
        check_secret_size(&key, client_secret)?;
        // Fail on an unreadable index before touching the keychain.
        self.index().await?;
        let value = client_secret.clone();
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
    pub async fn client_secret(&self, app: &str) -> Result<Secret> {
        if self.index().await?.app(app).is_none() {
            return Err(no_app(app));
        }
        let key = SecretKey::ClientSecret { app: app.to_string() };
        self.keychain(move |s| s.get(&key)).await?.ok_or_else(|| {
            Error::Config(format!(
                "the keychain holds no client secret for the app {app}; add the app again"
            ))
        })
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

    /// Stores a connection with a new token set, all-or-nothing:
    ///
    /// 1. a fresh token generation `g` is reserved in the index (generations are never reused);
    /// 2. the refresh token, then the access token, are written under generation `g`;
    /// 3. under [`IndexLock`], the index is re-read and the connection is switched to `g`;
    /// 4. the entries of the generation it replaced are deleted (best effort).
    ///
    /// If any keychain write or the switch fails, the previous generation is untouched and still
    /// loadable, and the new entries are removed (best effort; skipped after a timeout). The same
    /// path persists refreshed tokens, so a rotated refresh token is stored before the new access
    /// token is handed out.
    ///
    /// `conn.expires_at` is taken from `tokens`, and `conn.token_generation` is set here. The app
    /// must exist. Returns the connection as stored.
    pub async fn save_connection(&self, mut conn: Connection, tokens: &TokenSet) -> Result<Connection> {
        let (app, hub_id) = (conn.app.clone(), conn.hub_id);
        let rk = |generation| SecretKey::token_pair(&app, hub_id, generation).0;
        let ak = |generation| SecretKey::token_pair(&app, hub_id, generation).1;
        // Refuse oversize values before anything is written.
        check_secret_size(&rk(0), &tokens.refresh_token)?;
        check_secret_size(&ak(0), &tokens.access_token)?;
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
                    .map(|c| c.token_generation)
                    .max()
                    .unwrap_or(0);
                ix.last_generation = ix.last_generation.max(highest) + 1;
                Ok(ix.last_generation)
            })
            .await?;

        let (key, value) = (rk(generation), tokens.refresh_token.clone());
        if let Err(e) = self.keychain(move |s| s.set(&key, &value)).await {
            self.discard_generation(&app, hub_id, generation, &e).await;
            return Err(e);
        }
        let (key, value) = (ak(generation), tokens.access_token.clone());
        if let Err(e) = self.keychain(move |s| s.set(&key, &value)).await {
            self.discard_generation(&app, hub_id, generation, &e).await;
            return Err(e);
        }

        conn.token_generation = generation;
        conn.expires_at = tokens.expires_at;
        let stored = conn.clone();
        let swapped = self
            .modify_index(move |ix| {
                if ix.app(&stored.app).is_none() {
                    return Err(no_app(&stored.app));
                }
                let replaced = ix
                    .connection(&stored.app, stored.hub_id)
                    .map(|c| c.token_generation)
                    .filter(|g| *g != generation);
                ix.upsert_connection(stored);
                Ok(replaced)
            })
            .await;
        match swapped {
            Err(e) => {
                self.discard_generation(&app, hub_id, generation, &e).await;
                Err(e)
            }
            Ok(replaced) => {
                if let Some(old) = replaced {
                    self.delete_generation(&app, hub_id, old).await;
                }
                Ok(conn)
            }
        }
    }

    /// Removes the entries of a generation that never became current.
    async fn discard_generation(&self, app: &str, hub_id: u64, generation: u64, cause: &Error) {
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
        self.delete_generation(app, hub_id, generation).await;
    }

    /// Deletes both token entries of one generation, best effort.
    async fn delete_generation(&self, app: &str, hub_id: u64, generation: u64) {
        let (rk, ak) = SecretKey::token_pair(app, hub_id, generation);
        let result = self
            .keychain(move |s| {
                let r = s.delete(&rk);
                let a = s.delete(&ak);
                r.and(a)
            })
            .await;
        if let Err(e) = result {
            tracing::warn!(
                app,
                hub_id,
                generation,
                code = e.code().as_str(),
                "could not delete old token entries: {e}"
            );
        }
    }

    /// The tokens of the connection of `app` to `hub_id` ([`Error::NotSignedIn`] when there is
    /// no such connection or the keychain has no tokens for it).
    pub async fn load_tokens(&self, app: &str, hub_id: u64) -> Result<TokenSet> {
        // A concurrent save may switch generations (and delete the old one) between reading the
        // index and reading the keychain: re-read and retry when the generation moved.
        let mut last_generation = None;
        for _ in 0..4 {
            let conn = self
                .connection(app, hub_id)
                .await?
                .ok_or_else(|| not_signed_in(app, hub_id))?;
            if last_generation == Some(conn.token_generation) {
                break;
            }
            last_generation = Some(conn.token_generation);
            let (rk, ak) = SecretKey::token_pair(app, hub_id, conn.token_generation);
            let (refresh, access) = self.keychain(move |s| Ok((s.get(&rk)?, s.get(&ak)?))).await?;
            if let (Some(refresh_token), Some(access_token)) = (refresh, access) {
                return Ok(TokenSet {
                    access_token,
                    refresh_token,
                    expires_at: conn.expires_at,
                    scopes: conn.scopes.clone(),
                    hub_id: Some(conn.hub_id),
                    user_id: conn.user_id,
                });
            }
        }
        Err(Error::NotSignedIn(format!(
            "the keychain holds no tokens for the app {app} on portal {hub_id}"
        )))
    }

    /// All connections.
    pub async fn connections(&self) -> Result<Vec<Connection>> {
        Ok(self.index().await?.connections)
    }

    /// The connection of `app` to `hub_id`, if any.
    pub async fn connection(&self, app: &str, hub_id: u64) -> Result<Option<Connection>> {
        Ok(self.index().await?.connection(app, hub_id).cloned())
    }

    /// Changes a connection's non-secret fields (state, reason, metadata) under [`IndexLock`].
    /// `app`, `hub_id` and `token_generation` cannot be changed here. Returns the updated
    /// connection ([`Error::NotFound`] when there is none).
    pub async fn update_connection<F>(&self, app: &str, hub_id: u64, f: F) -> Result<Connection>
    where
        F: FnOnce(&mut Connection) + Send + 'static,
    {
        let app = app.to_string();
        self.modify_index(move |ix| {
            let conn = ix
                .connection_mut(&app, hub_id)
                .ok_or_else(|| no_connection(&app, hub_id))?;
            let (app, generation) = (conn.app.clone(), conn.token_generation);
            f(conn);
            conn.app = app;
            conn.hub_id = hub_id;
            conn.token_generation = generation;
            Ok(conn.clone())
        })
        .await
    }

    /// Deletes a connection: its keychain entries first, then its index entry. If the keychain
    /// fails, the connection stays listed so the deletion can be retried.
    /// [`Error::NotFound`] when there is no such connection.
    pub async fn delete_connection(&self, app: &str, hub_id: u64) -> Result<()> {
        let conn = self
            .connection(app, hub_id)
            .await?
            .ok_or_else(|| no_connection(app, hub_id))?;
        let generation = conn.token_generation;
        let (rk, ak) = SecretKey::token_pair(app, hub_id, generation);
        self.keychain(move |s| {
            s.delete(&rk)?;
            s.delete(&ak)
        })
        .await?;
        let name = app.to_string();
        let current = self
            .modify_index(move |ix| {
                let current = ix.connection(&name, hub_id).map(|c| c.token_generation);
                ix.connections.retain(|c| !c.is(&name, hub_id));
                Ok(current)
            })
            .await?;
        // A save that completed in between switched to a newer generation: delete it too.
        if let Some(newer) = current.filter(|g| *g != generation) {
            self.delete_generation(app, hub_id, newer).await;
        }
        Ok(())
    }

    /// Takes the cross-process refresh lock of a connection, waiting (asynchronously, polling
    /// every 20 ms) while another task or process holds it. Hold it across refresh +
    /// [`TokenStore::save_connection`]; re-read the tokens after taking it. Cancel-safe: wrap it
    /// in `tokio::time::timeout` to bound the wait (no thread is left blocked on the lock).
    pub async fn refresh_lock(&self, app: &str, hub_id: u64) -> Result<RefreshLock> {
        loop {
            let app = app.to_string();
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

fn no_app(name: &str) -> Error {
    Error::NotFound(format!("no app named {name:?}"))
}

fn no_connection(app: &str, hub_id: u64) -> Error {
    Error::NotFound(format!("the app {app:?} is not connected to portal {hub_id}"))
}

fn not_signed_in(app: &str, hub_id: u64) -> Error {
    Error::NotSignedIn(format!("the app {app:?} is not connected to portal {hub_id}"))
}
