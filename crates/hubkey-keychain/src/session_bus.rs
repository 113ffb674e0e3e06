//! Finding the D-Bus session bus (and so the Secret Service) from a stripped environment.
//!
//! MCP clients start stdio servers with only HOME, PATH, USER and a few other variables (the
//! official SDKs' `get_default_environment`), so `hubkey mcp` usually starts without
//! `DBUS_SESSION_BUS_ADDRESS`. On a systemd desktop the session bus is the user bus, which listens
//! at `$XDG_RUNTIME_DIR/bus`, i.e. `/run/user/<uid>/bus`. When the variable is unset (or empty),
//! [`use_default_session_bus`] sets it to `unix:path=$XDG_RUNTIME_DIR/bus`, or to
//! `unix:path=/run/user/<uid>/bus`, whichever is a socket owned by this user. When neither is,
//! nothing changes and the keychain call fails with Hubkey's one-line "no D-Bus session bus"
//! error (exit 4).
//!
//! It runs once per process, before the first Secret Service connection ([`KeyringStore::new`]),
//! and only ever sets a variable that was missing, so a normal desktop session is untouched.
//!
//! [`KeyringStore::new`]: crate::KeyringStore::new

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Once;

/// The variable libdbus reads.
pub const ADDRESS_VAR: &str = "DBUS_SESSION_BUS_ADDRESS";

static ONCE: Once = Once::new();

/// Sets `DBUS_SESSION_BUS_ADDRESS` to the user bus when it is unset and the bus exists (see the
/// module docs). Safe to call many times; acts once.
pub fn use_default_session_bus() {
    ONCE.call_once(|| {
        let uid = rustix::process::getuid().as_raw();
        let found = default_address(|k| std::env::var_os(k), uid, |p| is_users_socket(p, uid));
        if let Some(address) = found {
            tracing::debug!(target: "hubkey_keychain", %address, "DBUS_SESSION_BUS_ADDRESS was unset; using the user bus");
            std::env::set_var(ADDRESS_VAR, address);
        }
    });
}

/// The address to use, or `None` to leave the environment alone: the variable is already set,
/// or no user bus socket exists.
pub fn default_address(
    env: impl Fn(&str) -> Option<OsString>,
    uid: u32,
    is_socket: impl Fn(&Path) -> bool,
) -> Option<String> {
    let set = |k: &str| env(k).filter(|v| !v.is_empty());
    if set(ADDRESS_VAR).is_some() {
        return None;
    }
    let candidates = set("XDG_RUNTIME_DIR")
        .map(|dir| PathBuf::from(dir).join("bus"))
        .into_iter()
        .chain(std::iter::once(PathBuf::from(format!("/run/user/{uid}/bus"))));
    candidates
        .into_iter()
        .find(|p| is_socket(p))
        .map(|p| format!("unix:path={}", escape(p.as_os_str().as_bytes())))
}

fn is_users_socket(path: &Path, uid: u32) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_socket() && m.uid() == uid)
}

/// D-Bus address escaping: bytes outside `[-0-9A-Za-z_/.\*]` become `%XX`.
fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-_/.\\*".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| OsString::from(v))
    }

    #[test]
    fn given_the_variable_is_set_when_looking_for_a_bus_then_nothing_changes() {
        let got = default_address(
            env(&[(ADDRESS_VAR, "unix:path=/x"), ("XDG_RUNTIME_DIR", "/r")]),
            1000,
            |_| true,
        );
        assert_eq!(got, None);
    }

    #[test]
    fn given_no_variable_when_xdg_runtime_dir_has_a_bus_then_it_is_used_before_run_user() {
        let got = default_address(env(&[("XDG_RUNTIME_DIR", "/tmp/run dir")]), 1000, |_| true);
        assert_eq!(got.as_deref(), Some("unix:path=/tmp/run%20dir/bus"));
        let empty_var = default_address(env(&[(ADDRESS_VAR, ""), ("XDG_RUNTIME_DIR", "/r")]), 1000, |_| {
            true
        });
        assert_eq!(
            empty_var.as_deref(),
            Some("unix:path=/r/bus"),
            "an empty variable counts as unset"
        );
    }

    #[test]
    fn given_a_stripped_environment_when_only_run_user_has_the_bus_then_it_is_used() {
        let got = default_address(env(&[("HOME", "/home/u")]), 1000, |p| {
            p == Path::new("/run/user/1000/bus")
        });
        assert_eq!(got.as_deref(), Some("unix:path=/run/user/1000/bus"));
        let got = default_address(env(&[("XDG_RUNTIME_DIR", "/gone")]), 1000, |p| {
            p == Path::new("/run/user/1000/bus")
        });
        assert_eq!(
            got.as_deref(),
            Some("unix:path=/run/user/1000/bus"),
            "a runtime dir without a bus falls through"
        );
    }

    #[test]
    fn given_no_bus_anywhere_then_the_environment_is_left_alone() {
        assert_eq!(default_address(env(&[]), 1000, |_| false), None);
    }

    #[test]
    fn given_a_file_that_is_not_a_socket_then_it_is_not_a_bus() {
        let dir = std::env::temp_dir();
        let file = dir.join(format!("hubkey-not-a-socket-{}", std::process::id()));
        std::fs::write(&file, b"x").unwrap();
        let uid = rustix::process::getuid().as_raw();
        assert!(!is_users_socket(&file, uid));
        let listener =
            std::os::unix::net::UnixListener::bind(dir.join(format!("hubkey-sock-{}", std::process::id())))
                .unwrap();
        let addr = listener.local_addr().unwrap();
        let path = addr.as_pathname().unwrap();
        assert!(is_users_socket(path, uid));
        assert!(
            !is_users_socket(path, uid + 1),
            "another user's socket is not ours"
        );
        std::fs::remove_file(path).unwrap();
        std::fs::remove_file(&file).unwrap();
    }
}
