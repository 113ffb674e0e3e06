//! Linux: [`KeyringStore`] keeps one Secret Service connection per process instead of keyring's
//! one per call (BENCHMARKS.md finding 4.2). These tests prove that nothing else changed: items
//! written by keyring's own `Entry` (earlier Hubkey versions) are found, items we write are
//! exactly what keyring writes (attributes, label, content type, collection), items without
//! keyring's `target` attribute are still found (keyring's legacy fallback), and a store whose
//! gnome-keyring is restarted reconnects.
//!
//! Run inside `scripts/with-keyring.sh cargo test -p hubkey-keychain` (private D-Bus session +
//! unlocked gnome-keyring). Every test name starts with `keychain_`, and each uses its own
//! service name and deletes what it wrote.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use dbus_secret_service::{EncryptionType, SecretService};
use hubkey_core::store::{SecretKey, SecretStore};
use hubkey_core::Secret;
use hubkey_keychain::KeyringStore;
use keyring::secret_service::SsCredential;
use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

const HOW_TO_RUN: &str = "the keychain tests need a working Secret Service; run them via \
     `scripts/with-keyring.sh cargo test -p hubkey-keychain`";

/// Env var that turns `keychain_compat_child_process` into a helper run in a second process.
const CHILD_MODE: &str = "HUBKEY_KEYCHAIN_COMPAT_CHILD";

fn unique_service() -> String {
    hubkey_testkit::unique("hubkey-compat")
}

fn probe_key(id: &str) -> SecretKey {
    SecretKey::Probe { id: id.to_string() }
}

fn store(service: &str) -> KeyringStore {
    KeyringStore::new(service).unwrap_or_else(|e| panic!("{HOW_TO_RUN}: {e}"))
}

/// keyring's own entry for the same service and account as `key`.
fn keyring_entry(service: &str, key: &SecretKey) -> keyring::Entry {
    keyring::Entry::new(service, &key.account()).unwrap()
}

/// The label and attributes of the one stored item matching `entry`, as keyring reads them.
/// Without `xdg:schema`: gnome-keyring adds `org.freedesktop.Secret.Generic` to some items on
/// its own, whichever client wrote them (seen on items from keyring's `Entry` and ours alike).
fn stored_item(entry: &keyring::Entry) -> (String, HashMap<String, String>) {
    let credential: &SsCredential = entry.get_credential().downcast_ref().unwrap();
    let mut item = credential
        .new_from_matching_item()
        .unwrap_or_else(|e| panic!("{HOW_TO_RUN}: {e}"));
    item.attributes.remove("xdg:schema");
    (item.label, item.attributes)
}

/// The content type of every stored item with these service and username attributes.
fn content_types(service: &str, account: &str) -> Vec<String> {
    let ss = SecretService::connect(EncryptionType::Dh).unwrap();
    let found = ss
        .search_items(HashMap::from([("service", service), ("username", account)]))
        .unwrap();
    found
        .unlocked
        .iter()
        .chain(found.locked.iter())
        .map(|item| item.get_secret_content_type().unwrap())
        .collect()
}

fn secret_tool(args: &[&str], stdin: Option<&str>) -> (bool, String) {
    use std::io::Write;
    let mut child = Command::new("secret-tool")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("secret-tool is needed by the keychain tests (apt-get install libsecret-tools): {e}")
        });
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

// ----- compatibility with keyring 3.6's own items ------------------------------------------------

#[test]
fn keychain_given_an_entry_written_by_keyring_when_used_through_the_store_then_found_updated_in_place_and_deleted(
) {
    let service = unique_service();
    let store = store(&service);
    let key = probe_key("from-keyring");
    let entry = keyring_entry(&service, &key);
    entry.set_password("written-by-keyring").unwrap();

    // Found.
    let got = store.get(&key).unwrap().expect("the keyring entry was not found");
    assert!(got.eq_secret(&Secret::new("written-by-keyring")));

    // Updated in place: keyring reads the new value, and there is still exactly one item.
    store.set(&key, &Secret::new("updated-by-hubkey")).unwrap();
    assert_eq!(entry.get_password().unwrap(), "updated-by-hubkey");
    assert_eq!(content_types(&service, &key.account()), ["text/plain"]);

    // Deleted.
    store.delete(&key).unwrap();
    assert!(matches!(entry.get_password(), Err(keyring::Error::NoEntry)));
    assert!(store.get(&key).unwrap().is_none());
}

