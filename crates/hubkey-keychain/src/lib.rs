//! Hubkey's [`SecretStore`] on the OS keychain: macOS Keychain, Windows Credential Manager,
//! the Secret Service on Linux (gnome-keyring, KeePassXC…), through `keyring` 3.6.
//!
//! One keychain entry per secret: service = the keychain namespace
//! ([`hubkey_core::config::keychain_service`]: `hubkey`, `hubkey-dev` in debug builds, or
//! `HUBKEY_KEYCHAIN_SERVICE`), account = [`SecretKey::account`] (e.g.
//! `conn/crm/12345/7/refresh-token`). Neither is ever empty (empty names are wildcards on macOS).
//!
//! Why it is built the way it is (threat-model.md §4.9):
//!
//! - **The mock trap.** keyring 3.x built without a platform feature silently uses an in-memory
//!   mock: everything "works" and nothing is persisted. `Cargo.toml` enables one store per target,
//!   [`KeyringStore::new`] builds entries from the platform builder explicitly (not the
//!   process-wide default another crate could replace) and refuses any builder whose credentials
//!   do not persist until deleted, and the test suite reads a value back from a second process
//!   and through `secret-tool`, which only a real store passes.
//! - **No plaintext fallback.** When the keychain is missing, locked or broken, the call fails
//!   with [`Error::KeychainUnavailable`] / [`Error::KeychainLocked`]; nothing is written elsewhere.
//! - **Blocking calls, run elsewhere.** Calls are synchronous (the `sync-secret-service` store
//!   speaks D-Bus through libdbus, with no async runtime of its own, so it cannot hit the
//!   "Cannot start a runtime from within a runtime" panic of keyring-rs#132). A locked Secret
//!   Service can still block forever on an unlock prompt nobody sees, so async code reaches this
//!   store only through [`hubkey_core::store::TokenStore`], which runs each call on a worker
//!   thread under a timeout ([`Error::KeychainTimeout`]).
//! - **Serialised.** keyring's docs advise against concurrent access to RPC-based stores, and
//!   Windows does not order concurrent writes to one entry: calls in this process go one at a
//!   time.
//! - **One Secret Service connection per process (Linux).** keyring 3.6 connects and negotiates
//!   an encrypted session on every call, which costs more than the lookup itself; the calls here
//!   run keyring's own credential and helpers over one cached connection instead, so items stay
//!   exactly what keyring writes (`secret_service` module).
//! - **A stripped environment (Linux).** MCP clients start stdio servers without
//!   `DBUS_SESSION_BUS_ADDRESS`; the user bus at `$XDG_RUNTIME_DIR/bus` or `/run/user/<uid>/bus` is
//!   used then (`session_bus` module).
//! - **Size.** Values over [`hubkey_core::store::MAX_KEYCHAIN_SECRET_BYTES`] (Windows' 2560-byte
//!   blob, UTF-16) are refused on every OS with [`Error::SecretTooLong`], never truncated.

use hubkey_core::store::{check_secret_size, keychain_encoded_len, SecretKey, SecretStore};
use hubkey_core::{Error, Result, Secret};
use keyring::credential::{CredentialBuilder, CredentialPersistence};
#[cfg(not(target_os = "linux"))]
use std::sync::Mutex;

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
compile_error!(
    "hubkey-keychain supports Linux, macOS and Windows only: elsewhere keyring 3 would silently use its mock store"
);

/// The name of the platform keychain this build uses.
pub const BACKEND: &str = if cfg!(target_os = "macos") {
    "macOS Keychain"
} else if cfg!(target_os = "windows") {
    "Windows Credential Manager"
} else {
    "Secret Service"
};

#[cfg(target_os = "linux")]
mod secret_service;
#[cfg(target_os = "linux")]
pub mod session_bus;

/// One keyring call at a time in this process. (On Linux the lock that also holds the
/// connection, in `secret_service`, plays this part.)
#[cfg(not(target_os = "linux"))]
static SERIAL: Mutex<()> = Mutex::new(());

