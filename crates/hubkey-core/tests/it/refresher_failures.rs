//! The refresher when HubSpot misbehaves (threat-model.md T1 for refreshes): 5xx, 429 with
//! `Retry-After`, dropped connections, timeouts, outages longer than the retries, and a wrong
//! client secret. Plus the background scheduler. Backoff waits go through a recording sleeper, so
//! nothing here sleeps for real.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::refresher_support;

use hubkey_core::client::HubSpotClient;
use hubkey_core::clock::Clock;
use hubkey_core::refresher::{RefreshPolicy, Refresher};
use hubkey_core::store::ConnectionState;
use hubkey_core::ConnectionKey;
use hubkey_core::{ClientSecret, Error};
use hubspot_sandbox::{Fault, FaultPlan, DEMO_STANDARD_CLIENT_ID};
use refresher_support::*;
use std::sync::Arc;
use std::time::Duration;

const MIN: i64 = 60;

fn with_recorder(env: &Env, policy: RefreshPolicy) -> (Refresher, Arc<RecordingSleeper>) {
    let sleeper = Arc::new(RecordingSleeper::default());
    (env.refresher(policy).with_sleeper(sleeper.clone()), sleeper)
}

#[tokio::test]
async fn t1_given_a_500_then_success_when_refreshing_then_it_retries_and_goes_retrying_then_fresh() {
    let env = env("t1-500").await;
    env.connect(PRO).await;
    env.advance(26 * MIN);
    env.sandbox
        .update_switches(|s| s.faults = FaultPlan::next([Fault::Status5xx(500)]));
    let policy = RefreshPolicy {
        base_backoff: Duration::from_millis(250),
        jitter: 0.0,
        ..quick_policy()
    };
    let policy = RefreshPolicy {
        max_backoff: Duration::from_secs(1),
        ..policy
    };
    let (r, sleeper) = with_recorder(&env, policy);
    let mut events = r.subscribe();

    let token = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();

    assert_eq!(env.refreshes(), 2, "one failure, one success");
    assert_eq!(
        sleeper.waits(),
        vec![Duration::from_millis(250)],
        "one backoff of base_backoff"
    );
    let seen = drain(&mut events);
    assert_eq!(
        states(&seen),
        vec![
            ConnectionState::Refreshing,
            ConnectionState::Retrying,
            ConnectionState::Fresh
        ],
        "{seen:?}"
    );
    assert!(
        seen[1].state_reason.as_deref().unwrap().contains("HTTP 500"),
        "{seen:?}"
    );
    let conn = env.conn(PRO).await;
    assert_eq!((conn.state, conn.state_reason), (ConnectionState::Fresh, None));
    assert_eq!(env.api_status(&token).await, 200);
    // Events carry no secret.
    let json = serde_json::to_string(&seen).unwrap();
    assert!(!json.contains(token.expose()));
}

