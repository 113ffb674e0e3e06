//! The refresher against the HubSpot sandbox over real HTTP: single-flight (T10), cross-process
//! races (T11), rotation and persist-before-use (T12), revoked grants (T13) and expiry maths with
//! a manual clock (T14). Keychain: the in-memory double; home: a temporary folder.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::refresher_support;

use hubkey_core::refresher::RefreshPolicy;
use hubkey_core::store::ConnectionState;
use hubkey_core::ConnectionKey;
use hubkey_core::{AccessToken, Error};
use hubspot_sandbox::{Fault, FaultPlan, DEMO_STANDARD_CLIENT_ID};
use refresher_support::*;
use std::time::Duration;

const MIN: i64 = 60;

// ----- T10 ------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t10_given_a_token_expiring_within_5_min_when_20_callers_ask_at_once_then_one_refresh_and_one_token()
{
    // Given: a connection whose access token expires in 4 minutes, and a slow token endpoint so
    // that all callers overlap with the refresh.
    let env = env("t10").await;
    let original = env.connect(PRO).await;
    env.advance(26 * MIN);
    env.sandbox
        .update_switches(|s| s.faults = FaultPlan::next([Fault::Delay(300)]));
    let refresher = env.refresher(RefreshPolicy::default());

    // When: 20 concurrent valid_token() calls.
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let r = refresher.clone();
            tokio::spawn(async move { r.valid_token(&ConnectionKey::new(APP, PRO)).await })
        })
        .collect();
    let mut tokens: Vec<AccessToken> = Vec::new();
    for c in calls {
        tokens.push(c.await.unwrap().unwrap());
    }

    // Then: HubSpot saw exactly one refresh, and every caller got the same new token.
    assert_eq!(env.refreshes(), 1, "one refresh for 20 callers");
    assert!(
        tokens.iter().all(|t| same(t, &tokens[0])),
        "all callers share one token"
    );
    assert!(
        !same(&tokens[0], &original.access_token),
        "the token was refreshed"
    );
    assert!(
        same(&env.tokens(PRO).await.access_token, &tokens[0]),
        "the handed-out token is the stored one"
    );
    assert_eq!(env.conn(PRO).await.state, ConnectionState::Fresh);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_slow_refresh_when_asked_then_the_refresher_says_it_is_refreshing_until_it_is_done() {
    // Given: a connection and a token endpoint that answers after 400 ms.
    let env = env("is-refreshing").await;
    env.connect(PRO).await;
    env.sandbox
        .update_switches(|s| s.faults = FaultPlan::next([Fault::Delay(400)]));
    let refresher = env.refresher(RefreshPolicy::default());
    assert!(!refresher.is_refreshing(), "nothing under way yet");

    // When: a forced refresh runs.
    let running = {
        let r = refresher.clone();
        tokio::spawn(async move { r.refresh_now(&ConnectionKey::new(APP, PRO)).await })
    };

    // Then: it is reported while HubSpot is slow, and no longer once it is stored.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !refresher.is_refreshing() {
        assert!(
            std::time::Instant::now() < deadline,
            "the refresh never showed as under way"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    running.await.unwrap().unwrap();
    assert!(!refresher.is_refreshing());
    assert_eq!(env.refreshes(), 1);
}

// ----- T11 ------------------------------------------------------------------------------------

/// Given rotation on and process B's refresh in flight with the old refresh token (HubSpot is
/// slow), when another writer (A) rotates the token and stores its result before HubSpot handles
/// B's request, then HubSpot refuses B (`BAD_REFRESH_TOKEN`), B re-reads the keychain, finds A's
/// newer refresh token and adopts A's tokens: B succeeds and the connection stays fresh.
///
/// A is a writer that does not take the refresh lock (a new login of the same portal, an older
/// build, a file system without advisory locks): with the lock honoured, B could never have sent
/// a stale token (see the next test).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t11_given_another_writer_rotated_the_token_when_hubspot_refuses_ours_then_the_stored_tokens_are_adopted(
) {
    let env = env("t11a").await;
    env.sandbox.update_switches(|s| s.rotate_refresh_tokens = true);
    let original = env.connect(PRO).await;
    env.advance(26 * MIN);
    // B's refresh request is held for 1 s inside the sandbox before it is handled.
    env.sandbox
        .update_switches(|s| s.faults = FaultPlan::next([Fault::Delay(1000)]));
    let b = env.refresher_on(env.other_process_store(), RefreshPolicy::default());
    let mut events = b.subscribe();
    let b_call = tokio::spawn(async move { b.valid_token(&ConnectionKey::new(APP, PRO)).await });

    // Wait until B's request has reached HubSpot (it took the queued delay).
    let t0 = std::time::Instant::now();
    while !env.sandbox.switches().faults.queue.is_empty() {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "B's refresh never reached the sandbox"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    // A: refreshes with the same (old) refresh token and stores the rotated result.
    let secret = client_secret(&env.sandbox);
    let now = env.now();
    let a = client(&env.sandbox)
        .refresh(&env.app, &secret, &original.refresh_token, now)
        .await
        .unwrap();
    assert!(a.rotated, "the sandbox rotates");
    env.store
        .save_connection(env.conn(PRO).await, &a.tokens)
        .await
        .unwrap();

    // B: refused by HubSpot, but adopts A's tokens.
    let b_token = b_call
        .await
        .unwrap()
        .expect("B adopts the stored tokens instead of failing");
    assert!(
        same(&b_token, &a.tokens.access_token),
        "B hands out A's access token"
    );
    let conn = env.conn(PRO).await;
    assert_eq!(conn.state, ConnectionState::Fresh, "not needs_reauth");
    assert_eq!(conn.state_reason, None);
    assert!(
        same(&env.tokens(PRO).await.refresh_token, &a.tokens.refresh_token),
        "A's refresh token kept"
    );
    let log = env.sandbox.requests();
    let refreshes: Vec<_> = log
        .iter()
        .filter(|r| r.grant_type.as_deref() == Some("refresh_token"))
        .collect();
    assert_eq!(refreshes.len(), 2, "A's and B's");
    assert_eq!(
        refreshes.iter().filter(|r| r.status == 400).count(),
        1,
        "B was refused"
    );
    assert!(!drain(&mut events)
        .iter()
        .any(|e| e.state == ConnectionState::NeedsReauth));
    // And the adopted tokens work.
    assert_eq!(env.api_status(&b_token).await, 200);
}

/// Given two refreshers that share nothing in memory (two processes: own TokenStore, own gates)
/// but the same home and keychain, with rotation on, when both need a refresh at the same time,
/// then the file lock serialises them: the second re-reads after the first has saved and makes no
/// HTTP call; both hand out the same token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t11_given_two_processes_racing_when_both_refresh_then_the_file_lock_allows_one_http_refresh() {
    let env = env("t11b").await;
    env.sandbox.update_switches(|s| s.rotate_refresh_tokens = true);
    env.connect(PRO).await;
    env.advance(26 * MIN);
    env.sandbox
        .update_switches(|s| s.faults = FaultPlan::next([Fault::Delay(400)]));
    let a = env.refresher_on(env.store.clone(), RefreshPolicy::default());
    let b = env.refresher_on(env.other_process_store(), RefreshPolicy::default());

    let (ta, tb) = tokio::join!(
        tokio::spawn(async move { a.valid_token(&ConnectionKey::new(APP, PRO)).await }),
        tokio::spawn(async move { b.valid_token(&ConnectionKey::new(APP, PRO)).await })
    );
    let (ta, tb) = (ta.unwrap().unwrap(), tb.unwrap().unwrap());

    assert_eq!(env.refreshes(), 1, "the loser waited on the lock and re-read");
    assert!(same(&ta, &tb));
    assert!(same(&env.tokens(PRO).await.access_token, &ta));
    assert_eq!(env.conn(PRO).await.state, ConnectionState::Fresh);
    assert_eq!(env.api_status(&ta).await, 200);
}

