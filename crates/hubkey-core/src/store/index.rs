//! The non-secret half of the store: `index.json` under [`crate::config::home_dir`].
//!
//! The index lists the apps (without their client secrets) and the connections (portal, user,
//! scopes, expiry, state, and which token *generation* in the keychain is current). It never holds
//! a secret value: secrets are keychain entries named by [`super::SecretKey`].
//!
//! Writes are atomic (temporary file in the same folder, fsync, rename, fsync of the folder) and
//! serialised across processes by [`IndexLock`] (an advisory lock on `index.lock`). Readers need
//! no lock: they always see a complete file. On unix the folder is created `0700` and the files
//! `0600`; a folder another user could write is refused, files are created with `O_EXCL` and opened
//! without following links, and the index is read only up to [`crate::files::MAX_INDEX_BYTES`]
//! ([`crate::files`]).
//!
//! An index that cannot be read — garbage, missing fields, or a schema version this build does
//! not know — is reported as [`Error::CorruptRecord`] and left untouched: every write path reads
//! the index first and stops there (threat-model.md T9).

use crate::app::AppConfig;
use crate::error::{Error, Result};
use crate::store::secrets::escape_component;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// The schema version this build reads and writes.
pub const INDEX_VERSION: u32 = 1;

/// File name of the index inside the Hubkey home folder.
pub const INDEX_FILE: &str = "index.json";
/// File name of the index lock inside the Hubkey home folder.
pub const INDEX_LOCK_FILE: &str = "index.lock";
/// Folder (inside the home folder) of the per-connection refresh locks.
pub const LOCKS_DIR: &str = "locks";

/// Where a connection's tokens stand (design.md §4: `status --json` `state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ConnectionState.ts"))]
pub enum ConnectionState {
    /// The access token is valid (or will be refreshed in time).
    #[default]
    Fresh,
    /// A refresh is in flight.
    Refreshing,
    /// The last refresh failed transiently; a retry is scheduled.
    Retrying,
    /// HubSpot no longer accepts the refresh token: the user must re-authorize.
    NeedsReauth,
}

/// One authorized portal for one app: everything `hubkey status --json` shows, no secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// The app's name in Hubkey.
    pub app: String,
    /// The portal (HubSpot account) id.
    pub hub_id: u64,
    /// The portal's domain (from introspection).
    #[serde(default)]
    pub hub_domain: Option<String>,
    /// The signed-in user's email (from introspection).
    #[serde(default)]
    pub user: Option<String>,
    /// The signed-in user's id.
    #[serde(default)]
    pub user_id: Option<u64>,
    /// HubSpot's app id.
    #[serde(default)]
    pub app_id: Option<u64>,
    /// Granted scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The scopes requested at login (required + optional).
    #[serde(default)]
    pub requested_scopes: Vec<String>,
    /// Optional scopes that were requested but not granted.
    #[serde(default)]
    pub optional_scopes_missing: Vec<String>,
    /// `signed_access_token.isUserLevel`, when HubSpot reported it.
    #[serde(default)]
    pub is_user_level: Option<bool>,
    /// `installingUserId`, when HubSpot reported it.
    #[serde(default)]
    pub installing_user_id: Option<u64>,
    /// The portal's data centre, `signed_access_token.hublet` (`na1`, `eu1`…), when introspection
    /// reported it (absent otherwise, and in indexes written before it existed).
    #[serde(default)]
    pub hublet: Option<String>,
    /// When the current access token expires.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Token health.
    pub state: ConnectionState,
    /// Why the state is not `fresh` (a HubSpot status such as `BAD_REFRESH_TOKEN`, never a body).
    #[serde(default)]
    pub state_reason: Option<String>,
    /// Which keychain generation holds the current access token, and the refresh token too unless
    /// `refresh_generation` names another one (set by the store).
    pub token_generation: u64,
    /// Which keychain generation holds the current refresh token, when it is not
    /// `token_generation` (set by the store). A refresh that HubSpot answers with the same refresh
    /// token writes only a new access token and keeps the refresh token's entry, because each
    /// keychain write costs tens of milliseconds (gnome-keyring rewrites its whole file). Absent in
    /// indexes written before it existed, and whenever both tokens share one generation; see
    /// [`Connection::refresh_token_generation`].
    #[serde(default)]
    pub refresh_generation: Option<u64>,
    /// What [`crate::Secret::hint`] shows of the current access token (its last 4 characters, or
    /// nothing for a short token; never more), written by the store with each access token, so
    /// that listing connections needs no keychain read. Absent in indexes written before it
    /// existed: then the UI shows no suffix.
    #[serde(default)]
    pub access_token_hint: Option<String>,
    /// When the portal was first connected.
    #[serde(with = "time::serde::rfc3339")]
    pub connected_at: OffsetDateTime,
    /// When the tokens were last refreshed.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_refreshed_at: Option<OffsetDateTime>,
}

