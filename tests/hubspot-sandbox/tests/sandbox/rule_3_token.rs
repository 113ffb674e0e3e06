//! §9 point 3: the token endpoint.

use hubspot_sandbox::{DEMO_PRO_HUB_ID, DEMO_STANDARD_CLIENT_ID, DEMO_USER_LEVEL_CLIENT_ID};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn rule_3_token_json_body_is_415() {
    let e = env().await;
    let code = e.code(&[]).await;
    // Given a valid code, when it is sent as JSON
    let body = json!({"grant_type": "authorization_code", "client_id": DEMO_STANDARD_CLIENT_ID,
        "client_secret": STD_SECRET, "redirect_uri": REDIRECT, "code": code});
    let answer = read(
        e.http
            .post(e.url("/oauth/2026-03/token"))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    // then 415, and the code was not consumed (the request never got that far).
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(e.exchange(&code).await.status.is_success());
}

#[tokio::test]
async fn rule_3_errors_checked_in_order_client_id_then_secret_then_grant() {
    let e = env().await;
    // Everything wrong → the client id is reported first.
    let all_wrong = [
        ("grant_type", "password"),
        ("client_id", "nope"),
        ("client_secret", "nope"),
        ("code", "x"),
    ];
    let answer = e.token("2026-09", &all_wrong).await;
    assert_oauth_error(&answer, "BAD_CLIENT_ID", "invalid_request");
    assert_eq!(answer.json()["message"], "missing or unknown client id");
    // Right client, wrong secret and grant → the secret.
    let answer = e
        .token(
            "2026-09",
            &[
                ("grant_type", "password"),
                ("client_id", DEMO_STANDARD_CLIENT_ID),
                ("client_secret", "nope"),
            ],
        )
        .await;
    assert_oauth_error(&answer, "BAD_CLIENT_SECRET", "invalid_client");
    // Right client and secret, wrong grant → the grant.
    let answer = e
        .token(
            "2026-09",
            &[
                ("grant_type", "password"),
                ("client_id", DEMO_STANDARD_CLIENT_ID),
                ("client_secret", STD_SECRET),
            ],
        )
        .await;
    assert_oauth_error(&answer, "BAD_GRANT_TYPE", "unsupported_grant_type");
    // Right grant, unknown code → the code.
    let answer = e
        .token(
            "2026-09",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", DEMO_STANDARD_CLIENT_ID),
                ("client_secret", STD_SECRET),
                ("code", "na1-0000-0000-0000-0000-000000000000"),
                ("redirect_uri", "http://elsewhere"),
            ],
        )
        .await;
    assert_oauth_error(&answer, "BAD_AUTH_CODE", "invalid_grant");
}

#[tokio::test]
async fn rule_3_success_response_has_hubspot_shape_on_every_version() {
    let e = env().await;
    for version in ["v1", "v3", "2026-03", "2026-09"] {
        let code = e.code(&[("optional_scope", "crm.objects.deals.read")]).await;
        let answer = e
            .token(
                version,
                &[
                    ("grant_type", "authorization_code"),
                    ("client_id", DEMO_STANDARD_CLIENT_ID),
                    ("client_secret", STD_SECRET),
                    ("redirect_uri", REDIRECT),
                    ("code", &code),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{version}: {}", answer.text);
        assert_eq!(answer.header("cache-control").as_deref(), Some("no-store"));
        let t = answer.json();
        assert_eq!(t["token_type"], "bearer");
        assert_eq!(t["token_use"], "access_token");
        assert_eq!(t["expires_in"], 1800);
        assert_eq!(t["hub_id"], DEMO_PRO_HUB_ID);
        assert_eq!(t["user_id"], 1001);
        assert_eq!(
            t["scopes"],
            json!(["oauth", "crm.objects.contacts.read", "crm.objects.deals.read"])
        );
        let access = t["access_token"].as_str().unwrap();
        assert!((150..=300).contains(&access.len()));
        assert!(t["refresh_token"].as_str().unwrap().starts_with("na1-"));
    }
}

#[tokio::test]
async fn rule_3_code_is_single_use() {
    let e = env().await;
    let code = e.code(&[]).await;
    assert!(e.exchange(&code).await.status.is_success());
    assert_oauth_error(&e.exchange(&code).await, "BAD_AUTH_CODE", "invalid_grant");
}

#[tokio::test]
async fn rule_3_code_is_consumed_even_by_a_failed_exchange() {
    let e = env().await;
    let code = e.code(&[]).await;
    let wrong_redirect = e
        .token(
            "v3",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", DEMO_STANDARD_CLIENT_ID),
                ("client_secret", STD_SECRET),
                ("redirect_uri", "http://localhost:3000/oauth-callback"),
                ("code", &code),
            ],
        )
        .await;
    assert_oauth_error(&wrong_redirect, "BAD_REDIRECT_URI", "invalid_grant");
    assert_oauth_error(&e.exchange(&code).await, "BAD_AUTH_CODE", "invalid_grant");
}

#[tokio::test]
async fn rule_3_code_expires_after_ttl() {
    let e = env().await;
    e.sb.update_switches(|s| s.code_ttl_secs = 60);
    let fresh = e.code(&[]).await;
    e.sb.advance_clock(59);
    assert!(
        e.exchange(&fresh).await.status.is_success(),
        "still valid just before the TTL"
    );
    let stale = e.code(&[]).await;
    e.sb.advance_clock(60);
    let answer = e.exchange(&stale).await;
    assert_oauth_error(&answer, "BAD_AUTH_CODE", "invalid_grant");
    assert_eq!(answer.json()["message"], "auth code is expired");
}

#[tokio::test]
async fn rule_3_code_of_another_app_is_bad_auth_code() {
    let e = env().await;
    let code = e.code(&[]).await;
    let answer = e
        .token(
            "v3",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", DEMO_USER_LEVEL_CLIENT_ID),
                ("client_secret", "b16b00b5-7e57-4c0d-9e5e-5ca1ab1e0001"),
                ("redirect_uri", REDIRECT),
                ("code", &code),
            ],
        )
        .await;
    assert_oauth_error(&answer, "BAD_AUTH_CODE", "invalid_grant");
}