// ----- T12 ------------------------------------------------------------------------------------

#[tokio::test]
async fn t12_given_rotation_on_when_refreshed_then_the_new_refresh_token_is_stored_before_the_token_is_returned(
) {
    let env = env("t12a").await;
    env.sandbox.update_switches(|s| s.rotate_refresh_tokens = true);
    let before = env.connect(PRO).await;
    env.advance(26 * MIN);
    let r = env.refresher(quick_policy());

    let token = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();

    let stored = env.tokens(PRO).await;
    assert!(
        !same(&stored.refresh_token, &before.refresh_token),
        "the rotated refresh token is stored"
    );
    assert!(
        same(&stored.access_token, &token),
        "the returned token is the stored one"
    );
    let conn = env.conn(PRO).await;
    assert_eq!(conn.last_refreshed_at, Some(env.now()));
    assert!(conn.expires_at > env.now() + time::Duration::minutes(29));
    // The old refresh token is dead at HubSpot, so only the stored one can keep the connection.
    let secret = client_secret(&env.sandbox);
    let old = client(&env.sandbox)
        .refresh(&env.app, &secret, &before.refresh_token, env.now())
        .await;
    assert!(matches!(old, Err(Error::NeedsReauth(_))));
    // A second cycle works with what was stored.
    env.advance(26 * MIN);
    let again = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert!(!same(&again, &token));
    assert_eq!(env.api_status(&again).await, 200);
}

