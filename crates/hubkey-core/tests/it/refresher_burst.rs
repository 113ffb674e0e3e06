//! A burst of due connections (issue #8, finding 5): after a resume from suspend, or when many
//! portals were connected together, the background scheduler refreshes them a few at a time
//! ([`REFRESH_CONCURRENCY`]) instead of one after another. HubSpot is slowed down (every token
//! request waits 300 ms) so that refreshes overlap whenever they can; the test measures how many
//! are in flight at once, not the wall time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::refresher_support;

use hubkey_core::refresher::{RefreshPolicy, REFRESH_CONCURRENCY};
use hubkey_core::store::ConnectionState;
use hubspot_sandbox::{Fault, FaultPlan, RandomFaults};
use refresher_support::*;
use std::collections::HashSet;

/// An env with ten portals, each connected at the same instant of the manual clock.
async fn ten_connected(tag: &str) -> (Env, Vec<u64>) {
    let (fixture, portals) = fixture_with_portals(10);
    let env = env_with(tag, fixture).await;
    for &hub_id in &portals {
        env.connect(hub_id).await;
    }
    (env, portals)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_ten_due_connections_and_a_slow_hubspot_when_the_scheduler_runs_then_four_refresh_at_once_and_all_finish(
) {
    let (env, portals) = ten_connected("burst").await;
    env.advance(26 * 60); // every token is now due
    env.sandbox.update_switches(|s| {
        s.faults = FaultPlan {
            queue: Default::default(),
            random: Some(RandomFaults {
                seed: 1,
                probability: 1.0,
                faults: vec![Fault::Delay(300)],
            }),
        }
    });
    let r = env.refresher(quick_policy());
    let mut events = r.subscribe();
    let scheduler = r.spawn();

    let mut in_flight: HashSet<u64> = HashSet::new();
    let mut fresh: HashSet<u64> = HashSet::new();
    let mut most = 0;
    while fresh.len() < portals.len() {
        let seen = wait_for(&mut events, |_| true).await;
        for e in seen {
            match e.state {
                ConnectionState::Refreshing => {
                    in_flight.insert(e.key.hub_id);
                }
                ConnectionState::Fresh => {
                    in_flight.remove(&e.key.hub_id);
                    fresh.insert(e.key.hub_id);
                }
                other => panic!("unexpected {other:?} for {}", e.key.hub_id),
            }
            most = most.max(in_flight.len());
        }
    }
    scheduler.shutdown().await;

    println!(
        "burst: {} connections, at most {most} refreshes in flight",
        portals.len()
    );
    assert_eq!(
        most, REFRESH_CONCURRENCY,
        "refreshes overlap, {REFRESH_CONCURRENCY} at a time"
    );
    assert_eq!(env.successful_refreshes(), portals.len(), "one refresh each");
    for &hub_id in &portals {
        let conn = env.conn(hub_id).await;
        assert_eq!(conn.state, ConnectionState::Fresh);
        assert!(conn.expires_at > env.now() + time::Duration::minutes(29));
    }
}

/// Ten portals connected at the same instant fall due together. With a pace of 2 s (the default is 550 ms;
/// 2 s makes the steps of the manual clock easy to read), the scheduler starts them one pace apart, early
/// enough that the last one starts when due: 18 s before the due time, then every 2 s. Each is refreshed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_ten_connections_due_together_and_a_paced_policy_when_time_passes_then_they_start_one_pace_apart_and_none_late(
) {
    let (env, portals) = ten_connected("paced").await;
    let due = env.conn(portals[0]).await.expires_at - time::Duration::minutes(5);
    let pace = std::time::Duration::from_secs(2);
    let r = env.refresher(RefreshPolicy {
        pace,
        ..quick_policy()
    });
    let mut events = r.subscribe();
    let scheduler = r.spawn();

    // When: the clock moves a second at a time from 30 s before the due time to 10 s after it.
    env.advance((due - env.now()).whole_seconds() - 30);
    // A refresh that started is let finish before the clock moves on, so its stored time is its start.
    let mut seen = Vec::new();
    let mut flying = HashSet::new();
    for _ in 0..40 {
        env.advance(1);
        r.nudge();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        loop {
            for e in drain(&mut events) {
                match e.state {
                    ConnectionState::Refreshing => flying.insert(e.key.hub_id),
                    _ => flying.remove(&e.key.hub_id),
                };
                seen.push(e);
            }
            if flying.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    scheduler.shutdown().await;

    // Then: ten refreshes, one per connection, started 18, 16, … 0 s before the due time.
    assert_eq!(
        env.successful_refreshes(),
        portals.len(),
        "one refresh each: {seen:?}"
    );
    let mut starts = Vec::new();
    for &hub_id in &portals {
        let conn = env.conn(hub_id).await;
        assert_eq!(conn.state, ConnectionState::Fresh);
        starts.push(conn.last_refreshed_at.expect("refreshed"));
    }
    starts.sort();
    let offsets: Vec<i64> = starts.iter().map(|s| (*s - due).whole_seconds()).collect();
    println!("paced: refreshes started at {offsets:?} s from the due time");
    assert!(
        offsets.iter().all(|o| (-18..=0).contains(o)),
        "none before the paced start, none late: {offsets:?}"
    );
    assert!(
        offsets.windows(2).all(|w| w[1] - w[0] >= 2),
        "one pace apart at least: {offsets:?}"
    );
}