#[tokio::test]
async fn t1_given_a_429_with_retry_after_when_refreshing_then_the_wait_honours_it_up_to_the_cap() {
    let env = env("t1-429").await;
    env.connect(PRO).await;
    env.advance(26 * MIN);
    let policy = RefreshPolicy {
        base_backoff: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(60),
        ..quick_policy()
    };
    let (r, sleeper) = with_recorder(&env, policy);

    env.sandbox
        .update_switches(|s| s.faults = FaultPlan::next([Fault::Status429 { retry_after_secs: 2 }]));
    r.refresh_now(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert_eq!(
        sleeper.waits(),
        vec![Duration::from_secs(2)],
        "Retry-After: 2 honoured"
    );

    // A Retry-After beyond the policy's cap is capped inside one refresh.
    let policy = RefreshPolicy {
        max_retry_after: Duration::from_millis(300),
        ..quick_policy()
    };
    let (r, sleeper) = with_recorder(&env, policy);
    env.sandbox.update_switches(|s| {
        s.faults = FaultPlan::next([Fault::Status429 {
            retry_after_secs: 120,
        }])
    });
    r.refresh_now(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert_eq!(sleeper.waits(), vec![Duration::from_millis(300)]);
    assert_eq!(env.refreshes(), 4);
    let log = env.sandbox.requests();
    assert_eq!(
        log.iter()
            .filter(|r| r.fault.as_deref() == Some("status429"))
            .count(),
        2
    );
}

#[tokio::test]
async fn t1_given_a_dropped_connection_when_refreshing_then_it_is_retried() {
    let env = env("t1-drop").await;
    let before = env.connect(PRO).await;
    env.advance(26 * MIN);
    env.sandbox
        .update_switches(|s| s.faults = FaultPlan::next([Fault::Drop, Fault::Drop]));
    let (r, sleeper) = with_recorder(&env, quick_policy());

    let token = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();

    assert_eq!(env.refreshes(), 3);
    assert_eq!(sleeper.waits().len(), 2);
    assert!(!same(&token, &before.access_token));
    assert_eq!(env.api_status(&token).await, 200);
}

#[tokio::test]
async fn t1_given_a_token_endpoint_slower_than_the_client_timeout_when_refreshing_then_the_timeout_is_retried(
) {
    let env = env("t1-timeout").await;
    env.connect(PRO).await;
    env.advance(26 * MIN);
    env.sandbox
        .update_switches(|s| s.faults = FaultPlan::next([Fault::Delay(1500)]));
    let client = HubSpotClient::builder(endpoints(&env.sandbox))
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let clock: Arc<dyn Clock> = env.clock.clone();
    let sleeper = Arc::new(RecordingSleeper::default());
    let r = Refresher::new(client, env.store.clone(), clock, quick_policy()).with_sleeper(sleeper.clone());
    let mut events = r.subscribe();

    let token = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();

    assert_eq!(sleeper.waits().len(), 1, "one timeout, then success");
    let seen = drain(&mut events);
    assert!(
        seen.iter().any(|e| e.state == ConnectionState::Retrying
            && e.state_reason.as_deref().is_some_and(|r| r.contains("no answer"))),
        "{seen:?}"
    );
    assert_eq!(env.api_status(&token).await, 200);
}

#[tokio::test]
async fn t1_given_every_attempt_fails_when_refreshing_then_transient_state_retrying_and_tokens_intact() {
    let env = env("t1-outage").await;
    let before = env.connect(PRO).await;
    env.advance(26 * MIN);
    env.sandbox
        .update_switches(|s| s.faults = FaultPlan::next([Fault::Status5xx(503); 10]));
    let policy = RefreshPolicy {
        max_attempts: 3,
        base_backoff: Duration::from_millis(100),
        jitter: 0.0,
        ..quick_policy()
    };
    let policy = RefreshPolicy {
        max_backoff: Duration::from_secs(10),
        ..policy
    };
    let (r, sleeper) = with_recorder(&env, policy);

    let err = r.refresh_now(&ConnectionKey::new(APP, PRO)).await.unwrap_err();

    assert!(matches!(err, Error::Transient { .. }), "{err:?}");
    assert_eq!(env.refreshes(), 3, "bounded by max_attempts");
    assert_eq!(
        sleeper.waits(),
        vec![Duration::from_millis(100), Duration::from_millis(200)],
        "exponential"
    );
    let conn = env.conn(PRO).await;
    assert_eq!(conn.state, ConnectionState::Retrying);
    let reason = conn.state_reason.unwrap();
    assert!(
        reason.contains("HTTP 503") && reason.contains("attempt 3 of 3"),
        "{reason}"
    );
    let stored = env.tokens(PRO).await;
    assert!(
        same(&stored.access_token, &before.access_token)
            && same(&stored.refresh_token, &before.refresh_token)
    );

    // When HubSpot is back, the next call recovers and the state is fresh again.
    env.sandbox.update_switches(|s| s.faults = FaultPlan::default());
    r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    let conn = env.conn(PRO).await;
    assert_eq!((conn.state, conn.state_reason), (ConnectionState::Fresh, None));
}

#[tokio::test]
async fn t1_given_a_wrong_client_secret_when_refreshing_then_config_error_tokens_kept_and_no_retry() {
    let env = env("t1-config").await;
    let before = env.connect(PRO).await;
    env.advance(26 * MIN);
    env.store
        .save_app(&env.app, &ClientSecret::new("not-the-secret"))
        .await
        .unwrap();
    let (r, sleeper) = with_recorder(&env, quick_policy());

    let err = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap_err();

    assert!(
        matches!(&err, Error::HubSpotConfig(f) if f.status.as_deref() == Some("BAD_CLIENT_SECRET")),
        "{err:?}"
    );
    assert_eq!(env.refreshes(), 1, "no retry");
    assert!(sleeper.waits().is_empty());
    let conn = env.conn(PRO).await;
    assert_eq!(conn.state, ConnectionState::Fresh, "state kept");
    let reason = conn.state_reason.unwrap();
    assert!(
        reason.starts_with("BAD_CLIENT_SECRET") && reason.contains("client secret"),
        "{reason}"
    );
    let stored = env.tokens(PRO).await;
    assert!(
        same(&stored.refresh_token, &before.refresh_token)
            && same(&stored.access_token, &before.access_token)
    );

    // Fixing the secret fixes the connection.
    env.store
        .save_app(&env.app, &client_secret(&env.sandbox))
        .await
        .unwrap();
    r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert_eq!(env.conn(PRO).await.state_reason, None);
}

// ----- background scheduler ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_the_scheduler_when_a_connection_becomes_due_then_it_is_refreshed_without_a_caller_and_stops_on_shutdown(
) {
    let env = env("bg").await;
    let before = env.connect(PRO).await;
    env.connect(STARTER).await;
    env.advance(26 * MIN); // both due now
    env.sandbox.uninstall(DEMO_STANDARD_CLIENT_ID, STARTER); // STARTER will need re-authorization
    let r = env.refresher(quick_policy());
    let mut events = r.subscribe();

    // When: the scheduler runs; nobody asks for a token.
    let handle = r.spawn();

    // Then: PRO is refreshed and announced; STARTER is marked and announced once.
    let seen = wait_for(&mut events, |e| {
        e.key.hub_id == PRO && e.state == ConnectionState::Fresh
    })
    .await;
    assert!(
        seen.iter()
            .any(|e| e.key.hub_id == PRO && e.state == ConnectionState::Refreshing),
        "{seen:?}"
    );
    let stored = env.tokens(PRO).await;
    assert!(!same(&stored.access_token, &before.access_token));
    assert_eq!(env.api_status(&stored.access_token).await, 200);
    let mut all = seen;
    if env.conn(STARTER).await.state != ConnectionState::NeedsReauth {
        all.extend(
            wait_for(&mut events, |e| {
                e.key.hub_id == STARTER && e.state == ConnectionState::NeedsReauth
            })
            .await,
        );
    }
    let refreshes_after_first_pass = env.refreshes();
    assert_eq!(
        refreshes_after_first_pass, 2,
        "one for PRO, one (refused) for STARTER"
    );

    // Nothing is due for 25 minutes: the scheduler sleeps and makes no calls.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        env.refreshes(),
        refreshes_after_first_pass,
        "no polling while idle"
    );

    // Time passes (the manual clock jumps); a nudge wakes the scheduler, which refreshes PRO again
    // and leaves STARTER alone.
    env.advance(26 * MIN);
    r.nudge();
    let more = wait_for(&mut events, |e| {
        e.key.hub_id == PRO && e.state == ConnectionState::Fresh
    })
    .await;
    all.extend(more);
    tokio::time::sleep(Duration::from_millis(100)).await;
    r.nudge();
    tokio::time::sleep(Duration::from_millis(200)).await;
    all.extend(drain(&mut events));
    assert_eq!(
        env.refreshes(),
        refreshes_after_first_pass + 1,
        "PRO only; STARTER is not retried"
    );
    let reauth = all
        .iter()
        .filter(|e| e.key.hub_id == STARTER && e.state == ConnectionState::NeedsReauth)
        .count();
    assert_eq!(reauth, 1, "needs_reauth announced once per incident: {all:?}");

    // Shutdown ends the task.
    tokio::time::timeout(Duration::from_secs(5), handle.shutdown())
        .await
        .expect("the scheduler stops");
}

