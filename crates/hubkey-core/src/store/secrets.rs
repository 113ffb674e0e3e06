//! The secret half of the store: one keychain entry per secret value.
//!
//! [`SecretStore`] is the *blocking* interface an OS keychain offers (get / set / delete one value
//! under a name). Implementations: `hubkey_keychain::KeyringStore` (the real OS keychain) and
//! [`MemoryStore`] (a test double with fault injection). Nothing here talks to the async runtime:
//! [`super::TokenStore`] runs every call on a worker thread with a timeout.
//!
//! Every value is checked against [`MAX_KEYCHAIN_SECRET_BYTES`] before it is written, on every OS,
//! so that a value which works on Linux cannot fail later on Windows (threat-model.md §4.9, T7).

use crate::error::{Error, Result};
use crate::secret::Secret;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Condvar, Mutex, MutexGuard};

/// The largest secret Hubkey writes to a keychain entry, in bytes **as UTF-16**.
///
/// Windows Credential Manager stores a password as UTF-16 in a blob of at most
/// `CRED_MAX_CREDENTIAL_BLOB_SIZE` = 5 × 512 = 2560 bytes, i.e. 1280 UTF-16 code units (1280 ASCII
/// characters). The same limit is enforced on every OS. Oversize values are refused with
/// [`Error::SecretTooLong`], never truncated.
pub const MAX_KEYCHAIN_SECRET_BYTES: usize = 2560;

/// The size a value takes in a Windows credential blob (UTF-16 bytes).
pub fn keychain_encoded_len(value: &str) -> usize {
    value.encode_utf16().count() * 2
}

/// Refuses values that do not fit in one keychain entry on every platform (threat-model.md T7).
pub fn check_secret_size(key: &SecretKey, value: &Secret) -> Result<()> {
    let len = keychain_encoded_len(value.expose());
    if len > MAX_KEYCHAIN_SECRET_BYTES {
        return Err(Error::SecretTooLong {
            what: key.what().to_string(),
            len,
            limit: MAX_KEYCHAIN_SECRET_BYTES,
        });
    }
    Ok(())
}

/// The name of one secret in the keychain.
///
/// Tokens are stored per *generation*: a token update writes a new generation next to the old one
/// and only then switches the index to it (see [`super::TokenStore::save_connection`]), so a failed
/// write never leaves a connection with half of its tokens. The access token and the refresh token
/// of a connection may be current in different generations (a refresh that kept the refresh token
/// writes only a new access token), so their keys are built separately.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretKey {
    /// An app's client secret.
    ClientSecret {
        /// The app's name in Hubkey.
        app: String,
    },
    /// A connection's access token, in one generation.
    AccessToken {
        /// The app's name in Hubkey.
        app: String,
        /// The portal.
        hub_id: u64,
        /// The token generation (see [`super::Connection::token_generation`]).
        generation: u64,
    },
    /// A connection's refresh token, in one generation.
    RefreshToken {
        /// The app's name in Hubkey.
        app: String,
        /// The portal.
        hub_id: u64,
        /// The token generation.
        generation: u64,
    },
    /// A throw-away entry for self-tests (`hubkey doctor`, keychain tests).
    Probe {
        /// Distinguishes concurrent probes (e.g. a process id and a random suffix).
        id: String,
    },
}

impl SecretKey {
    /// The key of a connection's access token in `generation`
    /// ([`super::Connection::access_token_generation`]).
    pub fn access_token(app: &str, hub_id: u64, generation: u64) -> SecretKey {
        SecretKey::AccessToken {
            app: app.to_string(),
            hub_id,
            generation,
        }
    }

    /// The key of a connection's refresh token in `generation`
    /// ([`super::Connection::refresh_token_generation`]).
    pub fn refresh_token(app: &str, hub_id: u64, generation: u64) -> SecretKey {
        SecretKey::RefreshToken {
            app: app.to_string(),
            hub_id,
            generation,
        }
    }

