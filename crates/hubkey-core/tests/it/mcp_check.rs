#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `check_mcp_server` against the HubSpot sandbox's MCP listener (hubspot-oauth.md §7.3 and its
//! corrections of 2026-12-02): user-level tokens are accepted; account-level ones get HubSpot's
//! plain-text 401 and "not a user-level token" with the fix; missing, bad or expired ones get the
//! empty 401 with the protected-resource metadata URL and "expired or revoked". `check_connection`
//! answers for a connection known to be account-level without any request.

use crate::preflight_support;

use hubkey_core::mcp::{
    check_connection, check_mcp_server, http_client, McpCheck, MCP_PROTOCOL_VERSION,
    NOT_USER_LEVEL_EXPLANATION,
};
use hubkey_core::store::Connection;
use hubkey_core::{AccessToken, ErrorCode};
use hubspot_sandbox::{
    DEMO_MCP_CLIENT_ID, DEMO_PRO_HUB_ID, DEMO_STANDARD_CLIENT_ID, DEMO_USER_LEVEL_CLIENT_ID,
};
use preflight_support::*;
use std::sync::atomic::{AtomicBool, Ordering};

async fn check_with(sb: &hubspot_sandbox::SandboxHandle, token: &str) -> McpCheck {
    check_mcp_server(&http_client().unwrap(), &endpoints(sb), &AccessToken::new(token))
        .await
        .unwrap()
}

#[tokio::test]
async fn given_a_token_of_an_mcp_auth_app_when_checked_then_accepted_with_protocol_and_session() {
    let sb = sandbox().await;
    let t = sb
        .issue_tokens_directly(DEMO_MCP_CLIENT_ID, DEMO_PRO_HUB_ID, None)
        .unwrap();
    let got = check_with(&sb, &t.access_token).await;
    assert_eq!(
        got,
        McpCheck::Accepted {
            protocol_version: MCP_PROTOCOL_VERSION.into(),
            server_name: Some("hubspot-mcp-sandbox".into()),
            session_id: true,
        }
    );
    assert!(got.accepted() && got.fix().is_none());
    assert!(got.summary().contains("accepts this token"));
    // The request was a POST to the MCP root with a bearer token and a JSON body.
    let logged = sb.requests();
    let post = logged
        .iter()
        .find(|r| r.path == "/" && r.method == "POST")
        .unwrap();
    assert!(post.had_bearer);
    assert_eq!(post.content_type.as_deref(), Some("application/json"));
    assert!(!format!("{got:?}").contains(&t.access_token));
}

#[tokio::test]
async fn given_a_token_of_a_user_level_standard_app_when_checked_then_accepted() {
    let sb = sandbox().await;
    let t = sb
        .issue_tokens_directly(DEMO_USER_LEVEL_CLIENT_ID, DEMO_PRO_HUB_ID, None)
        .unwrap();
    assert!(check_with(&sb, &t.access_token).await.accepted());
}

#[tokio::test]
async fn given_an_account_level_token_when_checked_then_not_user_level_with_the_explanation() {
    let sb = sandbox().await;
    let t = sb
        .issue_tokens_directly(DEMO_STANDARD_CLIENT_ID, DEMO_PRO_HUB_ID, None)
        .unwrap();
    let got = check_with(&sb, &t.access_token).await;
    assert_eq!(
        got,
        McpCheck::NotUserLevel {
            hubspot_message: "This endpoint requires a user level OAuth token".into(),
            explanation: NOT_USER_LEVEL_EXPLANATION.into(),
        }
    );
    let fix = got.fix().unwrap();
    assert!(fix.contains("create an MCP auth app (Development → MCP Auth Apps)"));
    assert!(fix.contains("isUserLevel: true"));
    assert!(
        !fix.contains("sign in again"),
        "it can never be user-level: {fix}"
    );
    assert!(
        got.summary().contains("not a user-level token"),
        "{}",
        got.summary()
    );
    assert!(got.summary().contains("requires a user level OAuth token"));
}

/// A stored connection of the demo standard app, as introspection left it.
fn connection(is_user_level: Option<bool>) -> Connection {
    serde_json::from_value(serde_json::json!({
        "app": "demo",
        "hub_id": DEMO_PRO_HUB_ID,
        "scopes": ["oauth", "crm.objects.contacts.read"],
        "is_user_level": is_user_level,
        "expires_at": "2030-01-01T00:30:00Z",
        "connected_at": "2030-01-01T00:00:00Z",
        "state": "fresh",
        "token_generation": 1
    }))
    .unwrap()
}