#[tokio::test]
async fn given_no_connections_when_the_scheduler_runs_then_it_waits_for_a_nudge_and_picks_up_new_ones() {
    let env = env("bg-empty").await;
    let r = env.refresher(quick_policy());
    let mut events = r.subscribe();
    let handle = r.spawn();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!handle.is_finished());

    env.connect(PRO).await;
    env.advance(26 * MIN);
    r.nudge();
    wait_for(&mut events, |e| {
        e.key.hub_id == PRO && e.state == ConnectionState::Fresh
    })
    .await;
    assert_eq!(env.refreshes(), 1);

    handle.shutdown().await;
}

#[tokio::test]
async fn t1_given_hubspot_down_when_a_token_is_asked_for_then_the_still_valid_one_is_handed_out_until_it_nearly_expires(
) {
    let env = env("t1-fallback").await;
    let before = env.connect(PRO).await;
    env.advance(26 * MIN);
    env.sandbox
        .update_switches(|s| s.faults = FaultPlan::next([Fault::Status5xx(503); 20]));
    let policy = RefreshPolicy {
        max_attempts: 2,
        base_backoff: Duration::from_millis(10),
        jitter: 0.0,
        ..quick_policy()
    };
    let (r, _sleeper) = with_recorder(&env, policy);

    // 4 minutes left: the refresh fails, the current token is still good to use.
    let token = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert!(same(&token, &before.access_token));
    assert_eq!(env.conn(PRO).await.state, ConnectionState::Retrying);

    // 30 seconds left: too close to expiry to hand out; the failure is reported.
    env.advance(3 * MIN + 30);
    let err = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap_err();
    assert!(matches!(err, Error::Transient { .. }), "{err:?}");
}

