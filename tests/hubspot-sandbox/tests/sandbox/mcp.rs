//! §9 point 8: the MCP host.

use hubspot_sandbox::{
    McpMetadata, RevokeDeadToken, DEMO_MCP_CLIENT_ID, DEMO_PRO_HUB_ID, DEMO_STANDARD_CLIENT_ID,
    MCP_PROTOCOL_VERSION,
};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;

const MCP_SECRET: &str = "e5d4c3b2-a1f0-4e9d-8c7b-6a5f4e3d2c1b";
const MCP_REDIRECT: &str = "http://localhost:53683/callback";

fn mcp_authorize_url(e: &Env, path: &str, extra: &[(&str, &str)]) -> String {
    let (_, challenge) = pkce();
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", DEMO_MCP_CLIENT_ID),
        ("redirect_uri", MCP_REDIRECT),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("scope", "crm.objects.contacts.read"),
        ("state", "mcp-state"),
    ];
    for (k, v) in extra {
        pairs.retain(|(pk, _)| pk != k);
        if !v.is_empty() {
            pairs.push((k, v));
        }
    }
    Env::with_query(&e.mcp_url(path), &pairs)
}

async fn mcp_tokens(e: &Env) -> serde_json::Value {
    let url = mcp_authorize_url(e, &format!("/oauth/{DEMO_PRO_HUB_ID}/authorize/user"), &[]);
    let location = e.consent_flow(&url).await;
    assert_eq!(query_value(&location, "state").as_deref(), Some("mcp-state"));
    let code = query_value(&location, "code").unwrap();
    exchange_mcp_code(e, &code).await
}