/// The OS keychain as a [`SecretStore`].
pub struct KeyringStore {
    service: String,
    builder: Box<CredentialBuilder>,
}

impl std::fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringStore")
            .field("backend", &BACKEND)
            .field("service", &self.service)
            .finish()
    }
}

impl KeyringStore {
    /// A store whose entries live under the keychain service `service`.
    ///
    /// Fails with [`Error::Config`] for an empty name and with [`Error::KeychainUnavailable`] if
    /// this build's keyring store does not persist credentials (the mock trap).
    pub fn new(service: impl Into<String>) -> Result<Self> {
        let service = service.into();
        if service.trim().is_empty() {
            return Err(Error::Config("the keychain service name is empty".into()));
        }
        // An MCP client may have started us without DBUS_SESSION_BUS_ADDRESS (issue 15).
        #[cfg(target_os = "linux")]
        session_bus::use_default_session_bus();
        let builder = keyring::default::default_credential_builder();
        if !matches!(builder.persistence(), CredentialPersistence::UntilDelete) {
            return Err(Error::KeychainUnavailable(
                "this build of Hubkey has no persistent keychain store for this system".into(),
            ));
        }
        Ok(Self { service, builder })
    }

    /// A store under the configured namespace ([`hubkey_core::config::keychain_service`]).
    pub fn from_env() -> Result<Self> {
        Self::new(hubkey_core::config::keychain_service())
    }

    /// The keychain service (namespace) of every entry.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Writes, reads back and deletes a probe entry (blocking; for `hubkey doctor`). From async
    /// code use [`hubkey_core::store::TokenStore::self_test`], which adds the timeout.
    pub fn self_test(&self) -> Result<()> {
        hubkey_core::store::secrets::self_test(self)
    }

    #[cfg(not(target_os = "linux"))]
    fn entry(&self, key: &SecretKey) -> Result<keyring::Entry> {
        let account = key.account();
        let credential = self
            .builder
            .build(None, &self.service, &account)
            .map_err(|e| map_keyring_error(e, key, None))?;
        Ok(keyring::Entry::new_with_credential(credential))
    }

    /// keyring's Secret Service credential for `key`, built by the platform builder (so its
    /// attributes and label are keyring's), for the cached-connection calls.
    #[cfg(target_os = "linux")]
    fn credential(&self, key: &SecretKey) -> Result<keyring::secret_service::SsCredential> {
        let credential = self
            .builder
            .build(None, &self.service, &key.account())
            .map_err(|e| map_keyring_error(e, key, None))?;
        credential
            .as_any()
            .downcast_ref::<keyring::secret_service::SsCredential>()
            .cloned()
            .ok_or_else(|| {
                Error::KeychainUnavailable(
                    "this build of Hubkey does not use the Secret Service keychain".into(),
                )
            })
    }
}

#[cfg(not(target_os = "linux"))]
fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

impl SecretStore for KeyringStore {
    #[cfg(target_os = "linux")]
    fn get(&self, key: &SecretKey) -> Result<Option<Secret>> {
        match secret_service::get_password(&self.credential(key)?) {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring_error(e, key, None)),
        }
    }

    #[cfg(target_os = "linux")]
    fn set(&self, key: &SecretKey, value: &Secret) -> Result<()> {
        check_secret_size(key, value)?;
        secret_service::set_password(&self.credential(key)?, value.expose())
            .map_err(|e| map_keyring_error(e, key, Some(keychain_encoded_len(value.expose()))))
    }

    #[cfg(target_os = "linux")]
    fn delete(&self, key: &SecretKey) -> Result<()> {
        match secret_service::delete_credential(&self.credential(key)?) {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring_error(e, key, None)),
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn get(&self, key: &SecretKey) -> Result<Option<Secret>> {
        let _one_at_a_time = serial();
        match self.entry(key)?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring_error(e, key, None)),
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn set(&self, key: &SecretKey, value: &Secret) -> Result<()> {
        check_secret_size(key, value)?;
        let _one_at_a_time = serial();
        self.entry(key)?
            .set_password(value.expose())
            .map_err(|e| map_keyring_error(e, key, Some(keychain_encoded_len(value.expose()))))
    }

    #[cfg(not(target_os = "linux"))]
    fn delete(&self, key: &SecretKey) -> Result<()> {
        let _one_at_a_time = serial();
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring_error(e, key, None)),
        }
    }

    fn describe(&self) -> String {
        format!("{BACKEND}, service {:?}", self.service)
    }
}