#[tokio::test]
async fn given_a_connection_known_to_be_account_level_when_checked_then_it_is_said_without_any_request() {
    let sb = sandbox().await;
    let t = sb
        .issue_tokens_directly(DEMO_STANDARD_CLIENT_ID, DEMO_PRO_HUB_ID, None)
        .unwrap();
    sb.clear_requests();
    let fetched = AtomicBool::new(false);
    let got = check_connection(
        &http_client().unwrap(),
        &endpoints(&sb),
        &connection(Some(false)),
        || async {
            fetched.store(true, Ordering::SeqCst);
            Ok(AccessToken::new(t.access_token.clone()))
        },
    )
    .await
    .unwrap();
    assert_eq!(
        got,
        McpCheck::AccountLevelToken {
            explanation: NOT_USER_LEVEL_EXPLANATION.into()
        }
    );
    assert!(
        !fetched.load(Ordering::SeqCst),
        "the token was not even fetched (no refresh)"
    );
    assert!(
        sb.requests().is_empty(),
        "nothing reached HubSpot: {:?}",
        sb.requests()
    );
    assert!(
        got.summary().contains("not a user-level token"),
        "{}",
        got.summary()
    );
    assert!(got.summary().contains("the server was not asked"));
    let fix = got.fix().unwrap();
    assert!(
        fix.contains("MCP auth app") && fix.contains("user-level app"),
        "{fix}"
    );
    assert!(!fix.contains("sign in again"), "{fix}");

    // Without that knowledge the server is asked, and answers the same in its own words.
    let asked = check_connection(
        &http_client().unwrap(),
        &endpoints(&sb),
        &connection(None),
        || async { Ok(AccessToken::new(t.access_token.clone())) },
    )
    .await
    .unwrap();
    assert!(matches!(asked, McpCheck::NotUserLevel { .. }), "{asked:?}");
    assert_eq!(sb.requests().iter().filter(|r| r.path == "/").count(), 1);
}

#[tokio::test]
async fn given_no_token_or_a_garbage_one_when_checked_then_unauthorized_with_the_resource_metadata() {
    let sb = sandbox().await;
    let metadata = format!("{}/.well-known/oauth-protected-resource", sb.mcp_base_url());
    for token in ["", "not-a-real-token"] {
        let got = check_with(&sb, token).await;
        match &got {
            McpCheck::Unauthorized {
                resource_metadata,
                message,
            } => {
                assert_eq!(resource_metadata.as_deref(), Some(metadata.as_str()), "{token:?}");
                assert_eq!(*message, None, "HubSpot's 401 is empty");
            }
            other => panic!("{token:?}: {other:?}"),
        }
        assert!(got.summary().contains("expired or revoked"), "{}", got.summary());
    }
    // No Authorization header at all for an empty token.
    assert!(sb.requests().iter().any(|r| r.path == "/" && !r.had_bearer));
}

#[tokio::test]
async fn given_an_expired_user_level_token_when_checked_then_expired_or_revoked() {
    let sb = sandbox().await;
    let t = sb
        .issue_tokens_directly(DEMO_MCP_CLIENT_ID, DEMO_PRO_HUB_ID, None)
        .unwrap();
    sb.advance_clock(t.expires_in + 1);
    let got = check_with(&sb, &t.access_token).await;
    assert!(
        matches!(
            &got,
            McpCheck::Unauthorized {
                message: None,
                resource_metadata: Some(_)
            }
        ),
        "{got:?}"
    );
    assert!(got.summary().contains("expired or revoked"), "{}", got.summary());
    assert!(got
        .fix()
        .unwrap()
        .contains("refresh the connection or sign in again"));
}

#[tokio::test]
async fn given_an_mcp_host_that_is_down_when_checked_then_transient() {
    let sb = sandbox().await;
    let mut e = endpoints(&sb);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    e.mcp_base = url::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let err = check_mcp_server(&http_client().unwrap(), &e, &AccessToken::new("tok"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Transient);
    assert!(
        err.to_string()
            .contains("could not connect to HubSpot's MCP server"),
        "{err}"
    );
}

#[tokio::test]
async fn given_an_unsafe_mcp_url_when_checked_then_refused_before_sending_the_token() {
    let sb = sandbox().await;
    let mut e = endpoints(&sb);
    e.mcp_base = url::Url::parse("http://mcp.example.com").unwrap();
    let err = check_mcp_server(&http_client().unwrap(), &e, &AccessToken::new("tok"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnsafeUrl);
}

#[tokio::test]
async fn given_the_api_host_instead_of_the_mcp_host_when_checked_then_unexpected_status() {
    // A misconfigured HUBKEY_MCP_BASE_URL pointing at the API host: POST / is not an MCP endpoint.
    let sb = sandbox().await;
    let mut e = endpoints(&sb);
    e.mcp_base = e.api_base.clone();
    let t = sb
        .issue_tokens_directly(DEMO_MCP_CLIENT_ID, DEMO_PRO_HUB_ID, None)
        .unwrap();
    let got = check_mcp_server(&http_client().unwrap(), &e, &AccessToken::new(t.access_token))
        .await
        .unwrap();
    assert!(matches!(got, McpCheck::Unexpected { .. }), "{got:?}");
    let json = serde_json::to_value(&got).unwrap();
    assert_eq!(json["outcome"], "unexpected");
}