/// Exchanges an MCP code (issued for [`pkce`]'s challenge) on the MCP host; asserts 200.
async fn exchange_mcp_code(e: &Env, code: &str) -> serde_json::Value {
    let (verifier, _) = pkce();
    let answer = e
        .post_form(
            &e.mcp_url("/oauth/v3/token"),
            &[
                ("grant_type", "authorization_code"),
                ("client_id", DEMO_MCP_CLIENT_ID),
                ("client_secret", MCP_SECRET),
                ("redirect_uri", MCP_REDIRECT),
                ("code", code),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.json()
}

#[tokio::test]
async fn mcp_well_known_documents_point_at_the_sandbox_mcp_base() {
    let e = env().await;
    let base = e.sb.mcp_base_url();
    let asm = e
        .get(&e.mcp_url("/.well-known/oauth-authorization-server"))
        .await
        .json();
    assert_eq!(asm["issuer"], base);
    assert_eq!(
        asm["authorization_endpoint"],
        format!("{base}/oauth/authorize/user")
    );
    assert_eq!(asm["token_endpoint"], format!("{base}/oauth/v3/token"));
    assert_eq!(
        asm["introspection_endpoint"],
        format!("{base}/oauth/v3/token/introspect")
    );
    assert_eq!(asm["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        asm["token_endpoint_auth_methods_supported"],
        json!(["client_secret_post"])
    );
    assert!(
        asm.get("registration_endpoint").is_none(),
        "no dynamic client registration"
    );
    let prm = e
        .get(&e.mcp_url("/.well-known/oauth-protected-resource"))
        .await
        .json();
    assert_eq!(prm["resource"], base);
    assert_eq!(prm["authorization_servers"], json!([base]));
    assert!(
        asm.get("revocation_endpoint").is_none(),
        "HubSpot does not advertise MCP revocation (Corrections of 2026-12-02)"
    );
}

#[tokio::test]
async fn mcp_metadata_switch_serves_missing_malformed_unsafe_and_relocated_documents() {
    let e = env().await;
    let base = e.sb.mcp_base_url();
    let asm_url = e.mcp_url("/.well-known/oauth-authorization-server");
    let prm_url = e.mcp_url("/.well-known/oauth-protected-resource");
    e.sb.update_switches(|s| s.mcp_metadata = McpMetadata::Missing);
    assert_eq!(e.get(&asm_url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(e.get(&prm_url).await.status, StatusCode::NOT_FOUND);
    e.sb.update_switches(|s| s.mcp_metadata = McpMetadata::Malformed);
    let malformed = e.get(&asm_url).await;
    assert_eq!(malformed.status, StatusCode::OK);
    assert!(serde_json::from_str::<serde_json::Value>(&malformed.text).is_err());
    e.sb.update_switches(|s| s.mcp_metadata = McpMetadata::Unsafe);
    let unsafe_doc = e.get(&asm_url).await.json();
    assert_eq!(unsafe_doc["issuer"], base);
    assert_eq!(
        unsafe_doc["token_endpoint"],
        "http://mcp.example.invalid/oauth/v3/token"
    );
    // Relocated: RFC 9728 names another authorization server, whose RFC 8414 document sits at the
    // well-known path with the issuer's path appended, and whose endpoints are served.
    e.sb.update_switches(|s| s.mcp_metadata = McpMetadata::Relocated);
    let prm = e.get(&prm_url).await.json();
    assert_eq!(prm["resource"], base);
    assert_eq!(prm["authorization_servers"], json!([format!("{base}/relocated")]));
    assert_eq!(e.get(&asm_url).await.status, StatusCode::NOT_FOUND);
    let relocated = e
        .get(&e.mcp_url("/.well-known/oauth-authorization-server/relocated"))
        .await
        .json();
    assert_eq!(relocated["issuer"], format!("{base}/relocated"));
    assert_eq!(
        relocated["token_endpoint"],
        format!("{base}/relocated/oauth/v3/token")
    );
    let token = e
        .post_form(
            &e.mcp_url("/relocated/oauth/v3/token"),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", DEMO_MCP_CLIENT_ID),
                ("client_secret", MCP_SECRET),
                ("refresh_token", "nope"),
            ],
        )
        .await;
    assert_oauth_error(&token, "BAD_REFRESH_TOKEN", "invalid_grant");
}

#[tokio::test]
async fn mcp_revoke_on_the_mcp_host_revokes_and_the_dead_token_switch_picks_hubspots_error_shapes() {
    let e = env().await;
    let t = mcp_tokens(&e).await;
    let refresh = t["refresh_token"].as_str().unwrap();
    let revoke = |token: &str| {
        let e = &e;
        let token = token.to_owned();
        async move {
            e.post_form(
                &e.mcp_url("/oauth/v3/token/revoke"),
                &[
                    ("token", &token),
                    ("token_type_hint", "refresh_token"),
                    ("client_id", DEMO_MCP_CLIENT_ID),
                    ("client_secret", MCP_SECRET),
                ],
            )
            .await
        }
    };
    assert_eq!(revoke(refresh).await.status, StatusCode::OK);
    // Dead now: 200 by default (RFC 7009), or HubSpot's two 400 shapes.
    assert_eq!(revoke(refresh).await.status, StatusCode::OK);
    e.sb.update_switches(|s| s.revoke_dead_token = RevokeDeadToken::InvalidGrant);
    assert_oauth_error(&revoke(refresh).await, "BAD_REFRESH_TOKEN", "invalid_grant");
    e.sb.update_switches(|s| s.revoke_dead_token = RevokeDeadToken::ValidationError);
    let validation = revoke(refresh).await;
    assert_eq!(validation.status, StatusCode::BAD_REQUEST);
    assert_eq!(validation.json()["category"], "VALIDATION_ERROR");
}

#[tokio::test]
async fn mcp_authorize_without_code_challenge_or_with_plain_is_an_error_page() {
    let e = env().await;
    let url = mcp_authorize_url(
        &e,
        "/oauth/authorize/user",
        &[("code_challenge", ""), ("code_challenge_method", "")],
    );
    e.get(&url)
        .await
        .assert_error_page("pkce_required", "PKCE is required");
    let url = mcp_authorize_url(&e, "/oauth/authorize/user", &[("code_challenge_method", "plain")]);
    e.get(&url)
        .await
        .assert_error_page("pkce_invalid", "must be S256");
    // A standard app is unknown on the MCP host.
    let url = mcp_authorize_url(
        &e,
        "/oauth/authorize/user",
        &[("client_id", DEMO_STANDARD_CLIENT_ID)],
    );
    e.get(&url)
        .await
        .assert_error_page("invalid_client_id", "An invalid client_id was provided.");
}

#[tokio::test]
async fn mcp_flow_ignores_scope_and_grants_the_configured_bundle_as_user_level() {
    let e = env().await;
    let t = mcp_tokens(&e).await;
    assert_eq!(t["expires_in"], 1800);
    assert_eq!(t["user_id"], 1001);
    assert_eq!(t["token_use"], "access_token");
    assert_eq!(
        t["scopes"],
        json!([
            "oauth",
            "crm.objects.contacts.read",
            "crm.objects.companies.read",
            "crm.objects.deals.read",
            "crm.objects.owners.read"
        ])
    );
    let info = e
        .post_form(
            &e.mcp_url("/oauth/v3/token/introspect"),
            &[
                ("client_id", DEMO_MCP_CLIENT_ID),
                ("client_secret", MCP_SECRET),
                ("token", t["access_token"].as_str().unwrap()),
            ],
        )
        .await
        .json();
    assert_eq!(info["signed_access_token"]["isUserLevel"], true);
    // Refresh works on the MCP token endpoint.
    let refreshed = e
        .post_form(
            &e.mcp_url("/oauth/v3/token"),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", DEMO_MCP_CLIENT_ID),
                ("client_secret", MCP_SECRET),
                ("refresh_token", t["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::OK);
}

#[tokio::test]
async fn mcp_redirect_uri_defaults_to_first_registered_and_wrong_verifier_is_bad_code_verifier() {
    let e = env().await;
    e.sb.update_switches(|s| s.auto_grant = true);
    let url = mcp_authorize_url(&e, "/oauth/authorize/user", &[("redirect_uri", "")]);
    let answer = e.get(&url).await;
    assert_eq!(answer.status, StatusCode::FOUND);
    let location = answer.location();
    assert!(location.starts_with(MCP_REDIRECT), "{location}");
    let code = query_value(&location, "code").unwrap();
    let answer = e
        .post_form(
            &e.mcp_url("/oauth/v3/token"),
            &[
                ("grant_type", "authorization_code"),
                ("client_id", DEMO_MCP_CLIENT_ID),
                ("client_secret", MCP_SECRET),
                ("redirect_uri", MCP_REDIRECT),
                ("code", &code),
                ("code_verifier", &"z".repeat(43)),
            ],
        )
        .await;
    assert_oauth_error(&answer, "BAD_CODE_VERIFIER", "invalid_grant");
}

#[tokio::test]
async fn mcp_token_endpoint_only_knows_mcp_apps_and_only_v3() {
    let e = env().await;
    let answer = e
        .post_form(
            &e.mcp_url("/oauth/v3/token"),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", DEMO_STANDARD_CLIENT_ID),
                ("client_secret", STD_SECRET),
                ("refresh_token", "na1-x"),
            ],
        )
        .await;
    assert_oauth_error(&answer, "BAD_CLIENT_ID", "invalid_request");
    let v1 = e
        .post_form(&e.mcp_url("/oauth/v1/token"), &[("grant_type", "refresh_token")])
        .await;
    assert_eq!(v1.status, StatusCode::NOT_FOUND);
    let cc = e
        .post_form(
            &e.mcp_url("/oauth/v3/token"),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", DEMO_MCP_CLIENT_ID),
                ("client_secret", MCP_SECRET),
                ("scope", "developer.webhooks_journal.read"),
            ],
        )
        .await;
    assert_oauth_error(
        &cc,
        "USER_LEVEL_CLIENT_CREDENTIALS_NOT_SUPPORTED",
        "unauthorized_client",
    );
}

#[tokio::test]
async fn mcp_post_without_token_is_401_with_resource_metadata() {
    let e = env().await;
    let answer = read(
        e.http
            .post(e.mcp_url("/"))
            .json(&json!({"jsonrpc":"2.0","id":1,"method":"initialize"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    // HubSpot answers a missing or expired token with an *empty* 401 and
    // `WWW-Authenticate: Bearer resource_metadata="https://mcp.hubspot.com/.well-known/oauth-protected-resource"`
    // (hubspot-oauth.md, Corrections of 2026-12-02).
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.text, "", "the body is empty");
    assert_eq!(
        answer.header("www-authenticate").unwrap(),
        format!(
            "Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource\"",
            e.sb.mcp_base_url()
        )
    );
}

#[tokio::test]
async fn mcp_post_with_an_unknown_or_expired_token_is_the_same_empty_401() {
    let e = env().await;
    let t = mcp_tokens(&e).await;
    let access = t["access_token"].as_str().unwrap().to_owned();
    e.sb.advance_clock(t["expires_in"].as_u64().unwrap() + 1);
    for token in ["not-a-token", access.as_str()] {
        let answer = read(
            e.http
                .post(e.mcp_url("/"))
                .bearer_auth(token)
                .json(&json!({"jsonrpc":"2.0","id":1,"method":"initialize"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.text, "");
        assert!(answer
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer resource_metadata=\""));
    }
}

#[tokio::test]
async fn mcp_post_with_account_level_token_is_401_user_level_required() {
    let e = env().await;
    let t =
        e.sb.issue_tokens_directly(DEMO_STANDARD_CLIENT_ID, DEMO_PRO_HUB_ID, None)
            .unwrap();
    let answer = read(
        e.http
            .post(e.mcp_url("/"))
            .bearer_auth(&t.access_token)
            .json(&json!({"jsonrpc":"2.0","id":1,"method":"initialize"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    // HubSpot's answer to an account-level token is a plain-text body, not JSON (hubspot-oauth.md,
    // Corrections of 2026-12-02: "It is not JSON: the MCP SDKs print the raw body").
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.text, "This endpoint requires a user level OAuth token");
    assert!(answer.header("content-type").unwrap().starts_with("text/plain"));
    assert!(serde_json::from_str::<serde_json::Value>(&answer.text).is_err());
}

#[tokio::test]
async fn mcp_initialize_with_user_level_token_returns_protocol_version_and_session_id() {
    let e = env().await;
    let t = mcp_tokens(&e).await;
    let access = t["access_token"].as_str().unwrap();
    let init = json!({"jsonrpc":"2.0","id":7,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}});
    let answer = read(
        e.http
            .post(e.mcp_url("/"))
            .bearer_auth(access)
            .json(&init)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert!(answer.header("mcp-session-id").is_some_and(|s| !s.is_empty()));
    let body = answer.json();
    assert_eq!(body["id"], 7);
    assert_eq!(body["result"]["protocolVersion"], MCP_PROTOCOL_VERSION);
    assert!(body["result"]["serverInfo"]["name"].is_string());
    let call = json!({"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"get_user_details","arguments":{}}});
    let answer = read(
        e.http
            .post(e.mcp_url("/"))
            .bearer_auth(access)
            .json(&call)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(answer.json()["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("alex@acme.example"));
    let unknown = json!({"jsonrpc":"2.0","id":9,"method":"nope"});
    let answer = read(
        e.http
            .post(e.mcp_url("/"))
            .bearer_auth(access)
            .json(&unknown)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.json()["error"]["code"], -32601);
}

#[tokio::test]
async fn mcp_authorize_for_an_eu_portal_redirects_to_the_regional_host_keeping_the_query() {
    // An EU portal is sent by the browser from mcp.hubspot.com to
    // mcp-eu1…/oauth/<hub_id>/authorize/user, keeping the query string (hubspot-oauth.md §1.1, §5.4
    // and the Corrections of 2026-12-02; community live test). On loopback the regional host is a
    // path prefix.
    let e = env().await;
    e.sb.update_switches(|s| {
        s.login_as = Some(hubspot_sandbox::DEMO_EU_USER.to_owned());
        s.auto_grant = true;
    });
    let url = mcp_authorize_url(&e, "/oauth/authorize/user", &[]);
    let query = url.split_once('?').unwrap().1.to_owned();
    let first = e.get(&url).await;
    assert_eq!(first.status, StatusCode::FOUND, "{}", first.text);
    let regional = first.location();
    assert_eq!(
        regional,
        format!(
            "{}/mcp-eu1/oauth/{}/authorize/user?{query}",
            e.sb.mcp_base_url(),
            hubspot_sandbox::DEMO_STARTER_HUB_ID
        )
    );
    // There the flow goes on (auto-grant: straight to the app with a code), and the code works on the
    // main MCP host.
    let back = e.get(&regional).await;
    assert_eq!(back.status, StatusCode::FOUND, "{}", back.text);
    let location = back.location();
    assert!(location.starts_with(MCP_REDIRECT), "{location}");
    let code = query_value(&location, "code").unwrap();
    assert!(code.starts_with("eu1-"), "{code}");
    let tokens = exchange_mcp_code(&e, &code).await;
    assert_eq!(tokens["hub_id"], hubspot_sandbox::DEMO_STARTER_HUB_ID);
    // A North American portal is not redirected, and a regional host refuses another region's account.
    e.sb.update_switches(|s| s.login_as = None);
    let na = e
        .get(&mcp_authorize_url(
            &e,
            &format!("/oauth/{DEMO_PRO_HUB_ID}/authorize/user"),
            &[],
        ))
        .await;
    assert!(na.location().starts_with(MCP_REDIRECT), "{}", na.location());
    let wrong = e
        .get(&mcp_authorize_url(
            &e,
            &format!("/mcp-eu1/oauth/{DEMO_PRO_HUB_ID}/authorize/user"),
            &[],
        ))
        .await;
    assert_eq!(wrong.status, StatusCode::OK);
    assert!(wrong.header("x-sandbox-error").is_some(), "{}", wrong.text);
}