#[tokio::test]
async fn t12_given_rotation_off_when_refreshed_then_the_old_refresh_token_is_kept() {
    let env = env("t12b").await;
    let before = env.connect(PRO).await;
    env.advance(26 * MIN);
    let token = env
        .refresher(quick_policy())
        .valid_token(&ConnectionKey::new(APP, PRO))
        .await
        .unwrap();

    let stored = env.tokens(PRO).await;
    assert!(
        same(&stored.refresh_token, &before.refresh_token),
        "same refresh token"
    );
    assert!(
        !same(&stored.access_token, &before.access_token),
        "new access token"
    );
    assert!(same(&stored.access_token, &token));
}

#[tokio::test]
async fn t12_given_the_first_keychain_write_fails_when_refreshed_with_rotation_then_the_save_is_retried_before_use(
) {
    let env = env("t12c").await;
    env.sandbox.update_switches(|s| s.rotate_refresh_tokens = true);
    let before = env.connect(PRO).await;
    env.advance(26 * MIN);
    let r = env.refresher(quick_policy());
    env.mem.fail_nth_write(1);

    let token = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();

    let stored = env.tokens(PRO).await;
    assert!(same(&stored.access_token, &token));
    assert!(!same(&stored.refresh_token, &before.refresh_token));
    assert_eq!(
        env.refreshes(),
        1,
        "the HubSpot call is not repeated, only the save"
    );
}

// ----- T13 ------------------------------------------------------------------------------------

