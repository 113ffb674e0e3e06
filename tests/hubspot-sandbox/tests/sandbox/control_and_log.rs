//! The request log (no secret values) and the `/_sandbox/` control API.

use hubspot_sandbox::{Fixture, LoggedRequest, Switches, Tokens, DEMO_PRO_HUB_ID, DEMO_STANDARD_CLIENT_ID};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn log_records_field_names_and_flags_but_no_secret_values() {
    let e = env().await;
    let (verifier, challenge) = pkce();
    let code = e
        .code(&[("code_challenge", &challenge), ("code_challenge_method", "S256")])
        .await;
    let answer = e
        .token(
            "2026-03",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", DEMO_STANDARD_CLIENT_ID),
                ("client_secret", STD_SECRET),
                ("redirect_uri", REDIRECT),
                ("code", &code),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    let t = answer.json();
    let (access, refresh) = (
        t["access_token"].as_str().unwrap(),
        t["refresh_token"].as_str().unwrap(),
    );
    e.refresh("v1", refresh).await;
    e.get(&e.url(&format!("/oauth/v1/access-tokens/{access}"))).await;
    e.bearer_get(&e.url("/crm/v3/objects/contacts"), access).await;

    let log = e.sb.requests();
    let dump = serde_json::to_string(&log).unwrap();
    for secret in [STD_SECRET, code.as_str(), verifier.as_str(), access, refresh] {
        assert!(!dump.contains(secret), "log leaks a secret value");
    }
    let exchange = log
        .iter()
        .find(|r| r.grant_type.as_deref() == Some("authorization_code"))
        .unwrap();
    assert_eq!(exchange.path, "/oauth/2026-03/token");
    assert_eq!(exchange.method, "POST");
    assert_eq!(exchange.status, 200);
    assert_eq!(exchange.client_id.as_deref(), Some(DEMO_STANDARD_CLIENT_ID));
    assert_eq!(exchange.redirect_uri.as_deref(), Some(REDIRECT));
    assert_eq!(
        exchange.form_fields,
        [
            "grant_type",
            "client_id",
            "client_secret",
            "redirect_uri",
            "code",
            "code_verifier"
        ]
    );
    assert!(exchange.had_code_verifier && exchange.had_client_secret);
    assert_eq!(
        exchange.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let authorize = log.iter().find(|r| r.path.ends_with("/authorize")).unwrap();
    assert!(authorize.query_fields.contains(&"code_challenge".to_owned()));
    assert!(log.iter().any(|r| r.path == "/oauth/v1/access-tokens/{token}"));
    assert!(log
        .iter()
        .any(|r| r.path == "/crm/v3/objects/contacts" && r.had_bearer));
}

#[tokio::test]
async fn count_counts_refreshes_across_versions() {
    let e = env().await;
    let t = e.install().await;
    let refresh = t["refresh_token"].as_str().unwrap();
    for version in ["v1", "v3", "2026-09"] {
        e.refresh(version, refresh).await;
    }
    assert_eq!(e.sb.count("/token", Some("refresh_token")), 3);
    assert_eq!(e.sb.count("/token", Some("authorization_code")), 1);
    assert_eq!(e.sb.count("/oauth/v3/token", None), 2);
    e.sb.clear_requests();
    assert_eq!(e.sb.count("", None), 0);
}

#[tokio::test]
async fn control_http_api_drives_the_sandbox_from_another_process() {
    let e = env().await;
    let c = |p: &str| e.url(&format!("/_sandbox/{p}"));
    // Health and fixture.
    let health = e.get(&c("health")).await.json();
    assert_eq!(health["base_url"], e.sb.base_url());
    let fixture: Fixture = serde_json::from_str(&e.get(&c("fixture")).await.text).unwrap();
    assert_eq!(fixture, Fixture::demo());
    // Switches: PATCH merges, PUT replaces (missing fields take defaults).
    let patched = read(
        e.http
            .patch(c("switches"))
            .json(&json!({"auto_grant": true, "access_token_ttl_secs": 60}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert!(e.sb.switches().auto_grant);
    assert_eq!(e.sb.switches().access_token_ttl_secs, 60);
    let put = read(e.http.put(c("switches")).json(&json!({"rotate_refresh_tokens": true, "faults": {"queue": [{"Status429": {"retry_after_secs": 1}}, {"Status5xx": 502}, "Drop", {"Delay": 5}]}})).send().await.unwrap()).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let s: Switches = serde_json::from_str(&e.get(&c("switches")).await.text).unwrap();
    assert!(s.rotate_refresh_tokens && !s.auto_grant);
    assert_eq!(s.access_token_ttl_secs, 1800);
    assert_eq!(s.faults.queue.len(), 4);
    e.sb.set_switches(Switches::default());
    // Tokens, advance, uninstall, delete-portal.
    let tokens: Tokens = read(
        e.http
            .post(c("tokens"))
            .json(&json!({"client_id": DEMO_STANDARD_CLIENT_ID, "hub_id": DEMO_PRO_HUB_ID}))
            .send()
            .await
            .unwrap(),
    )
    .await
    .json()
    .pipe(|v| serde_json::from_value(v).unwrap());
    assert_eq!(tokens.hub_id, DEMO_PRO_HUB_ID);
    let unknown = read(
        e.http
            .post(c("tokens"))
            .json(&json!({"client_id": DEMO_STANDARD_CLIENT_ID, "hub_id": 1}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let api = e.url("/account-info/2026-09/details");
    assert_eq!(
        e.bearer_get(&api, &tokens.access_token).await.status,
        StatusCode::OK
    );
    read(
        e.http
            .post(c("advance"))
            .json(&json!({"secs": 1801}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        e.bearer_get(&api, &tokens.access_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    let un = read(
        e.http
            .post(c("uninstall"))
            .json(&json!({"client_id": DEMO_STANDARD_CLIENT_ID, "hub_id": DEMO_PRO_HUB_ID}))
            .send()
            .await
            .unwrap(),
    )
    .await
    .json();
    assert_eq!(un["revoked_refresh_tokens"], 1);
    assert_oauth_error(
        &e.refresh("v3", &tokens.refresh_token).await,
        "BAD_REFRESH_TOKEN",
        "invalid_grant",
    );
    let again =
        e.sb.issue_tokens_directly(DEMO_STANDARD_CLIENT_ID, DEMO_PRO_HUB_ID, None)
            .unwrap();
    let del = read(
        e.http
            .post(c("delete-portal"))
            .json(&json!({"hub_id": DEMO_PRO_HUB_ID}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    assert_oauth_error(
        &e.refresh("v3", &again.refresh_token).await,
        "BAD_HUB",
        "access_denied",
    );
    // Requests: control calls are not logged; count and DELETE work.
    let log: Vec<LoggedRequest> = serde_json::from_str(&e.get(&c("requests")).await.text).unwrap();
    assert!(log.iter().all(|r| !r.path.starts_with("/_sandbox")));
    let count = e
        .get(&format!(
            "{}?path_suffix=/token&grant_type=refresh_token",
            c("count")
        ))
        .await
        .json();
    assert_eq!(count["count"], 2);
    assert_eq!(
        read(e.http.delete(c("requests")).send().await.unwrap())
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert!(e.sb.requests().is_empty());
}

#[tokio::test]
async fn shutdown_stops_both_listeners() {
    let e = env().await;
    let (base, mcp) = (e.sb.base_url(), e.sb.mcp_base_url());
    assert!(e
        .get(&format!("{base}/_sandbox/health"))
        .await
        .status
        .is_success());
    e.sb.shutdown().await;
    let fresh = reqwest::Client::new();
    assert!(fresh.get(format!("{base}/_sandbox/health")).send().await.is_err());
    assert!(fresh
        .get(format!("{mcp}/.well-known/oauth-protected-resource"))
        .send()
        .await
        .is_err());
}

trait Pipe: Sized {
    fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
        f(self)
    }
}
impl<T> Pipe for T {}