impl Connection {
    /// A connection just made, before its tokens are saved: fresh, nothing learnt from introspection yet, no
    /// token generation (saving sets them). Fill in the rest with struct update syntax.
    pub fn new(
        app: impl Into<String>,
        hub_id: u64,
        expires_at: OffsetDateTime,
        connected_at: OffsetDateTime,
    ) -> Self {
        Connection {
            app: app.into(),
            hub_id,
            hub_domain: None,
            user: None,
            user_id: None,
            app_id: None,
            scopes: Vec::new(),
            requested_scopes: Vec::new(),
            optional_scopes_missing: Vec::new(),
            is_user_level: None,
            installing_user_id: None,
            hublet: None,
            expires_at,
            state: ConnectionState::Fresh,
            state_reason: None,
            token_generation: 0,
            refresh_generation: None,
            access_token_hint: None,
            connected_at,
            last_refreshed_at: None,
        }
    }

    /// Which connection this is.
    pub fn key(&self) -> crate::ids::ConnectionKey {
        crate::ids::ConnectionKey::new(self.app.clone(), self.hub_id)
    }

    /// True when this is the connection of `app` to `hub_id`.
    pub fn is(&self, app: &str, hub_id: u64) -> bool {
        self.app == app && self.hub_id == hub_id
    }

    /// The keychain generation of the current access token.
    pub fn access_token_generation(&self) -> u64 {
        self.token_generation
    }

    /// The keychain generation of the current refresh token (`token_generation` when
    /// `refresh_generation` is absent, as in older indexes).
    pub fn refresh_token_generation(&self) -> u64 {
        self.refresh_generation.unwrap_or(self.token_generation)
    }

    /// The generations of its tokens' entries: (access token, refresh token).
    pub fn generations(&self) -> (u64, u64) {
        (self.access_token_generation(), self.refresh_token_generation())
    }

    /// Points the connection at the generations holding its tokens; `refresh_generation` is only
    /// written when it differs, so an index whose tokens share a generation reads as before.
    pub fn set_generations(&mut self, access: u64, refresh: u64) {
        self.token_generation = access;
        self.refresh_generation = (refresh != access).then_some(refresh);
    }

    /// Whether `token` is the access token this connection's index entry describes: its hint
    /// is the one saved with the expiry (always true for an index without hints). False when a
    /// save rewrote the token in its entry but did not get to update the index (the process
    /// stopped, the index write failed; see [`crate::store::TokenStore::save_tokens`]): the
    /// expiry here is then not that token's, and the refresher treats it as due.
    pub fn describes(&self, token: &crate::secret::AccessToken) -> bool {
        self.access_token_hint
            .as_deref()
            .is_none_or(|hint| hint == token.hint())
    }

    /// What the UI shows of the access token (`••••••••abcd`, exactly [`crate::Secret::masked`]),
    /// from the index alone; `None` when the index has no hint (saved by an older build).
    pub fn masked_access_token(&self) -> Option<String> {
        self.access_token_hint.as_deref().map(crate::secret::mask)
    }
}

/// The contents of `index.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// Schema version ([`INDEX_VERSION`]).
    pub version: u32,
    /// Registered apps (no client secrets).
    #[serde(default)]
    pub apps: Vec<AppConfig>,
    /// Authorized portals.
    #[serde(default)]
    pub connections: Vec<Connection>,
    /// The last token generation handed out (generations are unique across the index, so two
    /// writers can never write the same keychain entry names).
    #[serde(default)]
    pub last_generation: u64,
    /// The connection commands use when neither flags nor `HUBKEY_APP`/`HUBKEY_PORTAL` name one
    /// (`hubkey use`). Optional and left out when unset, so an index written before it existed
    /// still loads and builds that predate it still read this one (no schema version change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_connection: Option<DefaultConnection>,
}

/// The default connection as stored: an app name and a hub id. It may name a connection that no
/// longer exists (logged out since); selection then ignores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultConnection {
    /// The app's name.
    pub app: String,
    /// The portal's hub id.
    pub hub_id: u64,
}

impl Default for Index {
    fn default() -> Self {
        Self {
            version: INDEX_VERSION,
            apps: Vec::new(),
            connections: Vec::new(),
            last_generation: 0,
            default_connection: None,
        }
    }
}