/// Maps a keyring error to Hubkey's vocabulary. `len` is the encoded size of the value being
/// written, if any. The messages never contain a secret (keyring's own do not either, except
/// `BadEncoding`'s bytes and `Ambiguous`'s credentials, which are not used here).
///
/// | keyring | Hubkey |
/// | --- | --- |
/// | `NoEntry` | (handled by the caller: `None` on get, success on delete) → `NotSignedIn` |
/// | `NoStorageAccess`, `PlatformFailure` mentioning a lock or a prompt | `KeychainLocked` |
/// | D-Bus: no bus / autolaunch, `ServiceUnknown`, no provider, no default collection | `KeychainUnavailable` with a plain reason |
/// | any other `NoStorageAccess` / `PlatformFailure` | `KeychainUnavailable` with the platform message |
/// | `TooLong` | `SecretTooLong` |
/// | `BadEncoding`, `Ambiguous` | `CorruptRecord` |
/// | `Invalid` | `Config` |
pub fn map_keyring_error(err: keyring::Error, key: &SecretKey, len: Option<usize>) -> Error {
    match err {
        keyring::Error::NoEntry => Error::NotSignedIn(format!("{} is not in the keychain", key.what())),
        keyring::Error::BadEncoding(_) => Error::CorruptRecord(format!(
            "{} in the keychain ({}) is not UTF-8 text",
            key.what(),
            key.account()
        )),
        keyring::Error::Ambiguous(items) => Error::CorruptRecord(format!(
            "the keychain holds {} entries named {}; remove the duplicates",
            items.len(),
            key.account()
        )),
        keyring::Error::TooLong(attribute, limit) => Error::SecretTooLong {
            what: if matches!(attribute.as_str(), "password" | "secret") {
                key.what().to_string()
            } else {
                format!("the keychain attribute {attribute}")
            },
            len: len.unwrap_or(0),
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
        },
        keyring::Error::Invalid(attribute, reason) => Error::Config(format!(
            "the keychain refused the entry name ({attribute}: {reason})"
        )),
        keyring::Error::NoStorageAccess(inner) | keyring::Error::PlatformFailure(inner) => {
            classify_platform_message(&inner.to_string())
        }
        other => Error::KeychainUnavailable(other.to_string()),
    }
}

