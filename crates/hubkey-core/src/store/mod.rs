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
mod load;
mod save;
pub mod secrets;

pub use index::{
    Connection, ConnectionState, DefaultConnection, Index, IndexLock, RefreshLock, INDEX_VERSION,
};
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

    pub(super) async fn index_job<T, F>(&self, job: F) -> Result<T>
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
        .map_err(|e| {
            Error::Io(format!(
                "the index task failed: {}",
                crate::process::task_failure(&e)
            ))
        })?
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
#[derive(Debug, Clone, Copy)]
pub(super) enum TokenKind {
    Access,
    Refresh,
}

/// The keys of the entries a connection points at: its access token and its refresh token.
pub(super) fn token_keys(conn: &Connection) -> Vec<SecretKey> {
    vec![
        SecretKey::access_token(&conn.app, conn.hub_id, conn.access_token_generation()),
        SecretKey::refresh_token(&conn.app, conn.hub_id, conn.refresh_token_generation()),
    ]
}

pub(super) fn no_tokens(app: &str, hub_id: u64) -> Error {
    Error::NotSignedIn(format!(
        "the keychain holds no tokens for the app {app} on portal {hub_id}"
    ))
}

pub(super) fn no_app(name: &str) -> Error {
    Error::NotFound(format!("no app named {name:?}"))
}

pub(super) fn no_connection(app: &str, hub_id: u64) -> Error {
    Error::NotFound(format!("the app {app:?} is not connected to portal {hub_id}"))
}

pub(super) fn not_signed_in(app: &str, hub_id: u64) -> Error {
    Error::NotSignedIn(format!("the app {app:?} is not connected to portal {hub_id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn attack_given_an_index_job_that_panics_holding_a_secret_when_it_fails_then_the_error_does_not_hold_the_secret(
    ) {
        // Never created: the job runs without the home check, as on a first run.
        let home = std::env::temp_dir().join(format!("hubkey-store-panic-{}", std::process::id()));
        let store = TokenStore::new(Arc::new(MemoryStore::new()), &home);
        let secret = format!("5ec7e7-{:08x}-1d", std::process::id());
        let panicking = secret.clone();
        let error = store
            .index_job(move |_| -> Result<()> { panic!("cannot save client secret {panicking}") })
            .await
            .unwrap_err();
        // tokio's text of a panicked task's error holds the panic's message; the error must not.
        let text = error.to_string();
        assert!(!text.contains(&secret), "{text}");
        assert!(text.contains("the index task failed: it panicked"), "{text}");
    }
}
