//! Separate generations for the access token and the refresh token (issue #8, finding 4): a token
//! update whose refresh token is unchanged writes one keychain entry, the access token over the old
//! one in its own entry (issue 17, finding 16), and still never leaves a connection pointing at a
//! missing entry (threat-model.md T8), whatever fails or runs concurrently. Also the access token
//! hint that lets the UI list connections without the keychain, and that tells a token the index
//! describes from one an interrupted save left behind.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::store_support;

use hubkey_core::store::{Connection, KeychainOp, MemoryStore, RefreshTokenSource, SecretKey, TokenStore};
use hubkey_core::token::TokenSet;
use hubkey_core::ConnectionKey;
use hubkey_core::{AccessToken, ClientSecret, ErrorCode};
use store_support::*;

/// The keychain calls made since `mark` (a journal length), as (operation, account name).
fn ops_since(mem: &MemoryStore, mark: usize) -> Vec<(KeychainOp, String)> {
    mem.journal()[mark..]
        .iter()
        .map(|(op, key)| (*op, key.account()))
        .collect()
}

/// What a refresh without rotation yields: a new access token, the same refresh token.
fn same_refresh_token(before: &TokenSet, tag: &str) -> TokenSet {
    TokenSet {
        refresh_token: before.refresh_token.clone(),
        ..tokens(tag)
    }
}