impl Index {
    /// The path of the index inside `home`.
    pub fn path_in(home: &Path) -> PathBuf {
        home.join(INDEX_FILE)
    }

    /// Reads the index in `home`. A missing file is an empty index; an unreadable one is
    /// [`Error::CorruptRecord`] (and is not touched).
    pub fn load(home: &Path) -> Result<Index> {
        let path = Self::path_in(home);
        // Bounded, and never through a link or from a device (a planted `index.json` → /dev/zero).
        let Some(bytes) = crate::files::read_capped(&path, crate::files::MAX_INDEX_BYTES)? else {
            return Ok(Index::default());
        };
        Self::parse(&bytes).map_err(|why| Error::CorruptRecord(format!("{}: {why}", path.display())))
    }

    /// Parses index bytes; the error is a short reason without the file's contents.
    pub fn parse(bytes: &[u8]) -> std::result::Result<Index, String> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON ({e})"))?;
        let version = value
            .get("version")
            .ok_or_else(|| "no schema version".to_string())?
            .as_u64()
            .ok_or_else(|| "the schema version is not a number".to_string())?;
        if version != u64::from(INDEX_VERSION) {
            return Err(if version > u64::from(INDEX_VERSION) {
                format!(
                    "written by a newer Hubkey (schema version {version}; this build reads {INDEX_VERSION})"
                )
            } else {
                format!("unknown schema version {version}")
            });
        }
        let index: Index = serde_json::from_value(value).map_err(|e| format!("unexpected content ({e})"))?;
        index.check()?;
        Ok(index)
    }

    fn check(&self) -> std::result::Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for a in &self.apps {
            if !seen.insert(a.name.as_str()) {
                return Err(format!("the app {:?} is listed twice", a.name));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for c in &self.connections {
            if !seen.insert((c.app.as_str(), c.hub_id)) {
                return Err(format!(
                    "the connection of app {:?} to portal {} is listed twice",
                    c.app, c.hub_id
                ));
            }
        }
        Ok(())
    }

    /// Writes the index to `home` atomically (creating `home` with `0700` if needed).
    pub fn save(&self, home: &Path) -> Result<()> {
        let mut json = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::Io(format!("cannot serialise the index: {e}")))?;
        json.push(b'\n');
        ensure_private_dir(home)?;
        write_atomically(&Self::path_in(home), &json)
    }

    /// The app called `name`.
    pub fn app(&self, name: &str) -> Option<&AppConfig> {
        self.apps.iter().find(|a| a.name == name)
    }

    /// The connection of `app` to `hub_id`.
    pub fn connection(&self, app: &str, hub_id: u64) -> Option<&Connection> {
        self.connections.iter().find(|c| c.is(app, hub_id))
    }

    /// Mutable access to the connection of `app` to `hub_id`.
    pub fn connection_mut(&mut self, app: &str, hub_id: u64) -> Option<&mut Connection> {
        self.connections.iter_mut().find(|c| c.is(app, hub_id))
    }

    /// Inserts or replaces (in place) a connection.
    pub fn upsert_connection(&mut self, conn: Connection) {
        match self.connection_mut(&conn.app, conn.hub_id) {
            Some(slot) => *slot = conn,
            None => self.connections.push(conn),
        }
    }

    /// Inserts or replaces (in place) an app.
    pub fn upsert_app(&mut self, app: AppConfig) {
        match self.apps.iter_mut().find(|a| a.name == app.name) {
            Some(slot) => *slot = app,
            None => self.apps.push(app),
        }
    }
}

/// Creates `dir` (and parents) `0700` if missing, and refuses one another user could write
/// ([`crate::files::ensure_trusted_dir`]).
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    crate::files::ensure_trusted_dir(dir, "the Hubkey home folder")
}

/// Writes `bytes` to `path` atomically: a new temporary file in the same folder (`0600`),
/// fsync, rename over `path`, fsync of the folder (unix). On failure the temporary file is
/// removed and `path` is unchanged.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let io =
        |what: &str, p: &Path, e: std::io::Error| Error::Io(format!("cannot {what} {}: {e}", p.display()));
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(
            ".{name}.tmp-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        match crate::files::create_new_private(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
            Err(e) => return Err(io("create", &tmp, e)),
        }
    };
    let result = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| io("write", &tmp, e))
        .and_then(|()| {
            drop(file);
            std::fs::rename(&tmp, path).map_err(|e| io("replace", path, e))
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return result;
    }
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        // Makes the rename durable; failure here does not undo a completed rename.
        let _ = d.sync_all();
    }
    Ok(())
}

fn open_lock_file(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        ensure_private_dir(dir)?;
    }
    crate::files::open_lock_file(path)
}

