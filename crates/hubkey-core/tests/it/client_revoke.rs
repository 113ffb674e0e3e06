//! Issue 13, point 5: where and how a refresh token is revoked, over real HTTP against the HubSpot
//! sandbox. MCP auth apps revoke at the MCP host first (`/oauth/v3/token/revoke`), then fall back to
//! the API host; a token HubSpot already considers dead (400 `invalid_grant`, or its generic
//! `VALIDATION_ERROR`) counts as revoked, so signing out completes without an error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::client_support;

use client_support::*;
use hubkey_core::ErrorCode;
use hubspot_sandbox::{Fault, FaultPlan, Listener, RevokeDeadToken, SandboxHandle};

/// The revocation requests the sandbox saw: (listener, path, status).
fn revokes(s: &SandboxHandle) -> Vec<(Listener, String, u16)> {
    s.requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/token/revoke"))
        .map(|r| (r.listener, r.path, r.status))
        .collect()
}

#[tokio::test]
async fn given_an_mcp_app_when_revoking_then_the_mcp_host_revokes_and_the_api_host_is_not_asked() {
    let s = sandbox().await;
    let c = client(&s);
    let app = mcp_app();
    let tokens = sign_in(&s, &c, &app, None).await;
    s.clear_requests();

    c.revoke(&app, &secret_of(&s, &app), &tokens.refresh_token)
        .await
        .unwrap();

    assert_eq!(
        revokes(&s),
        vec![(Listener::Mcp, "/oauth/v3/token/revoke".to_owned(), 200)]
    );
    let dead = c
        .refresh(&app, &secret_of(&s, &app), &tokens.refresh_token, now())
        .await
        .unwrap_err();
    assert_eq!(dead.code(), ErrorCode::NeedsReauth);
}

#[tokio::test]
async fn given_the_mcp_host_failing_when_revoking_then_the_api_host_revokes() {
    let s = sandbox().await;
    let c = client(&s);
    let app = mcp_app();
    let tokens = sign_in(&s, &c, &app, None).await;
    s.clear_requests();
    // The next faultable request, the MCP host's revoke, gets a 503.
    s.update_switches(|sw| sw.faults = FaultPlan::next([Fault::Status5xx(503)]));

    c.revoke(&app, &secret_of(&s, &app), &tokens.refresh_token)
        .await
        .unwrap();

    assert_eq!(
        revokes(&s),
        vec![
            (Listener::Mcp, "/oauth/v3/token/revoke".to_owned(), 503),
            (Listener::Api, "/oauth/2026-03/token/revoke".to_owned(), 200),
        ]
    );
    let dead = c
        .refresh(&app, &secret_of(&s, &app), &tokens.refresh_token, now())
        .await
        .unwrap_err();
    assert_eq!(dead.code(), ErrorCode::NeedsReauth);
}

#[tokio::test]
async fn given_a_standard_app_when_revoking_then_only_the_api_host_is_asked() {
    let s = sandbox().await;
    let c = client(&s);
    let app = standard_app();
    let tokens = sign_in(&s, &c, &app, None).await;
    s.clear_requests();
    c.revoke(&app, &secret_of(&s, &app), &tokens.refresh_token)
        .await
        .unwrap();
    assert_eq!(
        revokes(&s),
        vec![(Listener::Api, "/oauth/2026-03/token/revoke".to_owned(), 200)]
    );
}

#[tokio::test]
async fn given_a_token_hubspot_calls_dead_with_either_body_when_revoking_then_it_counts_as_revoked() {
    // HubSpot's two answers for a dead token: invalid_grant/BAD_REFRESH_TOKEN (hubspot-oauth.md §2.6)
    // and the generic VALIDATION_ERROR of its revoke reference (§4.3).
    for answer in [RevokeDeadToken::InvalidGrant, RevokeDeadToken::ValidationError] {
        let s = sandbox().await;
        let c = client(&s);
        for app in [standard_app(), mcp_app()] {
            let tokens = sign_in(&s, &c, &app, None).await;
            c.revoke(&app, &secret_of(&s, &app), &tokens.refresh_token)
                .await
                .unwrap();
            s.update_switches(|sw| sw.revoke_dead_token = answer);
            s.clear_requests();

            c.revoke(&app, &secret_of(&s, &app), &tokens.refresh_token)
                .await
                .unwrap_or_else(|e| panic!("{answer:?} {:?}: {e}", app.kind));

            let seen = revokes(&s);
            assert!(
                !seen.is_empty() && seen.iter().all(|(_, _, status)| *status == 400),
                "{seen:?}"
            );
            s.update_switches(|sw| sw.revoke_dead_token = RevokeDeadToken::Ok);
        }
    }
}

#[tokio::test]
async fn given_both_hosts_down_when_revoking_then_the_failure_is_reported() {
    let s = sandbox().await;
    let c = client(&s);
    let app = mcp_app();
    let tokens = sign_in(&s, &c, &app, None).await;
    s.update_switches(|sw| sw.faults = FaultPlan::next([Fault::Status5xx(503), Fault::Status5xx(503)]));
    let err = c
        .revoke(&app, &secret_of(&s, &app), &tokens.refresh_token)
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err}");
}