#[tokio::test]
async fn f8_given_an_uninstall_found_by_a_forced_refresh_when_a_token_is_asked_for_while_the_old_one_is_unexpired_then_none_is_handed_out(
) {
    // The red team's run: the app uninstalled, `hubkey refresh` says "re-authorize", and then
    // `hubkey token` still printed the dead access token (docs/SECURITY.md, finding 8).
    let env = env("f8").await;
    env.connect(PRO).await;
    assert_eq!(env.sandbox.uninstall(DEMO_STANDARD_CLIENT_ID, PRO), 1);
    let r = env.refresher(quick_policy());
    assert!(matches!(
        r.refresh_now(&ConnectionKey::new(APP, PRO)).await,
        Err(Error::NeedsReauth(_))
    ));
    let conn = env.conn(PRO).await;
    assert_eq!(conn.state, ConnectionState::NeedsReauth);
    let now = hubkey_core::clock::Clock::now(env.clock.as_ref());
    assert!(
        conn.expires_at > now + time::Duration::minutes(20),
        "the old token has not expired"
    );

    let requests = env.sandbox.requests().len();
    let err = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap_err();
    assert!(matches!(err, Error::NeedsReauth(_)), "{err:?}");
    assert_eq!(
        env.sandbox.requests().len(),
        requests,
        "answered from the index, no HTTP call"
    );
    // And a second process (another `hubkey token`) is refused the same way.
    let other = env.refresher_on(env.other_process_store(), quick_policy());
    assert!(matches!(
        other.valid_token(&ConnectionKey::new(APP, PRO)).await,
        Err(Error::NeedsReauth(_))
    ));
}

#[tokio::test]
async fn t13_given_the_app_was_uninstalled_when_a_token_is_needed_then_needs_reauth_after_one_call_and_nothing_deleted(
) {
    let env = env("t13a").await;
    let before = env.connect(PRO).await;
    env.advance(26 * MIN);
    assert_eq!(env.sandbox.uninstall(DEMO_STANDARD_CLIENT_ID, PRO), 1);
    let r = env.refresher(quick_policy());
    let mut events = r.subscribe();

    // When: a token is needed.
    let err = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap_err();

    // Then: re-authorization needed, with HubSpot's status, after exactly one HTTP call.
    match &err {
        Error::NeedsReauth(f) => assert_eq!(f.status.as_deref(), Some("BAD_REFRESH_TOKEN")),
        other => panic!("expected NeedsReauth, got {other:?}"),
    }
    assert_eq!(env.refreshes(), 1);
    let conn = env.conn(PRO).await;
    assert_eq!(conn.state, ConnectionState::NeedsReauth);
    assert_eq!(conn.state_reason.as_deref(), Some("BAD_REFRESH_TOKEN"));

    // And: asking again makes no HTTP request at all.
    let requests = env.sandbox.requests().len();
    for _ in 0..3 {
        assert!(matches!(
            r.valid_token(&ConnectionKey::new(APP, PRO)).await,
            Err(Error::NeedsReauth(_))
        ));
        assert!(matches!(
            r.refresh_now(&ConnectionKey::new(APP, PRO)).await,
            Err(Error::NeedsReauth(_))
        ));
    }
    assert_eq!(env.sandbox.requests().len(), requests, "no retry loop");

    // Nothing was deleted.
    let stored = env.tokens(PRO).await;
    assert!(
        same(&stored.refresh_token, &before.refresh_token)
            && same(&stored.access_token, &before.access_token)
    );

    // One needs_reauth event for the incident, however often it was hit.
    let reauth: Vec<_> = drain(&mut events)
        .into_iter()
        .filter(|e| e.state == ConnectionState::NeedsReauth)
        .collect();
    assert_eq!(reauth.len(), 1, "{reauth:?}");
    assert_eq!(reauth[0].state_reason.as_deref(), Some("BAD_REFRESH_TOKEN"));

    // A new login saves the connection again: refreshing resumes, and a new incident would be
    // notified again.
    env.connect(PRO).await;
    env.advance(26 * MIN);
    let token = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert_eq!(env.api_status(&token).await, 200);
    assert_eq!(env.conn(PRO).await.state, ConnectionState::Fresh);
    assert_eq!(env.refreshes(), 2);
}

