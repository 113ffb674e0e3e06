//! Tests against the REAL OS keychain (threat-model.md T3, T6, T17 and the keyring mock trap).
//!
//! Not `#[ignore]`d: they must pass wherever the test suite runs. On Linux, run them inside a
//! private D-Bus session with an unlocked gnome-keyring:
//!
//! ```sh
//! scripts/with-keyring.sh cargo test -p hubkey-keychain
//! ```
//!
//! Without a reachable Secret Service they fail with a message saying so. Every test name starts
//! with `keychain_` (filter with `cargo test keychain_` / `--skip keychain_`). Each test uses its
//! own service name (`hubkey-test-<pid>-<random>`) and deletes what it wrote.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hubkey_core::app::{AppConfig, AppKind};
use hubkey_core::store::{Connection, RefreshTokenSource, SecretKey, SecretStore, TokenStore};
use hubkey_core::token::TokenSet;
use hubkey_core::ConnectionKey;
use hubkey_core::{ErrorCode, Secret};
use hubkey_keychain::KeyringStore;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

const HOW_TO_RUN: &str = "the keychain tests need a working OS keychain; on Linux run them via \
     `scripts/with-keyring.sh cargo test -p hubkey-keychain` (private D-Bus session + unlocked gnome-keyring)";

/// Env var that turns the `keychain_child_process` test into a helper run in a second process.
const CHILD_MODE: &str = "HUBKEY_KEYCHAIN_TEST_CHILD";

fn unique_service() -> String {
    hubkey_testkit::unique("hubkey-test")
}

fn probe_key(id: &str) -> SecretKey {
    SecretKey::Probe { id: id.to_string() }
}

/// A real store under a fresh service name, after proving the keychain answers (within 10 s).
fn real_store() -> KeyringStore {
    let service = unique_service();
    let store = KeyringStore::new(service.clone()).unwrap_or_else(|e| panic!("{HOW_TO_RUN}: {e}"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let probe = KeyringStore::new(service).and_then(|s| s.self_test());
        let _ = tx.send(probe);
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(Ok(())) => store,
        Ok(Err(e)) => panic!(
            "{HOW_TO_RUN}.\nThe keychain self-test failed: {e} [{}]",
            e.code().as_str()
        ),
        Err(_) => {
            panic!("{HOW_TO_RUN}.\nThe keychain did not answer within 10 s (locked, waiting on a prompt?)")
        }
    }
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!(
            "hubkey-kc-{tag}-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every file under `dir` whose content contains `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return hits;
    };
    for entry in rd.flatten() {
        let p = entry.path();
        if p.is_dir() {
            hits.extend(files_containing(&p, needle));
        } else if let Ok(bytes) = std::fs::read(&p) {
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                hits.push(p);
            }
        }
    }
    hits
}

/// Runs this test binary again as a helper process (see `keychain_child_process`).
fn run_child(mode: &str, envs: &[(&str, &str)], remove: &[&str]) -> std::process::Output {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.args([
        "--exact",
        "keychain_real::keychain_child_process",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD_MODE, mode);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    for k in remove {
        cmd.env_remove(k);
    }
    cmd.output().unwrap()
}

/// The `CHILD name=value` lines a helper process printed.
fn child_report(out: &std::process::Output, name: &str) -> Option<String> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let prefix = format!("CHILD {name}=");
    // libtest may print "test keychain_child_process ... " on the same line first.
    stdout
        .lines()
        .find_map(|l| l.find(&prefix).map(|at| l[at + prefix.len()..].to_string()))
}