async fn store_with_app(tag: &str) -> (std::sync::Arc<MemoryStore>, TokenStore, TempHome) {
    let (mem, store, home) = memory_store(tag);
    store
        .save_app(&app("crm"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap();
    (mem, store, home)
}

fn kept(generation: u64) -> RefreshTokenSource {
    RefreshTokenSource::Kept { generation }
}

#[tokio::test]
async fn given_a_login_when_saved_then_both_tokens_are_written_in_one_generation() {
    let (mem, store, _home) = store_with_app("login").await;
    let mark = mem.journal().len();
    let saved = store
        .save_connection(connection("crm", 42), &tokens("one"))
        .await
        .unwrap();
    let g = saved.token_generation;
    assert_eq!(saved.refresh_generation, None, "both tokens share generation {g}");
    assert_eq!(saved.refresh_token_generation(), g);
    assert_eq!(
        ops_since(&mem, mark),
        vec![
            (KeychainOp::Write, format!("conn/crm/42/{g}/refresh-token")),
            (KeychainOp::Write, format!("conn/crm/42/{g}/access-token")),
        ]
    );
}

#[tokio::test]
async fn given_an_unchanged_refresh_token_when_saved_then_one_write_in_place_no_delete_and_the_kept_entry_stays(
) {
    let (mem, store, _home) = store_with_app("kept").await;
    let first = store
        .save_connection(connection("crm", 42), &tokens("one"))
        .await
        .unwrap();
    let g1 = first.token_generation;
    let index_before = store.index().await.unwrap();

    let mark = mem.journal().len();
    let refreshed = same_refresh_token(&tokens("one"), "two");
    let second = store
        .save_tokens(first.clone(), &refreshed, kept(first.refresh_token_generation()))
        .await
        .unwrap();
    assert_eq!(second.token_generation, g1, "the access token keeps its entry");
    assert_eq!(second.refresh_token_generation(), g1);
    assert_eq!(
        ops_since(&mem, mark),
        vec![(KeychainOp::Write, format!("conn/crm/42/{g1}/access-token"))],
        "one write (the access token, over the old one), no delete"
    );
    assert_eq!(
        store.index().await.unwrap().last_generation,
        index_before.last_generation,
        "no generation was reserved"
    );
    assert_eq!(
        store.connection(&ConnectionKey::new("crm", 42)).await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(second.expires_at, refreshed.expires_at);
    assert_eq!(second.access_token_hint, Some(refreshed.access_token.hint()));
    let loaded = store.load_tokens(&ConnectionKey::new("crm", 42)).await.unwrap();
    assert!(same_tokens(&loaded, &refreshed));
    assert!(second.describes(&loaded.access_token));
    assert_eq!(
        mem.accounts(),
        vec![
            "app/crm/client-secret".to_string(),
            format!("conn/crm/42/{g1}/access-token"),
            format!("conn/crm/42/{g1}/refresh-token"),
        ]
    );

    // A second unchanged refresh keeps the same refresh entry again.
    let third = store
        .save_tokens(
            second.clone(),
            &same_refresh_token(&tokens("one"), "three"),
            kept(g1),
        )
        .await
        .unwrap();
    assert_eq!(
        (third.token_generation, third.refresh_token_generation()),
        (g1, g1)
    );

    // A rotated refresh token goes to a new generation: both tokens written, both old entries
    // deleted.
    let mark = mem.journal().len();
    let fourth = store
        .save_tokens(third.clone(), &tokens("four"), RefreshTokenSource::New)
        .await
        .unwrap();
    let g4 = fourth.token_generation;
    assert!(g4 > g1);
    assert_eq!(fourth.refresh_generation, None);
    assert_eq!(
        ops_since(&mem, mark),
        vec![
            (KeychainOp::Write, format!("conn/crm/42/{g4}/refresh-token")),
            (KeychainOp::Write, format!("conn/crm/42/{g4}/access-token")),
            (KeychainOp::Delete, format!("conn/crm/42/{g1}/access-token")),
            (KeychainOp::Delete, format!("conn/crm/42/{g1}/refresh-token")),
        ]
    );
    assert_eq!(
        mem.accounts(),
        vec![
            "app/crm/client-secret".to_string(),
            format!("conn/crm/42/{g4}/access-token"),
            format!("conn/crm/42/{g4}/refresh-token"),
        ]
    );
}

#[tokio::test]
async fn given_an_index_written_before_refresh_generations_when_loaded_then_both_tokens_are_found_and_a_kept_save_works(
) {
    let (mem, store, home) = store_with_app("legacy").await;
    // An index.json as the previous build wrote it: no refresh_generation, no access_token_hint.
    let mut conn = serde_json::to_value(connection("crm", 42)).unwrap();
    let obj = conn.as_object_mut().unwrap();
    obj.remove("refresh_generation");
    obj.remove("access_token_hint");
    obj.insert("token_generation".into(), 5.into());
    let legacy = serde_json::json!({
        "version": 1,
        "apps": [app("crm")],
        "connections": [conn],
        "last_generation": 5,
    });
    std::fs::write(
        home.path().join("index.json"),
        serde_json::to_vec_pretty(&legacy).unwrap(),
    )
    .unwrap();
    let old = tokens("legacy");
    mem.set_refresh_and_access(5, &old);

    let loaded = store
        .connection(&ConnectionKey::new("crm", 42))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(loaded.refresh_generation, None);
    assert_eq!(loaded.access_token_hint, None);
    assert_eq!(loaded.refresh_token_generation(), 5);
    assert_eq!(
        loaded.masked_access_token(),
        None,
        "no hint: no suffix, no keychain read"
    );
    assert!(same_tokens(
        &store.load_tokens(&ConnectionKey::new("crm", 42)).await.unwrap(),
        &old
    ));
    let (_, refresh) = store
        .load_refresh_token(&ConnectionKey::new("crm", 42))
        .await
        .unwrap();
    assert!(refresh.eq_secret(&old.refresh_token));

    let refreshed = same_refresh_token(&old, "new");
    let saved = store.save_tokens(loaded, &refreshed, kept(5)).await.unwrap();
    assert_eq!((saved.token_generation, saved.refresh_generation), (5, None));
    assert!(same_tokens(
        &store.load_tokens(&ConnectionKey::new("crm", 42)).await.unwrap(),
        &refreshed
    ));
    assert_eq!(
        mem.accounts(),
        vec![
            "app/crm/client-secret".to_string(),
            "conn/crm/42/5/access-token".to_string(),
            "conn/crm/42/5/refresh-token".to_string(),
        ]
    );
    // The index now has the hint of the token written in place.
    let text = std::fs::read_to_string(home.path().join("index.json")).unwrap();
    assert!(text.contains(&refreshed.access_token.hint()), "{text}");
}

/// Stores a token set under one generation directly, as an older build would have.
trait Seed {
    fn set_refresh_and_access(&self, generation: u64, t: &TokenSet);
}

impl Seed for MemoryStore {
    fn set_refresh_and_access(&self, generation: u64, t: &TokenSet) {
        use hubkey_core::store::SecretStore;
        self.set(
            &SecretKey::refresh_token("crm", 42, generation),
            t.refresh_token.as_secret(),
        )
        .unwrap();
        self.set(
            &SecretKey::access_token("crm", 42, generation),
            t.access_token.as_secret(),
        )
        .unwrap();
    }
}

#[tokio::test]
async fn t8_given_a_kept_refresh_token_when_the_access_write_fails_then_nothing_changes_and_the_kept_entry_survives(
) {
    let (mem, store, _home) = store_with_app("t8kept").await;
    let first = store
        .save_connection(connection("crm", 42), &tokens("one"))
        .await
        .unwrap();
    let second = store
        .save_tokens(
            first.clone(),
            &same_refresh_token(&tokens("one"), "two"),
            kept(first.token_generation),
        )
        .await
        .unwrap();
    let accounts_before = mem.accounts();

    mem.fail_nth_write(1); // the only write of a kept save: the access token
    let mark = mem.journal().len();
    let err = store
        .save_tokens(
            second.clone(),
            &same_refresh_token(&tokens("one"), "three"),
            kept(second.refresh_token_generation()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeychainUnavailable, "{err}");
    assert_eq!(
        store.connection(&ConnectionKey::new("crm", 42)).await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(mem.accounts(), accounts_before);
    for (op, account) in ops_since(&mem, mark) {
        assert!(
            !(op == KeychainOp::Delete && account.ends_with("refresh-token")),
            "a failed kept save deleted a refresh token: {account}"
        );
    }
    assert!(same_tokens(
        &store.load_tokens(&ConnectionKey::new("crm", 42)).await.unwrap(),
        &same_refresh_token(&tokens("one"), "two")
    ));
}

#[tokio::test]
async fn given_a_login_replaced_the_kept_refresh_token_when_the_kept_save_switches_then_it_stores_the_refresh_token_itself(
) {
    let (mem, store, _home) = store_with_app("race").await;
    let first = store
        .save_connection(connection("crm", 42), &tokens("one"))
        .await
        .unwrap();
    let kept_generation = first.refresh_token_generation();
    // A refresh read the refresh token from `kept_generation`; before it saves, a login of the
    // same portal replaces the whole token set (and deletes the entry the refresh means to keep).
    let login = store
        .save_connection(connection("crm", 42), &tokens("login"))
        .await
        .unwrap();
    assert!(!mem.contains(&SecretKey::refresh_token("crm", 42, kept_generation)));

    let refreshed = same_refresh_token(&tokens("one"), "refreshed");
    let saved = store
        .save_tokens(first.clone(), &refreshed, kept(kept_generation))
        .await
        .unwrap();

    // The refresh still wins (last writer, as before), but with its refresh token stored anew.
    let g = saved.token_generation;
    assert_eq!(saved.refresh_token_generation(), g);
    assert!(same_tokens(
        &store.load_tokens(&ConnectionKey::new("crm", 42)).await.unwrap(),
        &refreshed
    ));
    assert_eq!(
        mem.accounts(),
        vec![
            "app/crm/client-secret".to_string(),
            format!("conn/crm/42/{g}/access-token"),
            format!("conn/crm/42/{g}/refresh-token"),
        ],
        "the login's generation {} was replaced and deleted",
        login.token_generation
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_concurrent_kept_and_rotated_saves_of_one_connection_when_done_then_exactly_the_current_entries_remain(
) {
    let (mem, store, _home) = store_with_app("mixed").await;
    let first = store
        .save_connection(connection("crm", 42), &tokens("one"))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (store, first) = (store.clone(), first.clone());
        tasks.push(tokio::spawn(async move {
            let (t, source) = if i % 3 == 0 {
                (tokens(&format!("t{i}")), RefreshTokenSource::New)
            } else {
                (
                    same_refresh_token(&tokens("one"), &format!("t{i}")),
                    kept(first.refresh_token_generation()),
                )
            };
            store.save_tokens(first, &t, source).await.unwrap();
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
    assert!((0..12).any(|i| loaded
        .access_token
        .eq_secret(&tokens(&format!("t{i}")).access_token)));
    let mut expected = vec![
        "app/crm/client-secret".to_string(),
        format!("conn/crm/42/{}/access-token", current.token_generation),
        format!("conn/crm/42/{}/refresh-token", current.refresh_token_generation()),
    ];
    expected.sort();
    assert_eq!(
        mem.accounts(),
        expected,
        "every replaced entry was deleted, no current one"
    );
}

/// A connection as builds before issue 17 left it after a refresh that kept the refresh token:
/// the access token in a newer generation (`g + 1`) than the refresh token (`g`).
async fn split_generations(mem: &MemoryStore, store: &TokenStore, conn: &Connection) -> Connection {
    use hubkey_core::store::SecretStore;
    let g = conn.token_generation;
    let access = tokens("split").access_token;
    mem.set(&SecretKey::access_token("crm", 42, g + 1), access.as_secret())
        .unwrap();
    mem.delete(&SecretKey::access_token("crm", 42, g)).unwrap();
    store
        .modify_index(move |ix| {
            ix.last_generation = ix.last_generation.max(g + 1);
            let c = ix.connection_mut("crm", 42).unwrap();
            c.set_generations(g + 1, g);
            c.access_token_hint = Some(access.hint());
            Ok(c.clone())
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn given_a_connection_an_earlier_build_split_into_two_generations_when_refreshed_in_place_then_both_entries_stay_its_own(
) {
    let (mem, store, _home) = store_with_app("split").await;
    let first = store
        .save_connection(connection("crm", 42), &tokens("one"))
        .await
        .unwrap();
    let split = split_generations(&mem, &store, &first).await;
    let (g_access, g_refresh) = (split.token_generation, split.refresh_token_generation());
    assert_ne!(g_access, g_refresh);

    let mark = mem.journal().len();
    let refreshed = same_refresh_token(&tokens("one"), "two");
    let saved = store
        .save_tokens(split.clone(), &refreshed, kept(g_refresh))
        .await
        .unwrap();

    assert_eq!(
        (saved.token_generation, saved.refresh_token_generation()),
        (g_access, g_refresh)
    );
    assert_eq!(
        ops_since(&mem, mark),
        vec![(KeychainOp::Write, format!("conn/crm/42/{g_access}/access-token"))]
    );
    assert!(same_tokens(
        &store.load_tokens(&ConnectionKey::new("crm", 42)).await.unwrap(),
        &refreshed
    ));
}

#[tokio::test]
async fn given_tokens_in_two_generations_when_the_connection_is_deleted_then_both_entries_go() {
    let (mem, store, _home) = store_with_app("delete").await;
    let first = store
        .save_connection(connection("crm", 42), &tokens("one"))
        .await
        .unwrap();
    let second = split_generations(&mem, &store, &first).await;
    assert_ne!(second.token_generation, second.refresh_token_generation());

    store
        .delete_connection(&ConnectionKey::new("crm", 42))
        .await
        .unwrap();
    assert_eq!(mem.accounts(), vec!["app/crm/client-secret".to_string()]);
    assert_eq!(
        store
            .load_tokens(&ConnectionKey::new("crm", 42))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotSignedIn
    );
}

#[tokio::test]
async fn given_a_connection_when_updated_then_its_generations_and_hint_cannot_change() {
    let (_mem, store, _home) = store_with_app("update").await;
    let first = store
        .save_connection(connection("crm", 42), &tokens("one"))
        .await
        .unwrap();
    let saved = store
        .save_tokens(
            first.clone(),
            &same_refresh_token(&tokens("one"), "two"),
            kept(first.token_generation),
        )
        .await
        .unwrap();
    let updated = store
        .update_connection(&ConnectionKey::new("crm", 42), |c| {
            c.refresh_generation = Some(9999);
            c.access_token_hint = Some("a-much-longer-value".into());
            c.state_reason = Some("changed".into());
        })
        .await
        .unwrap();
    assert_eq!(updated.refresh_generation, saved.refresh_generation);
    assert_eq!(updated.access_token_hint, saved.access_token_hint);
    assert_eq!(updated.state_reason.as_deref(), Some("changed"));
}

#[tokio::test]
async fn given_a_saved_access_token_when_the_index_is_read_then_the_hint_masks_like_the_secret_and_holds_four_characters_at_most(
) {
    let (_mem, store, home) = store_with_app("hint").await;
    let long = TokenSet {
        access_token: AccessToken::new(format!("CKX{}-LeakCheck-Q7xZ", "A".repeat(300))),
        ..tokens("hint")
    };
    let saved = store.save_connection(connection("crm", 42), &long).await.unwrap();
    let stored = store
        .connection(&ConnectionKey::new("crm", 42))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, saved);
    assert_eq!(stored.masked_access_token(), Some(long.access_token.masked()));
    assert_eq!(stored.access_token_hint.as_deref(), Some("Q7xZ"));

    let text = std::fs::read_to_string(home.path().join("index.json")).unwrap();
    assert!(text.contains("\"access_token_hint\": \"Q7xZ\""), "{text}");
    assert!(
        !text.contains("-Q7xZ"),
        "more than 4 characters of the token are in the index"
    );
    assert!(!text.contains(long.refresh_token.expose()));

    // A short token shows nothing, as `Secret::masked` does.
    let short = TokenSet {
        access_token: AccessToken::new("short-token"),
        ..tokens("short")
    };
    let saved = store
        .save_connection(connection("crm", 43), &short)
        .await
        .unwrap();
    assert_eq!(saved.access_token_hint.as_deref(), Some(""));
    assert_eq!(saved.masked_access_token(), Some(short.access_token.masked()));
    let text = std::fs::read_to_string(home.path().join("index.json")).unwrap();
    assert!(text.contains("\"access_token_hint\": \"\""), "{text}");
    assert!(!text.contains("short-token"), "{text}");
}
