//! The bridge against the HubSpot sandbox's MCP mode (`POST /` on its MCP listener: user-level
//! tokens only, HubSpot's 401 shapes, `mcp-session-id`), over real loopback HTTP, with tokens the
//! sandbox minted and refreshes the sandbox counts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use hubkey_mcp::bridge::codes;
use hubkey_mcp::BridgeEnd;
use hubspot_sandbox::{
    Fixture, Sandbox, SandboxHandle, DEMO_MCP_CLIENT_ID, DEMO_PRO_HUB_ID, DEMO_STANDARD_CLIENT_ID,
};
use serde_json::{json, Value};
use std::time::Duration;
use support::{options, Client, SandboxTokens};

async fn sandbox() -> SandboxHandle {
    Sandbox::start(Fixture::demo()).await.expect("sandbox starts")
}

fn tokens_for(sb: &SandboxHandle, client_id: &str) -> SandboxTokens {
    let app = sb
        .fixture()
        .apps
        .into_iter()
        .find(|a| a.client_id == client_id)
        .unwrap();
    let tokens = sb
        .issue_tokens_directly(client_id, DEMO_PRO_HUB_ID, None)
        .unwrap();
    let token_url = if client_id == DEMO_MCP_CLIENT_ID {
        format!("{}/oauth/v3/token", sb.mcp_base_url())
    } else {
        format!("{}/oauth/2026-03/token", sb.base_url())
    };
    SandboxTokens::new(token_url, client_id, &app.client_secret, &tokens)
}

fn refreshes(sb: &SandboxHandle) -> usize {
    sb.count("/token", Some("refresh_token"))
}

fn hub_id_of_call(answer: &Value) -> u64 {
    let text = answer["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"));
    serde_json::from_str::<Value>(text).unwrap()["hubId"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn given_the_sandboxs_mcp_server_when_a_client_initializes_lists_and_calls_then_the_answers_pass_through(
) {
    let sb = sandbox().await;
    let mut client = Client::start(options(&sb.mcp_base_url()), tokens_for(&sb, DEMO_MCP_CLIENT_ID));
    let init = client.initialize().await;
    assert_eq!(init["id"], 0);
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(init["result"]["serverInfo"]["name"], "hubspot-mcp-sandbox");
    let list = client.request(1, "tools/list", json!({})).await;
    assert_eq!(list["result"]["tools"][0]["name"], "get_user_details", "{list}");
    let call = client
        .request(
            2,
            "tools/call",
            json!({"name": "get_user_details", "arguments": {}}),
        )
        .await;
    assert_eq!(call["id"], 2);
    assert_eq!(hub_id_of_call(&call), DEMO_PRO_HUB_ID);
    // A method the server does not know: its own JSON-RPC error comes back as it was.
    let unknown = client.request(3, "server/discover", json!({})).await;
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    assert_eq!(refreshes(&sb), 0, "a fresh token needs no refresh");
    // The notification got 202 and nothing on stdout.
    client.assert_silent(Duration::from_millis(200)).await;
    assert!(matches!(client.close().await, BridgeEnd::Closed));
    sb.shutdown().await;
}

#[tokio::test]
async fn given_the_sandbox_clock_past_expiry_mid_session_when_the_next_call_is_made_then_it_succeeds_after_exactly_one_refresh(
) {
    let sb = sandbox().await;
    let source = tokens_for(&sb, DEMO_MCP_CLIENT_ID);
    let first = source.current();
    let mut client = Client::start(options(&sb.mcp_base_url()), source.clone());
    client.initialize().await;
    assert_eq!(
        hub_id_of_call(
            &client
                .request(1, "tools/call", json!({"name": "get_user_details"}))
                .await
        ),
        DEMO_PRO_HUB_ID
    );
    sb.advance_clock(1801);
    let call = client
        .request(2, "tools/call", json!({"name": "get_user_details"}))
        .await;
    assert_eq!(hub_id_of_call(&call), DEMO_PRO_HUB_ID, "{call}");
    assert_eq!(refreshes(&sb), 1);
    assert!(
        !source.current().eq_secret(&first),
        "the retry used the refreshed token"
    );
    client.close().await;
    sb.shutdown().await;
}

#[tokio::test]
async fn given_twenty_calls_in_flight_across_an_expiry_then_one_refresh_serves_them_all() {
    let sb = sandbox().await;
    let mut client = Client::start(options(&sb.mcp_base_url()), tokens_for(&sb, DEMO_MCP_CLIENT_ID));
    client.initialize().await;
    sb.advance_clock(1801);
    for id in 100..120 {
        client.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "get_user_details"}})).await;
    }
    let mut ids = Vec::new();
    for _ in 0..20 {
        let answer = client.recv().await;
        assert_eq!(hub_id_of_call(&answer), DEMO_PRO_HUB_ID, "{answer}");
        ids.push(answer["id"].as_u64().unwrap());
    }
    ids.sort_unstable();
    assert_eq!(ids, (100..120).collect::<Vec<_>>());
    assert_eq!(refreshes(&sb), 1, "twenty 401s, one refresh");
    client.close().await;
    sb.shutdown().await;
}