#[cfg(target_os = "linux")]
fn secret_tool(args: &[&str]) -> (bool, String) {
    let out = Command::new("secret-tool")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("secret-tool is needed by the keychain tests (apt-get install libsecret-tools): {e}")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn app(name: &str) -> AppConfig {
    AppConfig {
        name: name.into(),
        client_id: "5c3c0b4a-1b2c-4d5e-8f90-123456789abc".into(),
        redirect_uri: "http://localhost:3000/oauth/callback".into(),
        scopes: vec!["oauth".into()],
        optional_scopes: vec![],
        kind: AppKind::Standard,
        pkce: true,
    }
}

fn connection(app: &str, hub_id: u64) -> Connection {
    let now = time::OffsetDateTime::now_utc();
    Connection {
        hub_domain: Some("example.hubspot.com".into()),
        user: Some("dev@example.com".into()),
        user_id: Some(1),
        app_id: Some(2),
        scopes: vec!["oauth".into()],
        requested_scopes: vec!["oauth".into()],
        is_user_level: Some(false),
        installing_user_id: Some(1),
        ..Connection::new(app, hub_id, now + time::Duration::minutes(30), now)
    }
}

fn tokens(tag: &str) -> TokenSet {
    TokenSet {
        access_token: hubkey_core::AccessToken::new(format!("CKX-{tag}-{}", "A".repeat(500))),
        refresh_token: hubkey_core::RefreshToken::new(format!("na1-{tag}-4d2e-9f3a-8b7c6d5e4f3a")),
        expires_at: time::OffsetDateTime::now_utc() + time::Duration::minutes(30),
        scopes: vec!["oauth".into()],
        hub_id: None,
        user_id: None,
    }
}

// ----- the helper process ---------------------------------------------------------------------

/// Not a test on its own: when `HUBKEY_KEYCHAIN_TEST_CHILD` is set, this runs as the second
/// process of another test and prints `CHILD name=value` lines. Otherwise it does nothing.
#[test]
fn keychain_child_process() {
    let Ok(mode) = std::env::var(CHILD_MODE) else {
        return;
    };
    let var = |k: &str| std::env::var(k).unwrap();
    match mode.as_str() {
        "read" => {
            let store = KeyringStore::new(var("T_SERVICE")).unwrap();
            let got = store.get(&probe_key(&var("T_ID")));
            match got {
                Ok(Some(v)) => println!("CHILD value={}", v.expose()),
                Ok(None) => println!("CHILD value=<none>"),
                Err(e) => println!("CHILD error={}", e.code().as_str()),
            }
        }
        "write" => {
            let store = KeyringStore::new(var("T_SERVICE")).unwrap();
            store
                .set(&probe_key(&var("T_ID")), &Secret::new(var("T_VALUE")))
                .unwrap();
            println!("CHILD written=yes");
        }
        "try-write" => {
            let store = KeyringStore::new(var("T_SERVICE")).unwrap();
            match store.set(&probe_key(&var("T_ID")), &Secret::new(var("T_VALUE"))) {
                Ok(()) => println!("CHILD set=ok"),
                Err(e) => println!("CHILD set={}", e.code().as_str()),
            }
        }
        "write-from-env" => {
            let store = KeyringStore::from_env().unwrap();
            println!("CHILD service={}", store.service());
            store
                .set(&probe_key(&var("T_ID")), &Secret::new(var("T_VALUE")))
                .unwrap();
            println!("CHILD written=yes");
        }
        "no-bus" => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let store = KeyringStore::new(var("T_SERVICE")).unwrap();
                match store.get(&probe_key("nobus")) {
                    Ok(_) => println!("CHILD get=ok"),
                    Err(e) => println!("CHILD get={} ({e})", e.code().as_str()),
                }
                let tokens = TokenStore::open_default(Arc::new(store))
                    .unwrap()
                    .with_timeout(Duration::from_secs(5));
                match tokens
                    .save_app(&app("crm"), &hubkey_core::ClientSecret::new(var("T_VALUE")))
                    .await
                {
                    Ok(()) => println!("CHILD save_app=ok"),
                    Err(e) => println!("CHILD save_app={}", e.code().as_str()),
                }
            });
        }
        other => panic!("unknown child mode {other}"),
    }
}

// ----- T3: round trips ------------------------------------------------------------------------