// ----- docs/SECURITY.md finding 9 -----------------------------------------------------------

/// The red team's run: HubSpot rotates the refresh token, the keychain save then times out, and
/// the only valid refresh token lived in memory until the process ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f9_given_hubspot_rotated_the_refresh_token_when_the_keychain_save_times_out_then_the_new_one_is_kept_reported_and_saved_once_the_keychain_answers(
) {
    use hubkey_core::store::{Fault as KeychainFault, TokenStore};
    let env = env("f9").await;
    env.sandbox.update_switches(|s| s.rotate_refresh_tokens = true);
    let before = env.connect(PRO).await;
    env.advance(26 * MIN);
    let store = TokenStore::new(env.mem.clone(), env.home.path()).with_timeout(Duration::from_millis(200));
    let sleeper = Arc::new(RecordingSleeper::default());
    let r = env
        .refresher_on(store, quick_policy())
        .with_sleeper(sleeper.clone());
    let mut events = r.subscribe();

    // When: the keychain stops answering writes between reading the refresh token and saving
    // HubSpot's new one.
    env.mem.set_fault(Some(KeychainFault::HangWrites));
    let err = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap_err();

    // Then: the failure says what happened and what to do, with the keychain exit code.
    assert!(matches!(err, Error::UnsavedRefreshToken { .. }), "{err:?}");
    assert_eq!(err.exit_code(), 4);
    assert!(err.to_string().contains("keeps it in this process"), "{err}");
    assert_eq!(env.refreshes(), 1, "one refresh at HubSpot");
    assert!(
        sleeper.waits().len() >= 2,
        "the save was retried: {:?}",
        sleeper.waits()
    );
    let reported: Vec<_> = drain(&mut events)
        .into_iter()
        .filter(|e| {
            e.state_reason
                .as_deref()
                .is_some_and(|r| r.contains("did not save"))
        })
        .collect();
    assert!(!reported.is_empty(), "the UI is told");
    // The keychain still holds the old refresh token, so the new one exists only in this process,
    // which therefore must not be replaced (the desktop app's relaunch waits for this).
    assert!(same(&env.tokens(PRO).await.refresh_token, &before.refresh_token));
    assert!(r.has_unsaved(&ConnectionKey::new(APP, PRO)) && r.is_refreshing());

    // Another process cannot spend the old refresh token meanwhile: the connection stays locked.
    let other_policy = RefreshPolicy {
        lock_timeout: Duration::from_millis(300),
        ..quick_policy()
    };
    let other = env.refresher_on(env.other_process_store(), other_policy);
    assert!(matches!(
        other.refresh_now(&ConnectionKey::new(APP, PRO)).await,
        Err(Error::Transient { .. })
    ));
    assert_eq!(env.refreshes(), 1);

    // While the keychain still fails, asking again retries the save and reports again.
    assert!(matches!(
        r.valid_token(&ConnectionKey::new(APP, PRO)).await,
        Err(Error::UnsavedRefreshToken { .. })
    ));
    assert_eq!(env.refreshes(), 1, "HubSpot is not asked again");

    // When the keychain answers again, the kept token set is saved and used.
    env.mem.set_fault(None);
    let token = r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert_eq!(
        env.refreshes(),
        1,
        "the kept tokens were saved, not refreshed again"
    );
    assert_eq!(env.api_status(&token).await, 200);
    let stored = env.tokens(PRO).await;
    assert!(
        !same(&stored.refresh_token, &before.refresh_token),
        "the rotated refresh token is stored"
    );
    assert!(!r.has_unsaved(&ConnectionKey::new(APP, PRO)) && !r.is_refreshing());
    assert_eq!(env.conn(PRO).await.state, ConnectionState::Fresh);

    // And it is the one HubSpot accepts: another process refreshes with it.
    let other = env.refresher_on(env.other_process_store(), quick_policy());
    other.refresh_now(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert_eq!(env.successful_refreshes(), 2);
}
