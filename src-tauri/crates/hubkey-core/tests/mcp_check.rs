#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `check_mcp_server` against the HubSpot sandbox's MCP listener (hubspot-oauth.md §7.3): user-level
//! tokens are accepted, account-level ones refused with HubSpot's message and the explanation,
//! missing or bad ones unauthorized with the protected-resource metadata URL.

mod preflight_support;

use hubkey_core::mcp::{
    check_mcp_server, http_client, McpCheck, MCP_PROTOCOL_VERSION, NOT_USER_LEVEL_EXPLANATION,
};
use hubkey_core::{ErrorCode, Secret};
use hubspot_sandbox::{
    DEMO_MCP_CLIENT_ID, DEMO_PRO_HUB_ID, DEMO_STANDARD_CLIENT_ID, DEMO_USER_LEVEL_CLIENT_ID,
};
use preflight_support::*;

async fn check_with(sb: &hubspot_sandbox::SandboxHandle, token: &str) -> McpCheck {
    check_mcp_server(&http_client().unwrap(), &endpoints(sb), &Secret::new(token))
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
    assert!(got.summary().contains("requires a user level OAuth token"));
}

#[tokio::test]
async fn given_no_token_or_a_garbage_one_when_checked_then_unauthorized_with_the_resource_metadata() {
    let sb = sandbox().await;
    let metadata = format!("{}/.well-known/oauth-protected-resource", sb.mcp_base_url());
    for token in ["", "not-a-real-token"] {
        match check_with(&sb, token).await {
            McpCheck::Unauthorized {
                resource_metadata,
                message,
            } => {
                assert_eq!(resource_metadata.as_deref(), Some(metadata.as_str()), "{token:?}");
                assert_eq!(message.as_deref(), Some("Authentication credentials not found."));
            }
            other => panic!("{token:?}: {other:?}"),
        }
    }
    // No Authorization header at all for an empty token.
    assert!(sb.requests().iter().any(|r| r.path == "/" && !r.had_bearer));
}

#[tokio::test]
async fn given_an_expired_user_level_token_when_checked_then_unauthorized_with_hubspots_message() {
    let sb = sandbox().await;
    let t = sb
        .issue_tokens_directly(DEMO_MCP_CLIENT_ID, DEMO_PRO_HUB_ID, None)
        .unwrap();
    sb.advance_clock(t.expires_in + 1);
    let got = check_with(&sb, &t.access_token).await;
    assert!(
        matches!(&got, McpCheck::Unauthorized { message: Some(m), .. } if m.contains("expired")),
        "{got:?}"
    );
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
    let err = check_mcp_server(&http_client().unwrap(), &e, &Secret::new("tok"))
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
    let err = check_mcp_server(&http_client().unwrap(), &e, &Secret::new("tok"))
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
    let got = check_mcp_server(&http_client().unwrap(), &e, &Secret::new(t.access_token))
        .await
        .unwrap();
    assert!(matches!(got, McpCheck::Unexpected { .. }), "{got:?}");
    let json = serde_json::to_value(&got).unwrap();
    assert_eq!(json["outcome"], "unexpected");
}