#[test]
fn keychain_t3_given_the_real_store_when_set_get_delete_then_values_round_trip() {
    let store = real_store();
    let key = probe_key("t3");
    assert!(store.get(&key).unwrap().is_none());
    for value in ["plain-ascii-value", "non-ascii: é ü 😀 東京", &"x".repeat(1280)] {
        store.set(&key, &Secret::new(value)).unwrap();
        assert!(store.get(&key).unwrap().unwrap().eq_secret(&Secret::new(value)));
    }
    store.delete(&key).unwrap();
    assert!(store.get(&key).unwrap().is_none());
    store.delete(&key).unwrap(); // deleting a missing entry is fine
                                 // Oversize values are refused, not truncated.
    let err = store.set(&key, &Secret::new("x".repeat(1281))).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SecretTooLong);
    assert!(store.get(&key).unwrap().is_none());
    store.self_test().unwrap();
}

// ----- T6: inside Tokio runtimes --------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keychain_t3_t6_given_a_multi_thread_runtime_when_using_the_token_store_then_full_lifecycle_works() {
    let store = real_store();
    let service = store.service().to_string();
    let home = TempDir::new("t6");
    let ts = TokenStore::new(Arc::new(store), &home.0);

    ts.save_app(
        &app("crm"),
        &hubkey_core::ClientSecret::new("9f8e7d6c-5b4a-3f2e-1d0c-ba9876543210"),
    )
    .await
    .unwrap();
    assert!(ts
        .client_secret("crm")
        .await
        .unwrap()
        .eq_secret(&hubkey_core::ClientSecret::new(
            "9f8e7d6c-5b4a-3f2e-1d0c-ba9876543210"
        )));
    let first = ts
        .save_connection(connection("crm", 42), &tokens("one"))
        .await
        .unwrap();
    let second = ts.save_connection(first.clone(), &tokens("two")).await.unwrap();
    assert!(second.token_generation > first.token_generation);
    let loaded = ts.load_tokens(&ConnectionKey::new("crm", 42)).await.unwrap();
    assert!(loaded.access_token.eq_secret(&tokens("two").access_token));
    assert!(loaded.refresh_token.eq_secret(&tokens("two").refresh_token));
    // The replaced generation is gone from the real keychain.
    let old = SecretKey::RefreshToken {
        app: "crm".into(),
        hub_id: 42,
        generation: first.token_generation,
    };
    let probe = KeyringStore::new(service.clone()).unwrap();
    assert!(probe.get(&old).unwrap().is_none());
    ts.self_test().await.unwrap();

    // A refresh that kept the refresh token writes the new access token over the old one, in the
    // same item of the real keychain: one item, the new value, found by `secret-tool` too.
    let kept = TokenSet {
        refresh_token: tokens("two").refresh_token,
        ..tokens("three")
    };
    let third = ts
        .save_tokens(
            second.clone(),
            &kept,
            RefreshTokenSource::Kept {
                generation: second.refresh_token_generation(),
            },
        )
        .await
        .unwrap();
    assert_eq!(third.token_generation, second.token_generation);
    let loaded = ts.load_tokens(&ConnectionKey::new("crm", 42)).await.unwrap();
    assert!(loaded.access_token.eq_secret(&kept.access_token));
    assert!(loaded.refresh_token.eq_secret(&tokens("two").refresh_token));
    #[cfg(target_os = "linux")]
    {
        let account = SecretKey::access_token("crm", 42, third.token_generation).account();
        let (found, text) = secret_tool(&["search", "--all", "service", &service, "username", &account]);
        assert!(found, "{text}");
        assert_eq!(
            text.matches("[/").count(),
            1,
            "one item for the access token:\n{text}"
        );
        let (_, value) = secret_tool(&["lookup", "service", &service, "username", &account]);
        assert!(value.starts_with("CKX-three-"), "the new value is in the item");
    }

    // Many concurrent readers: calls are serialised, none fails.
    let mut readers = Vec::new();
    for _ in 0..8 {
        let ts = ts.clone();
        readers.push(tokio::spawn(async move {
            ts.load_tokens(&ConnectionKey::new("crm", 42)).await.map(|_| ())
        }));
    }
    for r in readers {
        r.await.unwrap().unwrap();
    }

    ts.delete_connection(&ConnectionKey::new("crm", 42))
        .await
        .unwrap();
    assert_eq!(
        ts.load_tokens(&ConnectionKey::new("crm", 42))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotSignedIn
    );
    ts.remove_app("crm").await.unwrap();

    // No secret in the index, and nothing left in the keychain under this service.
    assert!(files_containing(&home.0, "CKX-two").is_empty());
    #[cfg(target_os = "linux")]
    {
        let (_, text) = secret_tool(&["search", "--all", "service", &service]);
        assert!(!text.contains(&service), "entries left behind:\n{text}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn keychain_t6_given_a_current_thread_runtime_when_calling_the_store_directly_then_no_panic() {
    // Direct blocking calls on a runtime thread: the nesting panic of keyring-rs#132 would fire
    // here with an async store. (Production code still goes through TokenStore.)
    let store = real_store();
    let key = probe_key("t6-direct");
    store.set(&key, &Secret::new("inside-a-runtime")).unwrap();
    assert!(store
        .get(&key)
        .unwrap()
        .unwrap()
        .eq_secret(&Secret::new("inside-a-runtime")));
    store.delete(&key).unwrap();
    let home = TempDir::new("t6b");
    let ts = TokenStore::new(Arc::new(store), &home.0);
    ts.self_test().await.unwrap();
}

// ----- the mock trap: persistence across processes ---------------------------------------------

#[test]
fn keychain_given_a_value_written_here_when_read_by_another_process_then_it_is_there() {
    let store = real_store();
    let service = store.service().to_string();
    let value = format!("cross-process-{:016x}", rand::random::<u64>());
    let key = probe_key("xproc");
    store.set(&key, &Secret::new(value.clone())).unwrap();

    // 1. Another process using KeyringStore sees it (a mock store would not).
    let out = run_child("read", &[("T_SERVICE", &service), ("T_ID", "xproc")], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        child_report(&out, "value").as_deref(),
        Some(value.as_str()),
        "{out:?}"
    );

    // 2. An independent Secret Service client sees it under our service and account.
    #[cfg(target_os = "linux")]
    {
        let (ok, text) = secret_tool(&["lookup", "service", &service, "username", &key.account()]);
        assert!(ok, "secret-tool lookup failed: {text}");
        assert_eq!(text.trim_end(), value);
    }

    // 3. A value written by another process is read here.
    let value2 = format!("from-child-{:016x}", rand::random::<u64>());
    let out = run_child(
        "write",
        &[("T_SERVICE", &service), ("T_ID", "xproc2"), ("T_VALUE", &value2)],
        &[],
    );
    assert_eq!(child_report(&out, "written").as_deref(), Some("yes"), "{out:?}");
    let key2 = probe_key("xproc2");
    assert!(store.get(&key2).unwrap().unwrap().eq_secret(&Secret::new(value2)));

    store.delete(&key).unwrap();
    store.delete(&key2).unwrap();
    let out = run_child("read", &[("T_SERVICE", &service), ("T_ID", "xproc")], &[]);
    assert_eq!(child_report(&out, "value").as_deref(), Some("<none>"));
}

// ----- T17: the configured namespace is the one used -------------------------------------------

#[test]
fn keychain_t17_given_a_configured_service_when_writing_then_entries_land_in_that_namespace_only() {
    let store = real_store();
    let service = store.service().to_string();
    let value = format!("t17-{:016x}", rand::random::<u64>());
    let out = run_child(
        "write-from-env",
        &[
            ("HUBKEY_KEYCHAIN_SERVICE", &service),
            ("T_ID", "t17"),
            ("T_VALUE", &value),
        ],
        &[],
    );
    assert_eq!(
        child_report(&out, "service").as_deref(),
        Some(service.as_str()),
        "{out:?}"
    );
    assert_eq!(child_report(&out, "written").as_deref(), Some("yes"), "{out:?}");
    let key = probe_key("t17");
    assert!(store
        .get(&key)
        .unwrap()
        .unwrap()
        .eq_secret(&Secret::new(value.clone())));
    // Not in the default namespaces.
    for other in ["hubkey", "hubkey-dev"] {
        assert!(
            KeyringStore::new(other).unwrap().get(&key).unwrap().is_none(),
            "found under {other}"
        );
    }
    #[cfg(target_os = "linux")]
    {
        let (_, text) = secret_tool(&["search", "--all", "service", &service]);
        assert!(text.contains(&format!("attribute.service = {service}")), "{text}");
        assert!(text.contains("attribute.username = probe/t17"), "{text}");
    }
    store.delete(&key).unwrap();
}

// ----- no keychain: a clear error, no plaintext -------------------------------------------------

#[cfg(target_os = "linux")]
#[test]
fn keychain_given_no_session_bus_when_used_then_keychain_unavailable_and_nothing_written_in_clear() {
    let home = TempDir::new("nobus");
    let hubkey_home = home.0.join("hubkey");
    let value = format!("never-on-disk-{:016x}", rand::random::<u64>());
    let out = run_child(
        "no-bus",
        &[
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/hubkey-test-bus",
            ),
            ("HOME", home.0.to_str().unwrap()),
            ("XDG_RUNTIME_DIR", home.0.to_str().unwrap()),
            ("XDG_DATA_HOME", home.0.to_str().unwrap()),
            ("XDG_CONFIG_HOME", home.0.to_str().unwrap()),
            ("HUBKEY_HOME", hubkey_home.to_str().unwrap()),
            ("T_SERVICE", &unique_service()),
            ("T_VALUE", &value),
        ],
        &["DISPLAY", "WAYLAND_DISPLAY"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the child failed (panic?):\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let get = child_report(&out, "get").unwrap_or_default();
    assert!(get.starts_with("keychain_unavailable"), "{stdout}");
    assert_eq!(
        child_report(&out, "save_app").as_deref(),
        Some("keychain_unavailable"),
        "{stdout}"
    );
    assert!(
        files_containing(&home.0, &value).is_empty(),
        "the secret was written to disk"
    );
    assert!(
        !hubkey_home.join("index.json").exists(),
        "the app was registered without its secret"
    );
}

// ----- a locked keyring: KeychainLocked, no hang -----------------------------------------------

#[cfg(target_os = "linux")]
#[test]
fn attack_keychain_given_a_locked_keyring_when_writing_then_keychain_locked_without_hanging() {
    // Needs its own bus: create a login keyring, restart gnome-keyring without unlocking it.
    let home = TempDir::new("locked");
    let run = home.0.join("run");
    std::fs::create_dir_all(&run).unwrap();
    let script = r#"
        printf pw | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 & d=$!
        for _ in $(seq 1 200); do [ -f "$XDG_DATA_HOME/keyrings/login.keyring" ] && break; sleep 0.05; done
        [ -f "$XDG_DATA_HOME/keyrings/login.keyring" ] || { echo "no login keyring was created" >&2; exit 3; }
        kill $d; wait $d
        gnome-keyring-daemon --foreground --components=secrets >/dev/null 2>&1 & d=$!
        for _ in $(seq 1 200); do
          dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
            org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true" && break
          sleep 0.05
        done
        "$0" --exact keychain_real::keychain_child_process --nocapture --test-threads=1; rc=$?
        kill $d; wait $d; exit $rc
    "#;
    let started = std::time::Instant::now();
    let out = Command::new("timeout")
        .args(["60", "dbus-run-session", "--", "bash", "-c", script])
        .arg(std::env::current_exe().unwrap())
        .env("HOME", &home.0)
        .env("XDG_RUNTIME_DIR", &run)
        .env("XDG_DATA_HOME", home.0.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.0.join(".config"))
        .env("XDG_CACHE_HOME", home.0.join(".cache"))
        .env(CHILD_MODE, "try-write")
        .env("T_SERVICE", unique_service())
        .env("T_ID", "locked")
        .env("T_VALUE", "never-stored")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .unwrap_or_else(|e| panic!("{HOW_TO_RUN}: cannot run dbus-run-session: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        child_report(&out, "set").as_deref(),
        Some("keychain_locked"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}
