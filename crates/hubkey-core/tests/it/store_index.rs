//! The non-secret index: corrupt records are reported and kept (threat-model.md T9), writes are
//! atomic and private.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::store_support;

use hubkey_core::store::{Index, IndexLock, INDEX_VERSION};
use hubkey_core::ConnectionKey;
use hubkey_core::{ClientSecret, ErrorCode};
use std::time::Duration;
use store_support::*;

fn corrupt_variants() -> Vec<(&'static str, String)> {
    let valid_conn = serde_json::to_value(connection("crm", 42)).unwrap();
    let mut missing_field = valid_conn.clone();
    missing_field.as_object_mut().unwrap().remove("hub_id");
    let mut bad_state = valid_conn.clone();
    bad_state["state"] = "exploded".into();
    vec![
        ("garbage", "\u{0}\u{1}not json at all {".to_string()),
        ("empty file", String::new()),
        ("truncated", r#"{"version":1,"apps":[{"name":"crm""#.to_string()),
        ("no version", r#"{"apps":[],"connections":[]}"#.to_string()),
        (
            "future version",
            r#"{"version":2,"apps":[],"connections":[],"vaults":{}}"#.to_string(),
        ),
        (
            "missing field",
            serde_json::json!({"version": 1, "apps": [app("crm")], "connections": [missing_field]})
                .to_string(),
        ),
        (
            "wrong type",
            r#"{"version":1,"apps":"crm","connections":[]}"#.to_string(),
        ),
        (
            "bad state",
            serde_json::json!({"version": 1, "apps": [app("crm")], "connections": [bad_state]}).to_string(),
        ),
    ]
}

#[tokio::test]
async fn attack_t9_given_a_corrupt_index_when_used_then_corrupt_record_and_the_file_is_left_as_it_was() {
    for (what, content) in corrupt_variants() {
        let (mem, store, home) = memory_store("t9");
        std::fs::create_dir_all(home.path()).unwrap();
        let path = home.path().join("index.json");
        std::fs::write(&path, &content).unwrap();

        let results = [
            store.connections().await.map(|_| ()),
            store.apps().await.map(|_| ()),
            store
                .load_tokens(&ConnectionKey::new("crm", 42))
                .await
                .map(|_| ()),
            store
                .save_app(&app("crm"), &ClientSecret::new(CLIENT_SECRET))
                .await,
            store
                .save_connection(connection("crm", 42), &tokens("x"))
                .await
                .map(|_| ()),
            store
                .update_connection(&ConnectionKey::new("crm", 42), |_| {})
                .await
                .map(|_| ()),
            store.delete_connection(&ConnectionKey::new("crm", 42)).await,
            store.remove_app("crm").await,
        ];
        for (i, r) in results.into_iter().enumerate() {
            let err = r.expect_err(what);
            assert_eq!(err.code(), ErrorCode::CorruptRecord, "{what} #{i}: {err}");
            assert!(err.to_string().contains("index.json"), "{what}: {err}");
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            content,
            "{what}: the index was rewritten"
        );
        assert!(mem.is_empty(), "{what}: the keychain was written");
        assert!(
            !home.files().iter().any(|f| f.contains(".tmp")),
            "{what}: {:?}",
            home.files()
        );
    }
}

#[test]
fn t9_given_a_future_version_when_loaded_then_the_reason_names_it() {
    let home = TempHome::new("future");
    std::fs::create_dir_all(home.path()).unwrap();
    std::fs::write(home.path().join("index.json"), r#"{"version":7}"#).unwrap();
    let err = Index::load(home.path()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::CorruptRecord);
    assert!(err.to_string().contains("newer Hubkey"), "{err}");
}

#[tokio::test]
async fn given_many_writes_when_done_then_no_temporary_files_remain_and_the_index_round_trips() {
    let (_mem, store, home) = memory_store("atomic");
    store
        .save_app(&app("crm"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap();
    for i in 0..20 {
        store
            .save_connection(connection("crm", 1000 + i), &tokens("x"))
            .await
            .unwrap();
    }
    assert_eq!(
        home.files(),
        vec!["index.json".to_string(), "index.lock".to_string()]
    );
    let index = Index::load(home.path()).unwrap();
    assert_eq!(index.version, INDEX_VERSION);
    assert_eq!(index.connections.len(), 20);
    let json = std::fs::read_to_string(home.path().join("index.json")).unwrap();
    assert_eq!(Index::parse(json.as_bytes()).unwrap(), index);
}

#[test]
fn given_no_index_when_loaded_then_it_is_empty_and_nothing_is_created() {
    let home = TempHome::new("missing");
    let index = Index::load(home.path()).unwrap();
    assert_eq!(index, Index::default());
    assert!(!home.path().exists());
}

#[cfg(unix)]
#[tokio::test]
async fn attack_given_a_new_home_when_written_then_folder_is_0700_and_files_are_0600() {
    use std::os::unix::fs::PermissionsExt;
    let (_mem, store, home) = memory_store("perms");
    store
        .save_app(&app("crm"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap();
    let _lock = store.refresh_lock(&ConnectionKey::new("crm", 42)).await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(home.path()), 0o700);
    assert_eq!(mode(&home.path().join("index.json")), 0o600);
    assert_eq!(mode(&home.path().join("index.lock")), 0o600);
    assert_eq!(mode(&home.path().join("locks")), 0o700);
    assert_eq!(mode(&home.path().join("locks").join("crm-42.lock")), 0o600);
}

#[tokio::test]
async fn given_the_index_lock_held_elsewhere_when_writing_then_the_write_waits_for_it() {
    let (_mem, store, home) = memory_store("lockwait");
    store
        .save_app(&app("crm"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap();
    let held = IndexLock::acquire(home.path()).unwrap();
    let s = store.clone();
    let write =
        tokio::spawn(async move { s.save_app(&app("sales"), &ClientSecret::new(CLIENT_SECRET)).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!write.is_finished(), "the write did not wait for the index lock");
    drop(held);
    write.await.unwrap().unwrap();
    assert_eq!(store.apps().await.unwrap().len(), 2);
}

#[tokio::test]
async fn given_a_refresh_lock_held_when_another_task_asks_then_it_waits_and_a_timeout_leaves_nothing_behind()
{
    let (_mem, store, _home) = memory_store("refreshlock");
    let held = store.refresh_lock(&ConnectionKey::new("crm", 42)).await.unwrap();
    // A bounded wait gives up cleanly…
    let waited = tokio::time::timeout(
        Duration::from_millis(150),
        store.refresh_lock(&ConnectionKey::new("crm", 42)),
    )
    .await;
    assert!(waited.is_err(), "the lock was taken twice");
    // …another connection's lock is independent…
    drop(store.refresh_lock(&ConnectionKey::new("crm", 43)).await.unwrap());
    // …and the waiter gets the lock once it is released.
    let s = store.clone();
    let waiter =
        tokio::spawn(async move { s.refresh_lock(&ConnectionKey::new("crm", 42)).await.map(|_| ()) });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!waiter.is_finished());
    drop(held);
    tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