    /// The keychain account (user) name of this secret. Stable (changing it loses stored
    /// tokens) and never empty (empty names are wildcards on macOS):
    ///
    /// | key | account |
    /// | --- | --- |
    /// | client secret | `app/<app>/client-secret` |
    /// | access token | `conn/<app>/<hub_id>/<generation>/access-token` |
    /// | refresh token | `conn/<app>/<hub_id>/<generation>/refresh-token` |
    /// | probe | `probe/<id>` |
    ///
    /// `<app>` and `<id>` keep ASCII letters, digits, `-`, `_` and `.`; every other byte is
    /// percent-encoded (`%2F` for `/`), so names cannot collide or inject separators.
    pub fn account(&self) -> String {
        match self {
            SecretKey::ClientSecret { app } => format!("app/{}/client-secret", escape_component(app)),
            SecretKey::AccessToken {
                app,
                hub_id,
                generation,
            } => {
                format!(
                    "conn/{}/{hub_id}/{generation}/access-token",
                    escape_component(app)
                )
            }
            SecretKey::RefreshToken {
                app,
                hub_id,
                generation,
            } => {
                format!(
                    "conn/{}/{hub_id}/{generation}/refresh-token",
                    escape_component(app)
                )
            }
            SecretKey::Probe { id } => format!("probe/{}", escape_component(id)),
        }
    }

    /// What the value is, for messages ("the access token").
    pub fn what(&self) -> &'static str {
        match self {
            SecretKey::ClientSecret { .. } => "the client secret",
            SecretKey::AccessToken { .. } => "the access token",
            SecretKey::RefreshToken { .. } => "the refresh token",
            SecretKey::Probe { .. } => "the keychain probe value",
        }
    }
}

/// Percent-encodes everything except ASCII letters, digits, `-`, `_`, `.`; the empty string
/// becomes `%00` so a component is never empty.
pub fn escape_component(s: &str) -> String {
    if s.is_empty() {
        return "%00".to_string();
    }
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A keychain: blocking get / set / delete of one [`Secret`] per [`SecretKey`].
///
/// Calls may block for a long time (a locked Secret Service can wait on a prompt forever), so
/// async code never calls these directly: it goes through [`super::TokenStore`], which runs them
/// on a worker thread under a timeout.
pub trait SecretStore: Send + Sync + Debug {
    /// The stored value, or `None` when there is no entry.
    fn get(&self, key: &SecretKey) -> Result<Option<Secret>>;

    /// Creates or replaces the entry. Values larger than [`MAX_KEYCHAIN_SECRET_BYTES`] are
    /// refused with [`Error::SecretTooLong`] (implementations call [`check_secret_size`]).
    fn set(&self, key: &SecretKey, value: &Secret) -> Result<()>;

    /// Deletes the entry; deleting a missing entry is not an error.
    fn delete(&self, key: &SecretKey) -> Result<()>;

    /// A short description for diagnostics (`hubkey doctor`), e.g. "Secret Service, service hubkey".
    fn describe(&self) -> String {
        format!("{self:?}")
    }
}

/// Writes, reads back and deletes a [`SecretKey::Probe`] entry with a random value: proves that
/// the keychain stores and returns values (blocking; `hubkey doctor`). The probe entry is
/// deleted even when the read fails.
pub fn self_test(store: &dyn SecretStore) -> Result<()> {
    let key = SecretKey::Probe {
        id: format!("{}-{:08x}", std::process::id(), rand::random::<u32>()),
    };
    let value = Secret::new(format!("hubkey-probe-{:016x}", rand::random::<u64>()));
    store.set(&key, &value)?;
    let read = store.get(&key);
    let deleted = store.delete(&key);
    match read? {
        Some(v) if v.eq_secret(&value) => deleted,
        Some(_) => Err(Error::KeychainUnavailable(
            "the keychain returned a different value than the one just stored".into(),
        )),
        None => Err(Error::KeychainUnavailable(
            "the keychain did not keep a value that was just stored".into(),
        )),
    }
}

/// A fault that [`MemoryStore`] injects into every call while it is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Every call fails with [`Error::KeychainUnavailable`].
    Unavailable,
    /// Every call fails with [`Error::KeychainLocked`].
    Locked,
    /// Every call blocks until the fault is cleared (like a Secret Service waiting on a prompt).
    Hang,
    /// Writes and deletes block until the fault is cleared; reads work (a keychain that stops
    /// answering between reading a refresh token and saving its successor).
    HangWrites,
}