#[tokio::test]
async fn given_an_account_level_token_when_the_client_initializes_then_the_error_names_the_fix_and_nothing_is_refreshed(
) {
    let sb = sandbox().await;
    let source = tokens_for(&sb, DEMO_STANDARD_CLIENT_ID);
    let mut client = Client::start(options(&sb.mcp_base_url()), source.clone());
    let init = client.initialize().await;
    assert_eq!(init["id"], 0);
    assert_eq!(init["error"]["code"], codes::NOT_USER_LEVEL, "{init}");
    assert_eq!(init["error"]["data"]["hubkey"], "not_user_level");
    let message = init["error"]["message"].as_str().unwrap();
    assert!(message.contains("requires a user level OAuth token"), "{message}");
    assert!(
        message.contains("MCP auth app") && message.contains("isUserLevel"),
        "names the fix: {message}"
    );
    assert!(!message.contains(source.current().expose()));
    let call = client.request(1, "tools/list", json!({})).await;
    assert_eq!(call["error"]["code"], codes::NOT_USER_LEVEL);
    assert_eq!(
        refreshes(&sb),
        0,
        "no refresh can make an account-level token user-level"
    );
    assert!(
        matches!(client.close().await, BridgeEnd::Closed),
        "the bridge keeps running"
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn given_a_revoked_refresh_token_when_the_access_token_expires_then_the_client_is_told_to_reconnect_and_the_bridge_ends(
) {
    let sb = sandbox().await;
    let mut client = Client::start(options(&sb.mcp_base_url()), tokens_for(&sb, DEMO_MCP_CLIENT_ID));
    client.initialize().await;
    assert!(sb.uninstall(DEMO_MCP_CLIENT_ID, DEMO_PRO_HUB_ID) >= 1);
    // HubSpot keeps issued access tokens valid until they expire: still working.
    assert_eq!(
        hub_id_of_call(
            &client
                .request(1, "tools/call", json!({"name": "get_user_details"}))
                .await
        ),
        DEMO_PRO_HUB_ID
    );
    sb.advance_clock(1801);
    let answer = client
        .request(2, "tools/call", json!({"name": "get_user_details"}))
        .await;
    assert_eq!(answer["id"], 2);
    assert_eq!(answer["error"]["code"], codes::NEEDS_REAUTH, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Reconnect the portal with `hubkey login --app test --portal 1`"),
        "{message}"
    );
    assert_eq!(refreshes(&sb), 1, "one refresh attempt, refused");
    match client.ended().await {
        BridgeEnd::NeedsReauth(e) => assert_eq!(e.exit_code(), 3),
        other => panic!("{other:?}"),
    }
    sb.shutdown().await;
}
