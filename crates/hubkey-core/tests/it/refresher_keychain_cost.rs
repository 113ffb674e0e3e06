//! What a refresh costs in keychain calls (issue #8, finding 4). Each call to the Secret Service
//! takes 8–50 ms and every write or delete makes gnome-keyring rewrite its whole file, so the
//! refresher reads only what it needs and writes only what changed:
//!
//! | flow | reads | writes | deletes |
//! | --- | --- | --- | --- |
//! | token not due (`hubkey token`, copy) | 1 (access token) | 0 | 0 |
//! | refresh, HubSpot keeps the refresh token (its default) | 2 (refresh token, client secret) | 1 (in place) | 0 |
//! | refresh, HubSpot rotates the refresh token | 2 | 2 | 2 |
//!
//! (Before: 2 reads for a token not due; 5 reads, 2 writes, 2 deletes for a due `valid_token`;
//! 3 reads, 2 writes, 2 deletes for `refresh_now`, rotated or not. Until issue 17, a kept refresh
//! token still cost a write to a new generation and a delete of the old access token.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::refresher_support;

use hubkey_core::store::{KeychainOp, MemoryStore};
use hubkey_core::{AccessToken, ConnectionKey};
use refresher_support::*;

const MIN: i64 = 60;

/// The keychain calls made since `mark` (a journal length), as (operation, account name).
fn ops_since(mem: &MemoryStore, mark: usize) -> Vec<(KeychainOp, String)> {
    mem.journal()[mark..]
        .iter()
        .map(|(op, key)| (*op, key.account()))
        .collect()
}

fn counts(ops: &[(KeychainOp, String)]) -> (usize, usize, usize) {
    let n = |op| ops.iter().filter(|(o, _)| *o == op).count();
    (n(KeychainOp::Read), n(KeychainOp::Write), n(KeychainOp::Delete))
}

#[tokio::test]
async fn given_a_token_that_is_not_due_when_asked_for_then_only_the_access_token_is_read() {
    let env = env("cost-fresh").await;
    let before = env.connect(PRO).await;
    let g = env.conn(PRO).await.token_generation;
    let r = env.refresher(quick_policy());

    let mark = env.mem.journal().len();
    let token = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();

    assert!(same(&token, &before.access_token));
    let ops = ops_since(&env.mem, mark);
    println!(
        "keychain per token not due: reads/writes/deletes = {:?}",
        counts(&ops)
    );
    assert_eq!(
        ops,
        vec![(KeychainOp::Read, format!("conn/demo/{PRO}/{g}/access-token"))]
    );
    assert_eq!(env.refreshes(), 0);
}

#[tokio::test]
async fn t8_given_an_access_token_the_index_does_not_describe_when_asked_for_before_its_expiry_then_it_is_refreshed_not_trusted(
) {
    // Given: a save that wrote a new access token over the old one in its entry stopped before it
    // updated the index (a crash, a failed index write, a keychain write that landed after its
    // timeout). The index's expiry and hint are the old token's, not this one's.
    let env = env("cost-undescribed").await;
    let before = env.connect(PRO).await;
    let conn = env.conn(PRO).await;
    let planted = AccessToken::new("CKX-token-the-index-does-not-describe-1234");
    {
        use hubkey_core::store::{SecretKey, SecretStore};
        let key = SecretKey::access_token(APP, PRO, conn.access_token_generation());
        env.mem.set(&key, planted.as_secret()).unwrap();
    }
    assert!(!conn.describes(&planted));
    env.advance(5 * MIN); // far from due by the index's expiry
    let r = env.refresher(quick_policy());

    // When: a token is asked for.
    let token = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();

    // Then: it was refreshed (one request), the new token works, and the index describes it.
    assert_eq!(env.refreshes(), 1, "the undescribed token's expiry is unknown");
    assert!(!same(&token, &planted) && !same(&token, &before.access_token));
    assert_eq!(env.api_status(&token).await, 200);
    let after = env.conn(PRO).await;
    assert!(after.describes(&token));
    assert!(same(&env.tokens(PRO).await.access_token, &token));

    // And a token the index describes is handed out again without a refresh.
    let again = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert!(same(&again, &token));
    assert_eq!(env.refreshes(), 1);
}