/// What a keychain call did, in [`MemoryStore::journal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeychainOp {
    /// `get`.
    Read,
    /// `set`.
    Write,
    /// `delete`.
    Delete,
}

#[derive(Debug, Default)]
struct MemState {
    entries: BTreeMap<SecretKey, String>,
    fault: Option<Fault>,
    /// Counts `set` calls (successful or not).
    writes: u64,
    /// The `set` call number (1-based, counted by `writes`) that fails.
    fail_write_at: Option<u64>,
    /// Every call, in order (including failed ones).
    journal: Vec<(KeychainOp, SecretKey)>,
}

/// An in-memory [`SecretStore`] for tests, with fault injection (threat-model.md T4, T5, T8).
///
/// It behaves like a keychain: per-entry atomic writes, size checks, no persistence. It is a test
/// double only; the real keychain is `hubkey_keychain::KeyringStore`.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<MemState>,
    unhang: Condvar,
}

impl MemoryStore {
    /// An empty store with no faults.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, MemState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Injects (or with `None` clears) a fault for every following call. Clearing
    /// [`Fault::Hang`] releases the calls that are blocked.
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.lock().fault = fault;
        self.unhang.notify_all();
    }

    /// Makes the `n`-th `set` call from now (1 = the next one) fail with
    /// [`Error::KeychainUnavailable`]; the entry is left as it was.
    pub fn fail_nth_write(&self, n: u64) {
        let mut s = self.lock();
        s.fail_write_at = Some(s.writes + n.max(1));
    }

    /// Number of `set` calls so far (including failed ones).
    pub fn writes(&self) -> u64 {
        self.lock().writes
    }

    /// Number of `get` calls so far (including failed ones).
    pub fn reads(&self) -> u64 {
        self.count(KeychainOp::Read)
    }

    /// Number of `delete` calls so far (including failed ones and deletes of missing entries).
    pub fn deletes(&self) -> u64 {
        self.count(KeychainOp::Delete)
    }

    fn count(&self, op: KeychainOp) -> u64 {
        let n = self.lock().journal.iter().filter(|(o, _)| *o == op).count();
        u64::try_from(n).unwrap_or(u64::MAX)
    }

    /// Every call so far, in order, with the key it named: which entries a flow reads, writes and
    /// deletes (what the keychain costs, and that a kept entry is never deleted).
    pub fn journal(&self) -> Vec<(KeychainOp, SecretKey)> {
        self.lock().journal.clone()
    }

    /// The account names of all stored entries (sorted), for leak and leftover checks.
    pub fn accounts(&self) -> Vec<String> {
        let mut v: Vec<String> = self.lock().entries.keys().map(SecretKey::account).collect();
        v.sort();
        v
    }

    /// True when an entry exists under `key`.
    pub fn contains(&self, key: &SecretKey) -> bool {
        self.lock().entries.contains_key(key)
    }

    /// Number of stored entries.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// True when no entry is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits out [`Fault::Hang`] (and, for writes, [`Fault::HangWrites`]) and returns the error of
    /// the current fault, if any.
    fn enter(&self, write: bool) -> (MutexGuard<'_, MemState>, Result<()>) {
        let mut s = self.lock();
        while s.fault == Some(Fault::Hang) || (write && s.fault == Some(Fault::HangWrites)) {
            s = self.unhang.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        let r = match s.fault {
            Some(Fault::Unavailable) => Err(Error::KeychainUnavailable(
                "the test keychain is switched off (injected fault)".into(),
            )),
            Some(Fault::Locked) => Err(Error::KeychainLocked),
            Some(Fault::Hang) | Some(Fault::HangWrites) | None => Ok(()),
        };
        (s, r)
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, key: &SecretKey) -> Result<Option<Secret>> {
        let (mut s, r) = self.enter(false);
        s.journal.push((KeychainOp::Read, key.clone()));
        r?;
        Ok(s.entries.get(key).map(|v| Secret::new(v.clone())))
    }

    fn set(&self, key: &SecretKey, value: &Secret) -> Result<()> {
        let (mut s, r) = self.enter(true);
        s.writes += 1;
        s.journal.push((KeychainOp::Write, key.clone()));
        r?;
        if s.fail_write_at == Some(s.writes) {
            s.fail_write_at = None;
            return Err(Error::KeychainUnavailable(
                "the test keychain failed this write (injected fault)".into(),
            ));
        }
        check_secret_size(key, value)?;
        s.entries.insert(key.clone(), value.expose().to_string());
        Ok(())
    }

    fn delete(&self, key: &SecretKey) -> Result<()> {
        let (mut s, r) = self.enter(true);
        s.journal.push((KeychainOp::Delete, key.clone()));
        r?;
        s.entries.remove(key);
        Ok(())
    }

    fn describe(&self) -> String {
        "in-memory test store (nothing is persisted)".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<SecretKey> {
        vec![
            SecretKey::ClientSecret {
                app: "my app/x".into(),
            },
            SecretKey::AccessToken {
                app: "a".into(),
                hub_id: 42,
                generation: 7,
            },
            SecretKey::RefreshToken {
                app: "a".into(),
                hub_id: 42,
                generation: 7,
            },
            SecretKey::Probe { id: String::new() },
            SecretKey::ClientSecret { app: String::new() },
        ]
    }

    #[test]
    fn given_each_key_when_named_then_the_account_is_stable_and_never_empty() {
        let names: Vec<String> = keys().iter().map(SecretKey::account).collect();
        assert_eq!(
            names,
            [
                "app/my%20app%2Fx/client-secret",
                "conn/a/42/7/access-token",
                "conn/a/42/7/refresh-token",
                "probe/%00",
                "app/%00/client-secret",
            ]
        );
    }

    #[test]
    fn given_app_names_with_separators_when_named_then_they_cannot_collide() {
        let a = SecretKey::ClientSecret {
            app: "x/client-secret".into(),
        }
        .account();
        let b = SecretKey::ClientSecret { app: "x".into() }.account();
        assert_ne!(a, b);
        assert_eq!(escape_component("é"), "%C3%A9");
    }

    #[test]
    fn given_a_memory_store_when_the_second_write_is_set_to_fail_then_only_it_fails() {
        let s = MemoryStore::new();
        let k = SecretKey::Probe { id: "1".into() };
        s.fail_nth_write(2);
        s.set(&k, &Secret::new("one")).unwrap();
        let err = s.set(&k, &Secret::new("two")).unwrap_err();
        assert!(matches!(err, Error::KeychainUnavailable(_)));
        assert!(s.get(&k).unwrap().unwrap().eq_secret(&Secret::new("one")));
        s.set(&k, &Secret::new("three")).unwrap();
        assert_eq!(s.writes(), 3);
        s.get(&k).unwrap();
        s.delete(&k).unwrap();
        assert_eq!((s.reads(), s.writes(), s.deletes()), (2, 3, 1));
        assert_eq!(s.journal().len(), 6);
        assert_eq!(s.journal()[5], (KeychainOp::Delete, k));
    }

    #[test]
    fn given_a_locked_store_when_read_then_keychain_locked() {
        let s = MemoryStore::new();
        s.set_fault(Some(Fault::Locked));
        assert!(matches!(
            s.get(&SecretKey::Probe { id: "x".into() }),
            Err(Error::KeychainLocked)
        ));
        s.set_fault(None);
        assert!(s.get(&SecretKey::Probe { id: "x".into() }).unwrap().is_none());
    }
}