#[test]
fn keychain_given_an_entry_written_by_the_store_when_inspected_then_it_is_exactly_what_keyring_writes() {
    let service = unique_service();
    let store = store(&service);
    let ours = probe_key("from-hubkey");
    let theirs = probe_key("reference");
    store.set(&ours, &Secret::new("written-by-hubkey")).unwrap();
    let reference = keyring_entry(&service, &theirs);
    reference.set_password("written-by-keyring").unwrap();

    // keyring reads it.
    let entry = keyring_entry(&service, &ours);
    assert_eq!(entry.get_password().unwrap(), "written-by-hubkey");

    // Same label and attributes as keyring's own item (only the account differs), and the
    // attributes keyring documents: service, username, target=default, application.
    let (label, attributes) = stored_item(&entry);
    let (ref_label, mut ref_attributes) = stored_item(&reference);
    assert_eq!(
        label,
        ref_label.replace(&theirs.account(), &ours.account()),
        "label"
    );
    ref_attributes.insert("username".into(), ours.account());
    assert_eq!(attributes, ref_attributes);
    let expected = SsCredential::new_with_target(None, &service, &ours.account()).unwrap();
    assert_eq!((&label, &attributes), (&expected.label, &expected.attributes));
    assert_eq!(attributes.get("target").map(String::as_str), Some("default"));
    assert_eq!(content_types(&service, &ours.account()), ["text/plain"]);

    // In the default collection, where keyring creates items for the `default` target.
    let ss = SecretService::connect(EncryptionType::Dh).unwrap();
    let default_collection = ss.get_default_collection().unwrap();
    let in_default = default_collection
        .search_items(HashMap::from([
            ("service", service.as_str()),
            ("username", &ours.account()),
        ]))
        .unwrap();
    assert_eq!(in_default.len(), 1);

    // secret-tool finds it by service and username.
    let (ok, text) = secret_tool(
        &["lookup", "service", &service, "username", &ours.account()],
        None,
    );
    assert!(ok, "secret-tool lookup failed: {text}");
    assert_eq!(text.trim_end(), "written-by-hubkey");

    // keyring deletes it, and the store sees it gone.
    entry.delete_credential().unwrap();
    assert!(store.get(&ours).unwrap().is_none());
    reference.delete_credential().unwrap();
}

#[test]
fn keychain_given_an_item_without_keyrings_target_attribute_when_read_then_found_by_the_legacy_fallback() {
    // keyring v1 and third-party tools (here secret-tool) store items without `target`; keyring
    // 3.6 still finds them in the default collection, and so must the store.
    let service = unique_service();
    let store = store(&service);
    let key = probe_key("legacy");
    let (ok, text) = secret_tool(
        &[
            "store",
            "--label",
            "legacy item",
            "service",
            &service,
            "username",
            &key.account(),
        ],
        Some("stored-without-target"),
    );
    assert!(ok, "secret-tool store failed: {text}");

    let got = store.get(&key).unwrap().expect("the legacy item was not found");
    assert!(got.eq_secret(&Secret::new("stored-without-target")));
    // Written in place (as keyring does), not as a second item that would make reads ambiguous.
    store.set(&key, &Secret::new("updated")).unwrap();
    assert_eq!(content_types(&service, &key.account()).len(), 1);
    assert!(store
        .get(&key)
        .unwrap()
        .unwrap()
        .eq_secret(&Secret::new("updated")));
    store.delete(&key).unwrap();
    assert!(store.get(&key).unwrap().is_none());
}