#[tokio::test]
async fn given_hubspot_keeps_the_refresh_token_when_a_due_token_is_refreshed_then_one_write_in_place_no_delete_and_no_old_access_token_read(
) {
    let env = env("cost-kept").await;
    let before = env.connect(PRO).await;
    let g1 = env.conn(PRO).await.token_generation;
    env.advance(26 * MIN);
    let r = env.refresher(quick_policy());

    let mark = env.mem.journal().len();
    let token = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();

    let conn = env.conn(PRO).await;
    let ops = ops_since(&env.mem, mark);
    println!(
        "keychain per refresh (refresh token kept): reads/writes/deletes = {:?}",
        counts(&ops)
    );
    assert_eq!(
        ops,
        vec![
            (KeychainOp::Read, format!("conn/demo/{PRO}/{g1}/refresh-token")),
            (KeychainOp::Read, "app/demo/client-secret".to_string()),
            (KeychainOp::Write, format!("conn/demo/{PRO}/{g1}/access-token")),
        ],
        "the new access token is written over the old one in its entry; nothing is deleted"
    );
    assert_eq!(conn.token_generation, g1, "the access token's entry is the same");
    assert_eq!(
        conn.refresh_token_generation(),
        g1,
        "the refresh token's entry is kept"
    );
    let stored = env.tokens(PRO).await;
    assert!(same(&stored.refresh_token, &before.refresh_token));
    assert!(same(&stored.access_token, &token));
    assert!(!same(&stored.access_token, &before.access_token));
    assert_eq!(conn.masked_access_token(), Some(token.masked()));
    assert!(
        conn.expires_at > before.expires_at,
        "the index has the new expiry"
    );
    assert_eq!(env.api_status(&token).await, 200);

    // `hubkey refresh` (forced) costs the same.
    let mark = env.mem.journal().len();
    let forced = r.refresh_now(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert_eq!(counts(&ops_since(&env.mem, mark)), (2, 1, 0));
    assert_eq!(forced.refresh_token_generation(), g1);

    // More cycles, then one rotation: every token handed out works, nothing is left behind.
    for _ in 0..3 {
        env.advance(26 * MIN);
        let t = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
        assert_eq!(env.api_status(&t).await, 200);
    }
    env.sandbox.update_switches(|s| s.rotate_refresh_tokens = true);
    env.advance(26 * MIN);
    let rotated = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert_eq!(env.api_status(&rotated).await, 200);
    let conn = env.conn(PRO).await;
    assert_eq!(
        conn.refresh_generation, None,
        "a rotated token is stored with the access token"
    );
    assert_eq!(env.mem.len(), 3, "client secret, access token, refresh token");
    env.sandbox.update_switches(|s| s.rotate_refresh_tokens = false);
    env.advance(26 * MIN);
    let again = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert_eq!(env.api_status(&again).await, 200);
    assert_eq!(env.mem.len(), 3);
}

#[tokio::test]
async fn given_hubspot_rotates_the_refresh_token_when_refreshed_then_both_tokens_are_written_and_both_old_ones_deleted(
) {
    let env = env("cost-rotated").await;
    env.sandbox.update_switches(|s| s.rotate_refresh_tokens = true);
    let before = env.connect(PRO).await;
    let g1 = env.conn(PRO).await.token_generation;
    env.advance(26 * MIN);
    let r = env.refresher(quick_policy());

    let mark = env.mem.journal().len();
    let token = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();

    let g2 = env.conn(PRO).await.token_generation;
    let ops = ops_since(&env.mem, mark);
    println!(
        "keychain per refresh (rotated): reads/writes/deletes = {:?}",
        counts(&ops)
    );
    assert_eq!(
        ops,
        vec![
            (KeychainOp::Read, format!("conn/demo/{PRO}/{g1}/refresh-token")),
            (KeychainOp::Read, "app/demo/client-secret".to_string()),
            (KeychainOp::Write, format!("conn/demo/{PRO}/{g2}/refresh-token")),
            (KeychainOp::Write, format!("conn/demo/{PRO}/{g2}/access-token")),
            (KeychainOp::Delete, format!("conn/demo/{PRO}/{g1}/access-token")),
            (KeychainOp::Delete, format!("conn/demo/{PRO}/{g1}/refresh-token")),
        ],
        "the new refresh token is written before the access token (T12)"
    );
    let stored = env.tokens(PRO).await;
    assert!(!same(&stored.refresh_token, &before.refresh_token));
    assert!(same(&stored.access_token, &token));
}