/// Turns a platform failure message into [`Error::KeychainLocked`] or a
/// [`Error::KeychainUnavailable`] with a plain reason (build-env.md §8 lists the real messages).
pub fn classify_platform_message(message: &str) -> Error {
    let m = message.to_ascii_lowercase();
    let unavailable = |reason: &str| Error::KeychainUnavailable(reason.to_string());
    if m.contains("locked") || m.contains("prompt") || m.contains("interaction is not allowed") {
        Error::KeychainLocked
    } else if m.contains("unable to autolaunch") || m.contains("failed to connect to socket") {
        unavailable(
            "there is no D-Bus session bus (log in to a desktop session, or run under dbus-run-session)",
        )
    } else if m.contains("serviceunknown")
        || m.contains("was not provided by any .service files")
        || m.contains("no dbus session or secret service provider")
    {
        unavailable("no Secret Service provider is running (install and start gnome-keyring or KeePassXC)")
    } else if m.contains("no result found") {
        unavailable("the Secret Service has no default keyring (create one, e.g. in Seahorse, or log in to the desktop once)")
    } else {
        Error::KeychainUnavailable(message.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hubkey_core::ErrorCode;

    fn key() -> SecretKey {
        SecretKey::AccessToken {
            app: "crm".into(),
            hub_id: 42,
            generation: 3,
        }
    }

    fn boxed(msg: &str) -> Box<dyn std::error::Error + Send + Sync> {
        msg.to_string().into()
    }

    #[test]
    fn given_the_measured_linux_messages_when_mapped_then_the_codes_are_right() {
        // Verbatim inner messages from build-env.md §8.
        let cases = [
            (
                "DBus error: Unable to autolaunch a dbus-daemon without a $DISPLAY for X11",
                ErrorCode::KeychainUnavailable,
            ),
            (
                "DBus error: The name org.freedesktop.secrets was not provided by any .service files",
                ErrorCode::KeychainUnavailable,
            ),
            ("Secret Service: no result found", ErrorCode::KeychainUnavailable),
            (
                "DBus error: Cannot create an item in a locked collection",
                ErrorCode::KeychainLocked,
            ),
            ("Secret Service: object locked", ErrorCode::KeychainLocked),
            (
                "Secret Service: unlock prompt was dismissed",
                ErrorCode::KeychainLocked,
            ),
        ];
        for (msg, code) in cases {
            for e in [
                keyring::Error::PlatformFailure(boxed(msg)),
                keyring::Error::NoStorageAccess(boxed(msg)),
            ] {
                let mapped = map_keyring_error(e, &key(), None);
                assert_eq!(mapped.code(), code, "{msg} → {mapped}");
                assert!(
                    !mapped.to_string().contains("org.freedesktop") || code != ErrorCode::KeychainUnavailable
                );
            }
        }
    }

    #[test]
    fn given_other_keyring_errors_when_mapped_then_codes_follow_the_table() {
        let m = |e| map_keyring_error(e, &key(), Some(3000)).code();
        assert_eq!(
            m(keyring::Error::BadEncoding(vec![0xff, 0xfe])),
            ErrorCode::CorruptRecord
        );
        assert_eq!(m(keyring::Error::Ambiguous(vec![])), ErrorCode::CorruptRecord);
        assert_eq!(
            m(keyring::Error::Invalid("user".into(), "empty".into())),
            ErrorCode::Config
        );
        assert_eq!(m(keyring::Error::NoEntry), ErrorCode::NotSignedIn);
        match map_keyring_error(
            keyring::Error::TooLong("password".into(), 2560),
            &key(),
            Some(3000),
        ) {
            Error::SecretTooLong { what, len, limit } => {
                assert_eq!((what.as_str(), len, limit), ("the access token", 3000, 2560));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            map_keyring_error(
                keyring::Error::PlatformFailure(boxed("Windows error 8")),
                &key(),
                None
            )
            .to_string(),
            "the system keychain is not available: Windows error 8"
        );
    }

    #[test]
    fn given_bad_encoding_when_mapped_then_the_bytes_are_not_shown() {
        let e = map_keyring_error(
            keyring::Error::BadEncoding(b"secret-bytes\xff".to_vec()),
            &key(),
            None,
        );
        assert!(!format!("{e} {e:?}").contains("secret-bytes"));
    }

    #[test]
    fn given_an_empty_service_when_built_then_config_error() {
        assert_eq!(KeyringStore::new(" ").unwrap_err().code(), ErrorCode::Config);
    }

    #[test]
    fn given_this_build_when_built_then_the_platform_store_persists() {
        // Guards the mock trap at the type level: with a platform feature, the builder persists.
        let store = KeyringStore::new("hubkey-unit-test").unwrap();
        assert!(format!("{store:?}").contains("hubkey-unit-test"));
        assert!(store.describe().contains(BACKEND));
    }

    #[test]
    fn given_an_oversize_value_when_set_then_refused_before_the_keychain_is_called() {
        let store = KeyringStore::new("hubkey-unit-test").unwrap();
        let err = store.set(&key(), &Secret::new("x".repeat(1281))).unwrap_err();
        assert_eq!(err.code(), ErrorCode::SecretTooLong);
    }
}