#[tokio::test]
async fn rule_3_pkce_verifier_mismatch_is_bad_code_verifier() {
    let e = env().await;
    let (verifier, challenge) = pkce();
    let pkce_params = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    // Wrong verifier and missing verifier are BAD_CODE_VERIFIER (not BAD_AUTH_CODE).
    let wrong = exchange_code(&e, "v1", e.code(&pkce_params).await, Some(&"x".repeat(43))).await;
    assert_oauth_error(&wrong, "BAD_CODE_VERIFIER", "invalid_grant");
    let missing = exchange_code(&e, "v1", e.code(&pkce_params).await, None).await;
    assert_oauth_error(&missing, "BAD_CODE_VERIFIER", "invalid_grant");
    // The right one works.
    let ok = exchange_code(&e, "v1", e.code(&pkce_params).await, Some(&verifier)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
}

#[tokio::test]
async fn rule_3_an_app_that_rejects_pkce_refuses_any_verifier_and_accepts_a_sign_in_without_one() {
    // Given a standard app whose HubSpot refuses PKCE (the fixture switch: HubSpot's PKCE handling
    // on standard apps is undocumented, hubspot-oauth.md §1.4),
    let mut fixture = hubspot_sandbox::Fixture::demo();
    fixture.apps[0].rejects_pkce = true;
    let e = env_with(fixture).await;
    let (verifier, challenge) = pkce();
    // when a sign-in with PKCE is exchanged, then the answer names the verifier;
    let code = e
        .code(&[("code_challenge", &challenge), ("code_challenge_method", "S256")])
        .await;
    let refused = exchange_code(&e, "2026-03", code, Some(&verifier)).await;
    assert_oauth_error(&refused, "BAD_CODE_VERIFIER", "invalid_request");
    assert!(
        refused.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("code_verifier"),
        "{}",
        refused.text
    );
    // and a sign-in without PKCE works.
    let ok = exchange_code(&e, "2026-03", e.code(&[]).await, None).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
}

/// The standard demo app's code exchange on `version`, with `verifier` when given.
async fn exchange_code(e: &Env, version: &str, code: String, verifier: Option<&str>) -> Answer {
    let mut fields = vec![
        ("grant_type", "authorization_code"),
        ("client_id", DEMO_STANDARD_CLIENT_ID),
        ("client_secret", STD_SECRET),
        ("redirect_uri", REDIRECT),
        ("code", code.as_str()),
    ];
    if let Some(v) = verifier {
        fields.push(("code_verifier", v));
    }
    e.token(version, &fields).await
}

#[tokio::test]
async fn rule_3_pkce_verifier_never_replaces_the_client_secret() {
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
                ("redirect_uri", REDIRECT),
                ("code", &code),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_oauth_error(&answer, "BAD_CLIENT_SECRET", "invalid_client");
}

#[tokio::test]
async fn rule_3_refresh_returns_same_refresh_token_and_new_access_token_by_default() {
    let e = env().await;
    let t = e.install().await;
    let refresh = t["refresh_token"].as_str().unwrap();
    // The official quickstart also sends redirect_uri on refresh; it is ignored.
    let answer = e
        .token(
            "2026-03",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", DEMO_STANDARD_CLIENT_ID),
                ("client_secret", STD_SECRET),
                ("refresh_token", refresh),
                ("redirect_uri", REDIRECT),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let r = answer.json();
    assert_eq!(r["refresh_token"], refresh);
    assert_ne!(r["access_token"], t["access_token"]);
    assert_eq!(r["scopes"], t["scopes"]);
    assert_eq!(r["hub_id"], t["hub_id"]);
}

#[tokio::test]
async fn rule_3_refresh_after_uninstall_is_bad_refresh_token() {
    let e = env().await;
    let t = e.install().await;
    let refresh = t["refresh_token"].as_str().unwrap();
    assert!(e.refresh("v3", refresh).await.status.is_success());
    // When the user uninstalls the app from the account
    assert_eq!(e.sb.uninstall(DEMO_STANDARD_CLIENT_ID, DEMO_PRO_HUB_ID), 1);
    // then the next refresh is BAD_REFRESH_TOKEN / invalid_grant with HubSpot's documented message.
    let answer = e.refresh("2026-09", refresh).await;
    assert_oauth_error(&answer, "BAD_REFRESH_TOKEN", "invalid_grant");
    assert_eq!(
        answer.json()["message"],
        "refresh token is invalid, expired or revoked"
    );
    // Unknown refresh tokens too.
    assert_oauth_error(
        &e.refresh("v3", "na1-dead-beef-0000-0000-000000000000").await,
        "BAD_REFRESH_TOKEN",
        "invalid_grant",
    );
}

#[tokio::test]
async fn rule_3_deleted_portal_is_bad_hub() {
    let e = env().await;
    let t = e.install().await;
    e.sb.delete_portal(DEMO_PRO_HUB_ID);
    let answer = e.refresh("v3", t["refresh_token"].as_str().unwrap()).await;
    assert_oauth_error(&answer, "BAD_HUB", "access_denied");
    assert_eq!(answer.json()["message"], "missing or unknown hub id");
}

#[tokio::test]
async fn rule_3_v1_accepts_secret_and_refresh_token_in_query_but_v3_does_not() {
    let e = env().await;
    let t = e.install().await;
    let refresh = t["refresh_token"].as_str().unwrap();
    let query = format!("?client_secret={STD_SECRET}&refresh_token={refresh}");
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", DEMO_STANDARD_CLIENT_ID),
    ];
    let v1 = e
        .post_form(&format!("{}{query}", e.url("/oauth/v1/token")), &form)
        .await;
    assert_eq!(v1.status, StatusCode::OK, "{}", v1.text);
    let v3 = e
        .post_form(&format!("{}{query}", e.url("/oauth/v3/token")), &form)
        .await;
    assert_oauth_error(&v3, "BAD_CLIENT_SECRET", "invalid_client");
}

#[tokio::test]
async fn rule_3_rotation_switch() {
    let e = env().await;
    let t = e.install().await;
    let first = t["refresh_token"].as_str().unwrap().to_owned();
    // Given rotation on, when refreshing
    e.sb.update_switches(|s| s.rotate_refresh_tokens = true);
    let r = e.refresh("2026-03", &first).await.json();
    let second = r["refresh_token"].as_str().unwrap().to_owned();
    // then a new refresh token replaces the old one, which is now dead.
    assert_ne!(second, first);
    assert!(second.starts_with("na1-"));
    assert_oauth_error(
        &e.refresh("2026-03", &first).await,
        "BAD_REFRESH_TOKEN",
        "invalid_grant",
    );
    assert!(e.refresh("2026-03", &second).await.status.is_success());
}

#[tokio::test]
async fn rule_3_access_token_ttl_switch_sets_expires_in() {
    let e = env().await;
    e.sb.update_switches(|s| s.access_token_ttl_secs = 5);
    assert_eq!(e.install().await["expires_in"], 5);
}

#[tokio::test]
async fn rule_3_client_credentials_only_on_v3_and_2026_03_and_not_for_user_level_apps() {
    let e = env().await;
    let fields = |client: &'static str, secret: &'static str, scope: &'static str| {
        [
            ("grant_type", "client_credentials"),
            ("client_id", client),
            ("client_secret", secret),
            ("scope", scope),
        ]
    };
    let journal = fields(
        DEMO_STANDARD_CLIENT_ID,
        STD_SECRET,
        "developer.webhooks_journal.read",
    );
    assert_oauth_error(
        &e.token("2026-09", &journal).await,
        "BAD_GRANT_TYPE",
        "unsupported_grant_type",
    );
    assert_oauth_error(
        &e.token("v1", &journal).await,
        "BAD_GRANT_TYPE",
        "unsupported_grant_type",
    );
    let ok = e.token("2026-03", &journal).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.json()["token_use"], "client_credentials");
    assert!(ok.json().get("refresh_token").is_none());
    let no_scope = fields(DEMO_STANDARD_CLIENT_ID, STD_SECRET, "");
    assert_oauth_error(&e.token("v3", &no_scope).await, "BAD_SCOPES", "invalid_scope");
    let user_level = fields(
        DEMO_USER_LEVEL_CLIENT_ID,
        "b16b00b5-7e57-4c0d-9e5e-5ca1ab1e0001",
        "developer.webhooks_journal.read",
    );
    let answer = e.token("v3", &user_level).await;
    assert_oauth_error(
        &answer,
        "USER_LEVEL_CLIENT_CREDENTIALS_NOT_SUPPORTED",
        "unauthorized_client",
    );
}

#[tokio::test]
async fn rule_3_unknown_version_is_404() {
    let e = env().await;
    let answer = e.token("v2", &[("grant_type", "refresh_token")]).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}
