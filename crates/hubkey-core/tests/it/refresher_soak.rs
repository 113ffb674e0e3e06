//! Soak test (issue 4 acceptance): 500 refresh cycles against the sandbox with refresh-token
//! rotation on and seeded random faults on the token endpoint (≈10 % 5xx, 5 % 429 with
//! `Retry-After` 0 or 1 s, 5 % dropped connections). Time is simulated: our manual clock and the
//! sandbox clock jump 26 minutes per cycle, so each cycle's token is due. Backoff and the
//! `Retry-After` cap are shrunk by the policy to keep the wall time low.
//!
//! Expected: every cycle yields a new, working token; no connection ends in `needs_reauth`; no
//! token is lost (the final stored token introspects active and calls the protected API); the
//! number of successful refreshes equals the number of cycles. The figures are printed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::refresher_support;

use hubkey_core::refresher::RefreshPolicy;
use hubkey_core::store::ConnectionState;
use hubkey_core::AccessToken;
use hubkey_core::ConnectionKey;
use hubspot_sandbox::{Fault, FaultPlan, RandomFaults};
use refresher_support::*;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const CYCLES: usize = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_given_rotation_and_random_faults_when_500_cycles_run_then_every_refresh_succeeds_and_nothing_is_lost(
) {
    let env = env("soak").await;
    env.sandbox.update_switches(|s| s.rotate_refresh_tokens = true);
    env.connect(PRO).await;
    env.sandbox.update_switches(|s| {
        s.faults = FaultPlan {
            queue: Default::default(),
            random: Some(RandomFaults {
                seed: 0x4855_424b,
                probability: 0.2,
                faults: vec![
                    Fault::Status5xx(500),
                    Fault::Status5xx(502),
                    Fault::Status5xx(503),
                    Fault::Status5xx(504),
                    Fault::Status429 { retry_after_secs: 0 },
                    Fault::Status429 { retry_after_secs: 1 },
                    Fault::Drop,
                    Fault::Drop,
                ],
            }),
        }
    });
    let policy = RefreshPolicy {
        max_attempts: 10,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(4),
        jitter: 0.5,
        max_retry_after: Duration::from_millis(2),
        ..RefreshPolicy::default()
    };
    let r = env.refresher(policy);
    let mut events = r.subscribe();

    let started = Instant::now();
    let mut previous: Option<AccessToken> = None;
    let mut slowest = Duration::ZERO;
    for cycle in 0..CYCLES {
        env.advance(26 * 60);
        let t0 = Instant::now();
        let token = r
            .valid_token(&ConnectionKey::new(APP, PRO))
            .await
            .unwrap_or_else(|e| panic!("cycle {cycle}: {e} ({:?})", e.code()));
        slowest = slowest.max(t0.elapsed());
        if let Some(p) = &previous {
            assert!(!same(p, &token), "cycle {cycle}: the token was not refreshed");
        }
        previous = Some(token);
        // Drain as we go so the broadcast buffer never lags.
        for e in drain(&mut events) {
            assert_ne!(e.state, ConnectionState::NeedsReauth, "cycle {cycle}: {e:?}");
        }
    }
    let wall = started.elapsed();
    env.sandbox.update_switches(|s| s.faults = FaultPlan::default());

    // Figures.
    let log = env.sandbox.requests();
    let refresh_log: Vec<_> = log
        .iter()
        .filter(|r| r.path.ends_with("/token") && r.grant_type.as_deref() == Some("refresh_token"))
        .collect();
    let mut faults: BTreeMap<String, usize> = BTreeMap::new();
    for r in &refresh_log {
        if let Some(f) = &r.fault {
            let kind = match f.as_str() {
                "status429" => "429".to_string(),
                "drop" => "dropped".to_string(),
                s if s.starts_with("status5") => "5xx".to_string(),
                other => other.to_string(),
            };
            *faults.entry(kind).or_default() += 1;
        }
    }
    let attempts = refresh_log.len();
    let ok = env.successful_refreshes();
    let faulted: usize = faults.values().sum();
    println!("soak: cycles={CYCLES} http_refresh_attempts={attempts} successful_refreshes={ok}");
    println!(
        "soak: faults total={faulted} ({:.1}% of attempts) by kind={faults:?}",
        100.0 * faulted as f64 / attempts as f64
    );
    println!(
        "soak: wall_time={:.2}s slowest_cycle={:.0}ms",
        wall.as_secs_f64(),
        slowest.as_secs_f64() * 1000.0
    );

    // Acceptance.
    assert_eq!(ok, CYCLES, "successful refreshes == cycles");
    assert_eq!(
        attempts,
        CYCLES + faulted,
        "every failed attempt was a fault, every fault was retried"
    );
    assert!(
        faults.get("5xx").copied().unwrap_or(0) > 0
            && faults.contains_key("429")
            && faults.contains_key("dropped")
    );
    let conn = env.conn(PRO).await;
    assert_eq!(conn.state, ConnectionState::Fresh);
    assert_eq!(conn.state_reason, None);
    let stored = env.tokens(PRO).await;
    assert!(
        same(&stored.access_token, previous.as_ref().unwrap()),
        "the last token handed out is the stored one"
    );
    let meta = client(&env.sandbox)
        .introspect(&env.app, &client_secret(&env.sandbox), &stored.access_token)
        .await
        .unwrap()
        .expect("the stored access token is active");
    assert_eq!(meta.hub_id, Some(PRO));
    assert_eq!(env.api_status(&stored.access_token).await, 200);
    // The stored refresh token is the live one: one more refresh works.
    env.advance(26 * 60);
    r.valid_token(&ConnectionKey::new(APP, PRO)).await.unwrap();
    assert!(wall < Duration::from_secs(60), "soak took {wall:?}");
}
