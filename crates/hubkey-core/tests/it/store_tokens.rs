//! TokenStore over the in-memory keychain double: round trip, failures, hangs, atomic token
//! replacement and concurrency (threat-model.md T3, T4, T5, T8).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::store_support;

use hubkey_core::store::{ConnectionState, Fault, SecretKey, SecretStore, TokenStore};
use hubkey_core::ConnectionKey;
use hubkey_core::{ClientSecret, Error, ErrorCode};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store_support::*;

#[tokio::test]
async fn t3_given_stored_app_and_tokens_when_loaded_then_equal_and_after_delete_not_signed_in() {
    let (mem, store, _home) = memory_store("t3");
    store
        .save_app(&app("crm"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap();
    assert!(store
        .client_secret("crm")
        .await
        .unwrap()
        .eq_secret(&ClientSecret::new(CLIENT_SECRET)));
    assert_eq!(store.apps().await.unwrap(), vec![app("crm")]);

    let t = tokens("one");
    let saved = store.save_connection(connection("crm", 42), &t).await.unwrap();
    assert_eq!(saved.expires_at, t.expires_at);
    assert!(saved.token_generation > 0);
    assert_eq!(
        store.connection(&ConnectionKey::new("crm", 42)).await.unwrap(),
        Some(saved.clone())
    );

    let loaded = store.load_tokens(&ConnectionKey::new("crm", 42)).await.unwrap();
    assert!(same_tokens(&loaded, &t));
    assert_eq!(loaded.expires_at, t.expires_at);
    assert_eq!(loaded.hub_id, Some(42));
    assert_eq!(loaded.scopes, saved.scopes);

    store
        .delete_connection(&ConnectionKey::new("crm", 42))
        .await
        .unwrap();
    let err = store
        .load_tokens(&ConnectionKey::new("crm", 42))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotSignedIn, "{err}");
    assert!(store.connections().await.unwrap().is_empty());
    // Only the client secret is left in the keychain.
    assert_eq!(mem.accounts(), vec!["app/crm/client-secret".to_string()]);

    store.remove_app("crm").await.unwrap();
    assert!(mem.is_empty());
    assert_eq!(
        store.client_secret("crm").await.unwrap_err().code(),
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn given_a_refresh_when_saved_then_the_new_generation_replaces_the_old_entries() {
    let (mem, store, _home) = memory_store("gen");
    store
        .save_app(&app("crm"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap();
    let first = store
        .save_connection(connection("crm", 42), &tokens("one"))
        .await
        .unwrap();
    let mut refreshed = first.clone();
    refreshed.last_refreshed_at = Some(time::macros::datetime!(2026-11-23 10:25 UTC));
    let second = store.save_connection(refreshed, &tokens("two")).await.unwrap();

    assert!(second.token_generation > first.token_generation);
    assert!(same_tokens(
        &store.load_tokens(&ConnectionKey::new("crm", 42)).await.unwrap(),
        &tokens("two")
    ));
    let g = second.token_generation;
    assert_eq!(
        mem.accounts(),
        vec![
            "app/crm/client-secret".to_string(),
            format!("conn/crm/42/{g}/access-token"),
            format!("conn/crm/42/{g}/refresh-token"),
        ]
    );
}

#[tokio::test]
async fn t4_given_a_failing_keychain_when_saving_then_keychain_unavailable_and_previous_tokens_intact() {
    let (mem, store, _home) = memory_store("t4");
    store
        .save_app(&app("crm"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap();
    store
        .save_connection(connection("crm", 42), &tokens("old"))
        .await
        .unwrap();
    let before = store.index().await.unwrap().connections;
    let accounts_before = mem.accounts();

    // First write of the save (the refresh token) fails.
    mem.fail_nth_write(1);
    let err = store
        .save_connection(connection("crm", 42), &tokens("new"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeychainUnavailable, "{err}");
    assert!(same_tokens(
        &store.load_tokens(&ConnectionKey::new("crm", 42)).await.unwrap(),
        &tokens("old")
    ));
    assert_eq!(store.index().await.unwrap().connections, before);
    assert_eq!(mem.accounts(), accounts_before);

    // The keychain goes away altogether: a login to a new portal stores nothing.
    mem.set_fault(Some(Fault::Unavailable));
    let err = store
        .save_connection(connection("crm", 43), &tokens("other"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeychainUnavailable);
    mem.set_fault(None);
    assert_eq!(
        store.connection(&ConnectionKey::new("crm", 43)).await.unwrap(),
        None
    );
    assert_eq!(mem.accounts(), accounts_before);
    assert!(same_tokens(
        &store.load_tokens(&ConnectionKey::new("crm", 42)).await.unwrap(),
        &tokens("old")
    ));
}

#[tokio::test]
async fn attack_t4_given_a_locked_keychain_when_reading_then_keychain_locked_and_no_fallback() {
    let (mem, store, home) = memory_store("locked");
    store
        .save_app(&app("crm"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap();
    store
        .save_connection(connection("crm", 42), &tokens("old"))
        .await
        .unwrap();
    mem.set_fault(Some(Fault::Locked));
    assert_eq!(
        store
            .load_tokens(&ConnectionKey::new("crm", 42))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::KeychainLocked
    );
    assert_eq!(
        store.client_secret("crm").await.unwrap_err().code(),
        ErrorCode::KeychainLocked
    );
    let err = store
        .save_app(&app("other"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeychainLocked);
    assert!(
        store.app("other").await.is_err(),
        "an app whose secret was not stored must not be listed"
    );
    // No plaintext fallback anywhere in the home folder.
    assert_eq!(
        home.files(),
        vec!["index.json".to_string(), "index.lock".to_string()]
    );
}

#[tokio::test]
async fn t8_given_the_second_write_fails_when_replacing_tokens_then_old_tokens_load_and_connection_is_unchanged(
) {
    let (mem, store, _home) = memory_store("t8");
    store
        .save_app(&app("crm"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap();
    let old = store
        .save_connection(connection("crm", 42), &tokens("old"))
        .await
        .unwrap();
    let accounts_before = mem.accounts();

    let mut changed = old.clone();
    changed.user = Some("someone-else@example.com".into());
    mem.fail_nth_write(2); // refresh token written, access token fails
    let err = store.save_connection(changed, &tokens("new")).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeychainUnavailable, "{err}");

    assert!(same_tokens(
        &store.load_tokens(&ConnectionKey::new("crm", 42)).await.unwrap(),
        &tokens("old")
    ));
    assert_eq!(
        store.connection(&ConnectionKey::new("crm", 42)).await.unwrap(),
        Some(old)
    );
    // The half-written new generation was cleaned up.
    assert_eq!(mem.accounts(), accounts_before);
}

#[tokio::test]
async fn t5_given_a_hanging_keychain_when_loading_then_timeout_and_the_runtime_stays_responsive() {
    let (mem, store, _home) = memory_store("t5");
    let store = store.with_timeout(Duration::from_millis(300));
    store
        .save_app(&app("crm"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap();
    store
        .save_connection(connection("crm", 42), &tokens("old"))
        .await
        .unwrap();

    mem.set_fault(Some(Fault::Hang));
    // current_thread runtime: if the keychain call blocked it, the ticker could not run.
    let ticks = Arc::new(AtomicU64::new(0));
    let t = ticks.clone();
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(10)).await;
            t.fetch_add(1, Ordering::Relaxed);
        }
    });
    let started = Instant::now();
    let err = store
        .load_tokens(&ConnectionKey::new("crm", 42))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(err, Error::KeychainTimeout(d) if d == Duration::from_millis(300)),
        "{err}"
    );
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert!(
        ticks.load(Ordering::Relaxed) >= 10,
        "runtime was blocked: {} ticks",
        ticks.load(Ordering::Relaxed)
    );

    // A save during the hang times out too and leaves the old generation in place.
    let err = store
        .save_connection(connection("crm", 42), &tokens("new"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeychainTimeout);
    ticker.abort();

    mem.set_fault(None); // the "prompt" is answered: stuck calls finish
    assert!(same_tokens(
        &store.load_tokens(&ConnectionKey::new("crm", 42)).await.unwrap(),
        &tokens("old")
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_concurrent_saves_when_done_then_no_connection_is_lost_and_generations_are_unique() {
    let (mem, store, _home) = memory_store("concurrent");
    store
        .save_app(&app("crm"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap();
    store
        .save_app(&app("sales"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..12u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let app = if i % 2 == 0 { "crm" } else { "sales" };
            store
                .save_connection(connection(app, 100 + i), &tokens(&format!("t{i}")))
                .await
                .unwrap()
        }));
    }
    let mut generations = Vec::new();
    for t in tasks {
        generations.push(t.await.unwrap().token_generation);
    }
    generations.sort_unstable();
    generations.dedup();
    assert_eq!(generations.len(), 12, "generations must be unique");

    let conns = store.connections().await.unwrap();
    assert_eq!(conns.len(), 12);
    for i in 0..12u64 {
        let app = if i % 2 == 0 { "crm" } else { "sales" };
        assert!(same_tokens(
            &store
                .load_tokens(&ConnectionKey::new(app, 100 + i))
                .await
                .unwrap(),
            &tokens(&format!("t{i}"))
        ));
    }
    assert_eq!(mem.len(), 2 + 12 * 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_concurrent_saves_of_one_connection_when_done_then_exactly_one_generation_remains() {
    let (mem, store, _home) = memory_store("same");
    store
        .save_app(&app("crm"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .save_connection(connection("crm", 42), &tokens(&format!("t{i}")))
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let current = store
        .connection(&ConnectionKey::new("crm", 42))
        .await
        .unwrap()
        .unwrap();
    let loaded = store.load_tokens(&ConnectionKey::new("crm", 42)).await.unwrap();
    assert!((0..6).any(|i| same_tokens(&loaded, &tokens(&format!("t{i}")))));
    // Every replaced generation was deleted: the client secret plus one token pair remain.
    let g = current.token_generation;
    assert_eq!(
        mem.accounts(),
        vec![
            "app/crm/client-secret".to_string(),
            format!("conn/crm/42/{g}/access-token"),
            format!("conn/crm/42/{g}/refresh-token"),
        ]
    );
}

#[tokio::test]
async fn given_saved_secrets_when_the_index_is_scanned_then_no_secret_value_is_in_it() {
    let (_mem, store, home) = memory_store("scan");
    store
        .save_app(&app("crm"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap();
    store
        .save_connection(connection("crm", 42), &tokens("scan"))
        .await
        .unwrap();
    let t = tokens("scan");
    let text = std::fs::read_to_string(home.path().join("index.json")).unwrap();
    for secret in [
        CLIENT_SECRET,
        t.access_token.expose(),
        t.refresh_token.expose(),
        "CKXAccessTokenValue",
        "na1-refresh",
    ] {
        assert!(!text.contains(secret), "index.json contains a secret");
    }
    assert!(text.contains("\"state\": \"fresh\""), "{text}");
    assert!(
        text.contains("\"expires_at\": \"2026-11-23T10:30:00Z\""),
        "{text}"
    );
}

#[tokio::test]
async fn given_a_connection_when_its_state_changes_then_only_non_secret_fields_move() {
    let (_mem, store, _home) = memory_store("update");
    store
        .save_app(&app("crm"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap();
    let saved = store
        .save_connection(connection("crm", 42), &tokens("one"))
        .await
        .unwrap();
    let updated = store
        .update_connection(&ConnectionKey::new("crm", 42), |c| {
            c.state = ConnectionState::NeedsReauth;
            c.state_reason = Some("BAD_REFRESH_TOKEN".into());
            c.token_generation = 9999; // ignored: only save_connection moves generations
            c.hub_id = 1;
        })
        .await
        .unwrap();
    assert_eq!(updated.state, ConnectionState::NeedsReauth);
    assert_eq!(updated.token_generation, saved.token_generation);
    assert_eq!(updated.hub_id, 42);
    assert_eq!(
        store.connection(&ConnectionKey::new("crm", 42)).await.unwrap(),
        Some(updated)
    );
    assert!(same_tokens(
        &store.load_tokens(&ConnectionKey::new("crm", 42)).await.unwrap(),
        &tokens("one")
    ));
    let err = store
        .update_connection(&ConnectionKey::new("crm", 7), |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn given_unknown_apps_and_portals_when_used_then_clear_errors() {
    let (_mem, store, _home) = memory_store("unknown");
    let err = store
        .save_connection(connection("nope", 1), &tokens("x"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound, "{err}");
    assert_eq!(
        store
            .load_tokens(&ConnectionKey::new("nope", 1))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotSignedIn
    );
    assert_eq!(
        store
            .delete_connection(&ConnectionKey::new("nope", 1))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        store.remove_app("nope").await.unwrap_err().code(),
        ErrorCode::NotFound
    );

    store
        .save_app(&app("crm"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap();
    store
        .save_connection(connection("crm", 42), &tokens("one"))
        .await
        .unwrap();
    let err = store.remove_app("crm").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Config, "{err}");
    assert!(err.to_string().contains("42"), "{err}");
    let err = store
        .save_app(&app(" "), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Config);
}

#[tokio::test]
async fn given_the_keychain_lost_its_entries_when_loading_then_not_signed_in() {
    let (mem, store, _home) = memory_store("lost");
    store
        .save_app(&app("crm"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap();
    let c = store
        .save_connection(connection("crm", 42), &tokens("one"))
        .await
        .unwrap();
    mem.delete(&SecretKey::AccessToken {
        app: "crm".into(),
        hub_id: 42,
        generation: c.token_generation,
    })
    .unwrap();
    let err = store
        .load_tokens(&ConnectionKey::new("crm", 42))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotSignedIn, "{err}");
}

#[tokio::test]
async fn given_a_working_store_when_self_tested_then_ok_and_no_probe_left() {
    let (mem, store, _home) = memory_store("probe");
    store.self_test().await.unwrap();
    assert!(mem.is_empty());
    mem.set_fault(Some(Fault::Unavailable));
    assert_eq!(
        store.self_test().await.unwrap_err().code(),
        ErrorCode::KeychainUnavailable
    );
}

#[test]
fn given_a_token_store_when_built_then_the_default_timeout_is_five_seconds() {
    let (_mem, store, _home) = memory_store("timeout");
    assert_eq!(store.timeout(), Duration::from_secs(5));
    assert_eq!(TokenStore::DEFAULT_TIMEOUT, Duration::from_secs(5));
}