#[test]
fn keychain_given_many_calls_in_one_process_when_made_then_each_sees_the_previous_one() {
    // One cached connection and session serve every call, from any thread, in order.
    let service = unique_service();
    let store = std::sync::Arc::new(store(&service));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = std::sync::Arc::clone(&store);
            std::thread::spawn(move || {
                let key = probe_key(&format!("seq-{t}"));
                for i in 0..10 {
                    let value = Secret::new(format!("value-{t}-{i}"));
                    store.set(&key, &value).unwrap();
                    assert!(store.get(&key).unwrap().unwrap().eq_secret(&value));
                }
                store.delete(&key).unwrap();
                assert!(store.get(&key).unwrap().is_none());
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

// ----- reconnect after the Secret Service restarts -----------------------------------------------

/// Not a test on its own: when `HUBKEY_KEYCHAIN_COMPAT_CHILD` is set, this runs inside a private
/// D-Bus session (see the restart test) and prints `CHILD name=value` lines.
#[test]
fn keychain_compat_child_process() {
    let Ok(mode) = std::env::var(CHILD_MODE) else {
        return;
    };
    assert_eq!(mode, "restart");
    let var = |k: &str| std::env::var(k).unwrap();
    let store = store(&var("T_SERVICE"));
    let key = probe_key("restart");
    store.set(&key, &Secret::new("before-restart")).unwrap();
    assert!(store.get(&key).unwrap().is_some());

    // Restart gnome-keyring under the store's feet: stop the daemon the script started, start
    // a new one that unlocks the same keyring file.
    let old: u32 = var("T_DAEMON_PID").parse().unwrap();
    assert!(Command::new("kill")
        .arg(old.to_string())
        .status()
        .unwrap()
        .success());
    for _ in 0..200 {
        if !std::path::Path::new(&format!("/proc/{old}")).exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let mut daemon = Command::new("gnome-keyring-daemon")
        .args(["--foreground", "--unlock", "--components=secrets"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = daemon.stdin.take().unwrap();
        stdin.write_all(b"pw").unwrap();
    }
    let mut up = false;
    for _ in 0..200 {
        let out = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&out.stdout).contains("boolean true") {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    println!("CHILD restarted={up}");

    let report = |name: &str, r: hubkey_core::Result<String>| match r {
        Ok(v) => println!("CHILD {name}={v}"),
        Err(e) => println!("CHILD {name}=error {} ({e})", e.code().as_str()),
    };
    report(
        "get",
        store
            .get(&key)
            .map(|v| v.map_or("<none>".into(), |s| s.expose().to_string())),
    );
    report(
        "set",
        store
            .set(&key, &Secret::new("after-restart"))
            .map(|()| "ok".into()),
    );
    report(
        "get2",
        store
            .get(&key)
            .map(|v| v.map_or("<none>".into(), |s| s.expose().to_string())),
    );
    report("delete", store.delete(&key).map(|()| "ok".into()));
    let _ = daemon.kill();
    let _ = daemon.wait();
}

#[test]
fn keychain_given_a_store_in_use_when_gnome_keyring_restarts_then_the_next_calls_reconnect_and_work() {
    // Its own bus and keyring, so the shared daemon of the other tests is not disturbed.
    let home = std::env::temp_dir().join(format!(
        "hubkey-kc-restart-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let run = home.join("run");
    std::fs::create_dir_all(&run).unwrap();
    let script = r#"
        printf pw | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 & d=$!
        for _ in $(seq 1 200); do
          dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
            org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true" && break
          sleep 0.05
        done
        T_DAEMON_PID=$d "$0" --exact keychain_compat::keychain_compat_child_process --nocapture --test-threads=1; rc=$?
        kill $d 2>/dev/null; exit $rc
    "#;
    let out = Command::new("timeout")
        .args(["60", "dbus-run-session", "--", "bash", "-c", script])
        .arg(std::env::current_exe().unwrap())
        .env("HOME", &home)
        .env("XDG_RUNTIME_DIR", &run)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env(CHILD_MODE, "restart")
        .env("T_SERVICE", unique_service())
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .unwrap_or_else(|e| panic!("{HOW_TO_RUN}: cannot run dbus-run-session: {e}"));
    let _ = std::fs::remove_dir_all(&home);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = |name: &str| {
        let prefix = format!("CHILD {name}=");
        stdout
            .lines()
            .find_map(|l| l.find(&prefix).map(|at| l[at + prefix.len()..].to_string()))
    };
    let context = format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(report("restarted").as_deref(), Some("true"), "{context}");
    assert_eq!(report("get").as_deref(), Some("before-restart"), "{context}");
    assert_eq!(report("set").as_deref(), Some("ok"), "{context}");
    assert_eq!(report("get2").as_deref(), Some("after-restart"), "{context}");
    assert_eq!(report("delete").as_deref(), Some("ok"), "{context}");
}
