//! Linux: keyring's Secret Service credential, over one connection per process.
//!
//! keyring 3.6's `SsCredential` opens a new D-Bus connection and negotiates a new Diffie-Hellman
//! session for every call (two for a write), about 6–7 ms each, while a lookup over an open
//! connection takes about 0.6 ms (release build, BENCHMARKS.md finding 4.2). So the calls here keep
//! one `dbus_secret_service::SecretService` (connection + session, see [`connect`]) in the lock that
//! already serialises keychain calls, create it on first use, and replace it once when the
//! Secret Service no longer knows it (gnome-keyring restarted, the bus connection closed).
//!
//! **Compatibility is by construction, not by copy.** The item, its attributes, label, content
//! type and collection all come from keyring itself: the credential is the `SsCredential` that
//! keyring's builder makes, and the search, legacy fallback, unlock, collection choice and
//! create steps are keyring's own public helpers (`map_matching_legacy_items`, `get_collection`,
//! `create_collection`, `set_item_secret`, …) in the order of keyring's `map_matching_items` and
//! `set_secret`. What changes is only which connection they use. Entries written by earlier
//! Hubkey versions (or by keyring's `Entry`) are found, and `secret-tool lookup service S
//! username ACCOUNT` still finds ours.
//!
//! **A call that never returns.** `TokenStore` gives up on a call after its timeout and leaves
//! the worker thread blocked (a locked keyring can wait on an unlock prompt nobody sees). That
//! thread keeps holding the lock, and so the connection, exactly as it held the lock before; the
//! calls after it wait and time out as they did. When it finally returns, the connection is
//! either reusable or dropped (any D-Bus error from the connection or the service drops it).

use dbus_secret_service::{EncryptionType, Error as SsError, Item, SecretService};
use keyring::credential::Credential;
use keyring::secret_service::{
    create_collection, decode_error, delete_item, get_collection, get_item_password, set_item_secret,
    SsCredential,
};
use keyring::Error as KeyringError;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// One keychain call at a time in this process, and the process's Secret Service connection.
static CONNECTION: Mutex<Option<SecretService>> = Mutex::new(None);

/// The value of a unique matching item (keyring's `SsCredential::get_password`).
pub(crate) fn get_password(credential: &SsCredential) -> keyring::Result<String> {
    with_connection(|ss| {
        let mut found = map_matching_items(ss, credential, get_item_password)?;
        found.pop().ok_or(KeyringError::NoEntry)
    })
}

/// Sets the value of the unique matching item, or creates one (keyring's
/// `SsCredential::set_secret`).
pub(crate) fn set_password(credential: &SsCredential, password: &str) -> keyring::Result<()> {
    let secret = password.as_bytes();
    with_connection(|ss| {
        match map_matching_items(ss, credential, |item| set_item_secret(item, secret)) {
            Ok(_) => return Ok(()),
            Err(KeyringError::NoEntry) => {}
            Err(e) => return Err(e),
        }
        let target = target(credential);
        let collection = get_collection(ss, target).or_else(|_| create_collection(ss, target))?;
        collection
            .create_item(
                credential.label.as_str(),
                all_attributes(credential),
                secret,
                true, // replace
                "text/plain",
            )
            .map_err(platform_failure)?;
        Ok(())
    })
}

/// Deletes the unique matching item (keyring's `SsCredential::delete_credential`).
pub(crate) fn delete_credential(credential: &SsCredential) -> keyring::Result<()> {
    with_connection(|ss| map_matching_items(ss, credential, delete_item).map(|_| ()))
}

/// Runs `op` on the process's connection, connecting first if there is none. When the
/// Secret Service no longer knows a reused connection, it is replaced and `op` runs once more;
/// any other D-Bus failure just drops it, so the next call starts afresh.
fn with_connection<T>(op: impl Fn(&SecretService) -> keyring::Result<T>) -> keyring::Result<T> {
    let mut slot = lock();
    let mut reused = slot.is_some();
    loop {
        let outcome = match slot.as_ref() {
            Some(ss) => op(ss),
            None => {
                let ss = slot.insert(connect()?);
                op(ss)
            }
        };
        let Err(err) = &outcome else {
            return outcome;
        };
        match failure_kind(err) {
            Failure::Service => return outcome,
            Failure::Connection { stale } => {
                *slot = None;
                if !(stale && reused) {
                    return outcome;
                }
                tracing::debug!("the Secret Service connection went stale; reconnecting once");
                reused = false;
            }
        }
    }
}

fn lock() -> MutexGuard<'static, Option<SecretService>> {
    match CONNECTION.lock() {
        Ok(guard) => guard,
        Err(poisoned) => {
            // A call panicked half-way: do not trust its connection.
            let mut guard = poisoned.into_inner();
            *guard = None;
            CONNECTION.clear_poison();
            guard
        }
    }
}

/// A new connection and session: the `plain` algorithm, or keyring's DH session (`crypto-rust`)
/// where the service has no `plain` (KWallet's Secret Service offers only DH).
///
/// Why `plain` first: the DH handshake (1024-bit, in Rust) was ~90 % of a `hubkey token`'s
/// instructions (43 M of 47 M under callgrind; 13.8 ms → 6.4 ms wall, BENCHMARKS.md finding 12), and
/// it protects nothing in Hubkey's threat model. The specification says the transfer encryption
/// "is not envisioned to withstand man in the middle attacks" and only keeps plain copies out of
/// buffers; the session bus carries the message from gnome-keyring to this process alone, and any
/// process of the same user that could watch the bus can as well ask the Secret Service for the
/// item (threat-model.md: malware as the same user with keychain access is out of scope).
/// (go-keyring speaks only `plain`; libsecret tries DH first, in C.)
fn connect() -> keyring::Result<SecretService> {
    SecretService::connect(EncryptionType::Plain)
        .or_else(|plain| {
            tracing::debug!(target: "hubkey::keychain", error = %plain, "no plain Secret Service session; trying DH");
            SecretService::connect(EncryptionType::Dh)
        })
        .map_err(platform_failure)
}

