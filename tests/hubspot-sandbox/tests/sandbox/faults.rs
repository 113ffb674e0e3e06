//! Fault injection on the token, introspect and revoke endpoints.

use std::time::{Duration, Instant};

use hubspot_sandbox::{Fault, FaultPlan, RandomFaults, DEMO_PRO_HUB_ID, DEMO_STANDARD_CLIENT_ID};
use reqwest::StatusCode;

use crate::common::*;

#[tokio::test]
async fn faults_429_with_retry_after_then_the_next_request_succeeds() {
    let e = env().await;
    let t =
        e.sb.issue_tokens_directly(DEMO_STANDARD_CLIENT_ID, DEMO_PRO_HUB_ID, None)
            .unwrap();
    // Given one queued 429
    e.sb.update_switches(|s| s.faults = FaultPlan::next([Fault::Status429 { retry_after_secs: 3 }]));
    // when refreshing, then 429 with Retry-After and HubSpot's body
    let answer = e.refresh("v1", &t.refresh_token).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer.header("retry-after").as_deref(), Some("3"));
    assert_eq!(
        answer.json(),
        serde_json::json!({"status": "error", "message": "You have reached your rate limit."})
    );
    // and the refresh token is untouched: the retry works.
    assert_eq!(e.refresh("v1", &t.refresh_token).await.status, StatusCode::OK);
    let logged: Vec<_> = e.sb.requests().into_iter().map(|r| (r.status, r.fault)).collect();
    assert_eq!(logged, [(429, Some("status429".to_owned())), (200, None)]);
}

#[tokio::test]
async fn faults_5xx_on_introspect_and_revoke() {
    let e = env().await;
    e.sb.update_switches(|s| s.faults = FaultPlan::next([Fault::Status5xx(503), Fault::Status5xx(500)]));
    let fields = [
        ("client_id", DEMO_STANDARD_CLIENT_ID),
        ("client_secret", STD_SECRET),
        ("token", "x"),
    ];
    let a = e.post_form(&e.url("/oauth/v3/token/introspect"), &fields).await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    let b = e.post_form(&e.url("/oauth/v3/token/revoke"), &fields).await;
    assert_eq!(b.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(b.json()["status"], "error");
    assert_eq!(
        e.post_form(&e.url("/oauth/v3/token/introspect"), &fields)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn faults_drop_closes_the_connection_without_a_response() {
    let e = env().await;
    let t =
        e.sb.issue_tokens_directly(DEMO_STANDARD_CLIENT_ID, DEMO_PRO_HUB_ID, None)
            .unwrap();
    e.sb.update_switches(|s| s.faults = FaultPlan::next([Fault::Drop]));
    let result = e
        .http
        .post(e.url("/oauth/2026-03/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", DEMO_STANDARD_CLIENT_ID),
            ("client_secret", STD_SECRET),
            ("refresh_token", t.refresh_token.as_str()),
        ])
        .send()
        .await;
    let err = result.expect_err("no response may arrive");
    assert!(!err.is_timeout() && !err.is_status(), "{err:?}");
    let logged = e.sb.requests();
    assert_eq!(logged.len(), 1);
    assert_eq!((logged[0].status, logged[0].fault.as_deref()), (0, Some("drop")));
    // The sandbox keeps serving on new connections.
    assert_eq!(
        e.refresh("2026-03", &t.refresh_token).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn faults_delay_slows_the_answer_but_answers_normally() {
    let e = env().await;
    let t =
        e.sb.issue_tokens_directly(DEMO_STANDARD_CLIENT_ID, DEMO_PRO_HUB_ID, None)
            .unwrap();
    e.sb.update_switches(|s| s.faults = FaultPlan::next([Fault::Delay(300)]));
    let started = Instant::now();
    assert_eq!(e.refresh("v3", &t.refresh_token).await.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn faults_random_plan_is_seeded_and_only_hits_oauth_endpoints() {
    let e = env().await;
    let t =
        e.sb.issue_tokens_directly(DEMO_STANDARD_CLIENT_ID, DEMO_PRO_HUB_ID, None)
            .unwrap();
    let plan = FaultPlan {
        queue: Default::default(),
        random: Some(RandomFaults {
            seed: 42,
            probability: 0.5,
            faults: vec![Fault::Status5xx(502)],
        }),
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        e.sb.update_switches(|s| s.faults = plan.clone());
        let mut statuses = Vec::new();
        for _ in 0..16 {
            statuses.push(e.refresh("v3", &t.refresh_token).await.status.as_u16());
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1], "same seed, same faults");
    assert!(runs[0].contains(&502) && runs[0].contains(&200), "{:?}", runs[0]);
    // The protected API and authorize are never faulted.
    e.sb.update_switches(|s| s.faults = FaultPlan::next([Fault::Status5xx(500); 3]));
    let api = e
        .bearer_get(&e.url("/account-info/2026-09/details"), &t.access_token)
        .await;
    assert_eq!(api.status, StatusCode::OK);
    assert_eq!(
        e.get(&e.authorize_url("/oauth/authorize", &[])).await.status,
        StatusCode::OK
    );
    assert_eq!(e.sb.switches().faults.queue.len(), 3);
}