#[tokio::test]
async fn t13_given_the_portal_was_deleted_when_a_token_is_needed_then_needs_reauth_with_bad_hub() {
    let env = env("t13b").await;
    env.connect(PRO).await;
    env.advance(26 * MIN);
    env.sandbox.delete_portal(PRO);
    let r = env.refresher(quick_policy());

    let err = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap_err();

    assert!(
        matches!(&err, Error::NeedsReauth(f) if f.status.as_deref() == Some("BAD_HUB")),
        "{err:?}"
    );
    let conn = env.conn(PRO).await;
    assert_eq!(conn.state, ConnectionState::NeedsReauth);
    assert_eq!(conn.state_reason.as_deref(), Some("BAD_HUB"));
    assert_eq!(env.refreshes(), 1);
    assert!(matches!(
        r.refresh_now(&ConnectionKey::new(APP, PRO)).await,
        Err(Error::NeedsReauth(_))
    ));
    assert_eq!(env.refreshes(), 1);
    env.tokens(PRO).await; // still stored
}

// ----- T14 ------------------------------------------------------------------------------------

#[tokio::test]
async fn t14_given_a_manual_clock_when_moving_around_the_margin_then_exactly_one_refresh_in_the_window() {
    let env = env("t14a").await;
    env.connect(PRO).await; // expires in 30 min (the sandbox's expires_in): due at 25 min
    let r = env.refresher(quick_policy());

    // Before the margin: no refresh.
    env.advance(25 * MIN - 1);
    r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert_eq!(env.refreshes(), 0, "1 s before the margin");

    // Inside the margin: exactly one, however often asked.
    env.advance(1);
    for _ in 0..5 {
        r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    }
    assert_eq!(env.refreshes(), 1, "once in the window");

    // Clock jumps backward (NTP, manual change): nothing is due.
    env.advance(-3 * 60 * MIN);
    r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert_eq!(env.refreshes(), 1, "after a backward jump");
    env.clock.advance(time::Duration::hours(3)); // back to where it was (the sandbox never left)

    // Clock jumps far forward (resume from a long suspend): one refresh, then fresh again.
    env.advance(10 * 60 * MIN);
    for _ in 0..3 {
        r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    }
    assert_eq!(env.refreshes(), 2, "once after the forward jump");
    let token = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert_eq!(env.api_status(&token).await, 200);
}

#[tokio::test]
async fn t14_given_a_one_hour_token_when_26_minutes_pass_then_no_refresh_because_nothing_assumes_30_minutes()
{
    let env = env("t14b").await;
    env.sandbox.update_switches(|s| s.access_token_ttl_secs = 3600);
    env.connect(PRO).await;
    let r = env.refresher(quick_policy());

    env.advance(26 * MIN);
    r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert_eq!(
        env.refreshes(),
        0,
        "a 60-minute token is not due after 26 minutes"
    );
    env.advance(29 * MIN - 1);
    r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert_eq!(env.refreshes(), 0);
    env.advance(1);
    r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert_eq!(env.refreshes(), 1, "due at 55 minutes");
}

#[tokio::test]
async fn t14_given_a_token_shorter_lived_than_twice_the_margin_then_it_is_refreshed_at_half_life_not_in_a_loop(
) {
    let env = env("t14c").await;
    env.sandbox.update_switches(|s| s.access_token_ttl_secs = 120);
    env.connect(PRO).await;
    let r = env.refresher(quick_policy());

    r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert_eq!(
        env.refreshes(),
        0,
        "a brand-new 2-minute token is not refreshed at once"
    );
    env.advance(59);
    r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert_eq!(env.refreshes(), 0);
    env.advance(1);
    r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert_eq!(env.refreshes(), 1, "refreshed at half-life, once");
}

#[tokio::test]
async fn given_a_fresh_token_when_refresh_now_then_it_refreshes_anyway_and_stores_the_result() {
    let env = env("force").await;
    let before = env.connect(PRO).await;
    let r = env.refresher(quick_policy());

    let conn = r.refresh_now(&ConnectionKey::new(APP, PRO)).await.unwrap();

    assert_eq!(env.refreshes(), 1);
    assert_eq!(conn.state, ConnectionState::Fresh);
    assert_eq!(conn, env.conn(PRO).await);
    assert!(!same(&env.tokens(PRO).await.access_token, &before.access_token));
}