enum Failure {
    /// An answer from the Secret Service (no entry, locked, dismissed prompt, bad data…): the
    /// connection is fine.
    Service,
    /// The connection or its session is unusable. `stale` when a new connection can succeed
    /// at once (the service restarted, the connection closed); not after a timeout, where a
    /// retry would only wait as long again.
    Connection { stale: bool },
}

/// D-Bus error names that mean "this connection or session is gone", not "the answer is no".
const STALE: &[&str] = &[
    "org.freedesktop.Secret.Error.NoSession",
    "org.freedesktop.DBus.Error.Disconnected",
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
    "org.freedesktop.DBus.Error.UnknownObject",
];
const SLOW: &[&str] = &[
    "org.freedesktop.DBus.Error.NoReply",
    "org.freedesktop.DBus.Error.Timeout",
    "org.freedesktop.DBus.Error.TimedOut",
];

fn failure_kind(err: &KeyringError) -> Failure {
    let inner = match err {
        KeyringError::PlatformFailure(inner) | KeyringError::NoStorageAccess(inner) => inner,
        _ => return Failure::Service,
    };
    match inner.downcast_ref::<SsError>() {
        Some(SsError::Dbus(e)) => {
            let name = e.name().unwrap_or_default();
            if STALE.contains(&name) {
                Failure::Connection { stale: true }
            } else if SLOW.contains(&name) || name.starts_with("org.freedesktop.DBus.Error.") {
                Failure::Connection { stale: false }
            } else {
                // org.freedesktop.Secret.Error.IsLocked and the like: the service answered.
                Failure::Service
            }
        }
        // A session whose keys no longer decrypt: start a new one.
        Some(SsError::Crypto(_)) => Failure::Connection { stale: true },
        _ => Failure::Service,
    }
}

/// keyring's `SsCredential::map_matching_items` with `require_unique = true`, on `ss`: search all
/// collections by target, service and username; if nothing matches, fall back to keyring v1
/// items in the default collection; refuse ambiguity; unlock locked items before `f`.
fn map_matching_items<T>(
    ss: &SecretService,
    credential: &SsCredential,
    f: impl Fn(&Item) -> keyring::Result<T>,
) -> keyring::Result<Vec<T>> {
    let search = ss
        .search_items(search_attributes(credential))
        .map_err(decode_error)?;
    let count = search.locked.len() + search.unlocked.len();
    if count == 0 {
        if target(credential) == "default" {
            return credential.map_matching_legacy_items(ss, f, true);
        }
        return Err(KeyringError::NoEntry);
    }
    if count > 1 {
        let mut credentials: Vec<Box<Credential>> = Vec::with_capacity(count);
        for item in search.locked.iter().chain(search.unlocked.iter()) {
            credentials.push(Box::new(SsCredential::new_from_item(item)?));
        }
        return Err(KeyringError::Ambiguous(credentials));
    }
    let mut results = Vec::with_capacity(1);
    for item in &search.unlocked {
        results.push(f(item)?);
    }
    for item in &search.locked {
        item.unlock().map_err(decode_error)?;
        results.push(f(item)?);
    }
    Ok(results)
}

/// The collection an entry is created in. Our credentials always come from keyring's builder,
/// which sets `target` (to `default` when none is given).
fn target(credential: &SsCredential) -> &str {
    credential
        .attributes
        .get("target")
        .map_or("default", String::as_str)
}

/// keyring's `search_attributes(false)`: target, service and username.
fn search_attributes(credential: &SsCredential) -> HashMap<&str, &str> {
    ["target", "service", "username"]
        .into_iter()
        .filter_map(|k| credential.attributes.get(k).map(|v| (k, v.as_str())))
        .collect()
}

/// keyring's `all_attributes`: every attribute the credential carries.
fn all_attributes(credential: &SsCredential) -> HashMap<&str, &str> {
    credential
        .attributes
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn platform_failure(err: SsError) -> KeyringError {
    KeyringError::PlatformFailure(Box::new(err))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dbus_failure(name: &str) -> KeyringError {
        platform_failure(SsError::Dbus(dbus::Error::new_custom(name, "test")))
    }

    #[test]
    fn given_a_vanished_session_or_service_when_classified_then_reconnect_and_retry() {
        for name in [
            "org.freedesktop.Secret.Error.NoSession",
            "org.freedesktop.DBus.Error.ServiceUnknown",
            "org.freedesktop.DBus.Error.Disconnected",
        ] {
            assert!(
                matches!(
                    failure_kind(&dbus_failure(name)),
                    Failure::Connection { stale: true }
                ),
                "{name}"
            );
        }
    }

    #[test]
    fn given_a_timeout_when_classified_then_drop_without_retrying() {
        assert!(matches!(
            failure_kind(&dbus_failure("org.freedesktop.DBus.Error.NoReply")),
            Failure::Connection { stale: false }
        ));
    }

    #[test]
    fn given_an_answer_from_the_service_when_classified_then_keep_the_connection() {
        for err in [
            KeyringError::NoEntry,
            decode_error(SsError::Locked),
            decode_error(SsError::Prompt),
            dbus_failure("org.freedesktop.Secret.Error.IsLocked"),
        ] {
            assert!(matches!(failure_kind(&err), Failure::Service), "{err:?}");
        }
    }
}