fn lock_exclusive(file: &File, path: &Path) -> Result<()> {
    fs4::fs_std::FileExt::lock_exclusive(file)
        .map_err(|e| Error::Io(format!("cannot lock {}: {e}", path.display())))
}

fn try_lock_exclusive(file: &File, path: &Path) -> Result<bool> {
    fs4::fs_std::FileExt::try_lock_exclusive(file)
        .map_err(|e| Error::Io(format!("cannot lock {}: {e}", path.display())))
}

/// An exclusive advisory lock on `index.lock`, held while the index is read-modified-written.
/// Released on drop (and by the OS when the process dies, so it cannot go stale).
///
/// Blocking: acquire it off the async runtime. Never hold it across a keychain call.
#[derive(Debug)]
pub struct IndexLock {
    _file: File,
}

impl IndexLock {
    /// Waits for the lock on `home/index.lock`.
    pub fn acquire(home: &Path) -> Result<IndexLock> {
        let path = home.join(INDEX_LOCK_FILE);
        let file = open_lock_file(&path)?;
        lock_exclusive(&file, &path)?;
        Ok(IndexLock { _file: file })
    }
}

/// An exclusive advisory lock on `locks/<app>-<hub_id>.lock`: one refresh of a connection at a
/// time across processes (design.md §2.6). After acquiring it, re-read the tokens: another
/// process may have refreshed already. Released on drop.
#[derive(Debug)]
pub struct RefreshLock {
    _file: File,
    path: PathBuf,
}

impl RefreshLock {
    /// The lock file of the connection of `app` to `hub_id` inside `home`.
    pub fn path_in(home: &Path, app: &str, hub_id: u64) -> PathBuf {
        home.join(LOCKS_DIR)
            .join(format!("{}-{hub_id}.lock", escape_component(app)))
    }

    /// Waits for the lock (blocking).
    pub fn acquire(home: &Path, app: &str, hub_id: u64) -> Result<RefreshLock> {
        let path = Self::path_in(home, app, hub_id);
        let file = open_lock_file(&path)?;
        lock_exclusive(&file, &path)?;
        Ok(RefreshLock { _file: file, path })
    }

    /// Takes the lock if it is free; `None` when another process or task holds it.
    pub fn try_acquire(home: &Path, app: &str, hub_id: u64) -> Result<Option<RefreshLock>> {
        let path = Self::path_in(home, app, hub_id);
        let file = open_lock_file(&path)?;
        if try_lock_exclusive(&file, &path)? {
            Ok(Some(RefreshLock { _file: file, path }))
        } else {
            Ok(None)
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_an_index_written_before_the_default_connection_existed_when_parsed_then_it_loads_without_one() {
        let old = br#"{"version": 1, "apps": [], "connections": [], "last_generation": 3}"#;
        let index = Index::parse(old).unwrap();
        assert_eq!(index.default_connection, None);
        assert_eq!(index.last_generation, 3);
        // Unset, it is not written either, so the file stays what older builds wrote.
        let json = serde_json::to_value(&index).unwrap();
        assert!(json.get("default_connection").is_none(), "{json}");
        let with = br#"{"version": 1, "default_connection": {"app": "a", "hub_id": 7}}"#;
        assert_eq!(
            Index::parse(with).unwrap().default_connection,
            Some(DefaultConnection {
                app: "a".into(),
                hub_id: 7
            })
        );
    }

    #[test]
    fn given_a_lock_held_when_tried_again_then_it_is_busy_until_dropped() {
        let dir = std::env::temp_dir().join(format!(
            "hubkey-lock-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        let held = RefreshLock::acquire(&dir, "my/app", 7).unwrap();
        assert!(held.path().ends_with("locks/my%2Fapp-7.lock"));
        assert!(RefreshLock::try_acquire(&dir, "my/app", 7).unwrap().is_none());
        assert!(RefreshLock::try_acquire(&dir, "my/app", 8).unwrap().is_some());
        drop(held);
        assert!(RefreshLock::try_acquire(&dir, "my/app", 7).unwrap().is_some());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn given_valid_and_invalid_versions_when_parsed_then_only_version_1_is_read() {
        assert!(Index::parse(br#"{"version":1}"#).is_ok());
        assert!(Index::parse(br#"{"version":2}"#)
            .unwrap_err()
            .contains("newer Hubkey"));
        assert!(Index::parse(br#"{"version":0}"#).is_err());
        assert!(Index::parse(br#"{"apps":[]}"#).is_err());
        assert!(Index::parse(b"\x00garbage").is_err());
    }
}
