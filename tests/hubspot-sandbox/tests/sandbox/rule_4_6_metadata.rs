//! §9 points 4-6: introspection, revocation and the legacy v1 metadata endpoints.

use hubspot_sandbox::{DEMO_PRO_HUB_ID, DEMO_STANDARD_CLIENT_ID, DEMO_USER_LEVEL_CLIENT_ID};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::*;

async fn introspect(e: &Env, version: &str, fields: &[(&str, &str)]) -> Answer {
    e.post_form(&e.url(&format!("/oauth/{version}/token/introspect")), fields)
        .await
}

async fn introspect_token(e: &Env, token: &str) -> Value {
    let answer = introspect(
        e,
        "2026-03",
        &[
            ("client_id", DEMO_STANDARD_CLIENT_ID),
            ("client_secret", STD_SECRET),
            ("token", token),
        ],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.json()
}

async fn revoke(e: &Env, fields: &[(&str, &str)]) -> Answer {
    e.post_form(&e.url("/oauth/2026-09/token/revoke"), fields).await
}

#[tokio::test]
async fn rule_4_introspect_unknown_is_active_false() {
    let e = env().await;
    for version in ["v3", "2026-03", "2026-09"] {
        let answer = introspect(
            &e,
            version,
            &[
                ("client_id", DEMO_STANDARD_CLIENT_ID),
                ("client_secret", STD_SECRET),
                ("token", "CKnot-a-token"),
            ],
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.json(), json!({"active": false}));
    }
}

#[tokio::test]
async fn rule_4_introspect_access_token_has_the_documented_shape() {
    let e = env().await;
    let t = e.install().await;
    let access = t["access_token"].as_str().unwrap();
    let info = introspect_token(&e, access).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["token"], access);
    assert_eq!(info["token_type"], "Bearer");
    assert_eq!(info["token_use"], "access_token");
    assert_eq!(info["hub_id"], DEMO_PRO_HUB_ID);
    assert_eq!(info["user_id"], 1001);
    assert_eq!(info["client_id"], DEMO_STANDARD_CLIENT_ID);
    assert_eq!(info["app_id"], 3_141_592);
    assert_eq!(info["user"], "alex@acme.example");
    assert_eq!(info["hub_domain"], "acme.example");
    assert_eq!(info["is_private_distribution"], false);
    assert_eq!(info["scopes"], t["scopes"]);
    let remaining = info["expires_in"].as_u64().unwrap();
    assert!((1795..=1800).contains(&remaining), "{remaining}");
    let sat = &info["signed_access_token"];
    assert_eq!(sat["isUserLevel"], false);
    assert_eq!(sat["hublet"], "na1");
    assert_eq!(sat["hubId"], DEMO_PRO_HUB_ID);
    assert_eq!(sat["installingUserId"], 1001);
    assert_eq!(sat["appId"], 3_141_592);
    assert!(
        sat["expiresAt"].as_u64().unwrap() > 1_700_000_000_000,
        "epoch milliseconds"
    );
    // Time passes: expires_in counts down, then the token is inactive.
    e.sb.advance_clock(600);
    let later = introspect_token(&e, access).await["expires_in"].as_u64().unwrap();
    assert!((1195..=1200).contains(&later), "{later}");
    e.sb.advance_clock(1200);
    assert_eq!(introspect_token(&e, access).await, json!({"active": false}));
}

#[tokio::test]
async fn rule_4_introspect_refresh_token_and_field_name_aliases() {
    let e = env().await;
    let t = e.install().await;
    let refresh = t["refresh_token"].as_str().unwrap();
    // The v3 guide's prose names the field after the token kind.
    let answer = introspect(
        &e,
        "v3",
        &[
            ("client_id", DEMO_STANDARD_CLIENT_ID),
            ("client_secret", STD_SECRET),
            ("refresh_token", refresh),
        ],
    )
    .await;
    let info = answer.json();
    assert_eq!(info["active"], true);
    assert_eq!(info["token_use"], "refresh_token");
    assert_eq!(info["token_type"], "Bearer");
    assert_eq!(info["client_id"], DEMO_STANDARD_CLIENT_ID);
    assert!(info.get("signed_access_token").is_none());
    let access = t["access_token"].as_str().unwrap();
    let by_alias = introspect(
        &e,
        "v3",
        &[
            ("client_id", DEMO_STANDARD_CLIENT_ID),
            ("client_secret", STD_SECRET),
            ("access_token", access),
        ],
    )
    .await
    .json();
    assert_eq!(by_alias["token_use"], "access_token");
}

#[tokio::test]
async fn rule_4_introspect_requires_client_credentials_and_hides_other_apps_tokens() {
    let e = env().await;
    let t = e.install().await;
    let access = t["access_token"].as_str().unwrap();
    let no_secret = introspect(
        &e,
        "v3",
        &[("client_id", DEMO_STANDARD_CLIENT_ID), ("token", access)],
    )
    .await;
    assert_oauth_error(&no_secret, "BAD_CLIENT_SECRET", "invalid_client");
    let other_app = introspect(
        &e,
        "v3",
        &[
            ("client_id", DEMO_USER_LEVEL_CLIENT_ID),
            ("client_secret", "b16b00b5-7e57-4c0d-9e5e-5ca1ab1e0001"),
            ("token", access),
        ],
    )
    .await;
    assert_eq!(other_app.json(), json!({"active": false}));
    // v1 has no introspect endpoint.
    let v1 = introspect(&e, "v1", &[("client_id", DEMO_STANDARD_CLIENT_ID)]).await;
    assert_eq!(v1.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn rule_5_revoke_keeps_access_token_valid() {
    let e = env().await;
    let t = e.install().await;
    let (access, refresh) = (
        t["access_token"].as_str().unwrap(),
        t["refresh_token"].as_str().unwrap(),
    );
    // When the refresh token is revoked
    let answer = revoke(
        &e,
        &[
            ("client_id", DEMO_STANDARD_CLIENT_ID),
            ("client_secret", STD_SECRET),
            ("token", refresh),
            ("token_type_hint", "refresh_token"),
        ],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.text.is_empty());
    // then refreshing fails and introspection says inactive
    assert_oauth_error(
        &e.refresh("v3", refresh).await,
        "BAD_REFRESH_TOKEN",
        "invalid_grant",
    );
    assert_eq!(introspect_token(&e, refresh).await, json!({"active": false}));
    // but the access token keeps working until it expires.
    assert_eq!(introspect_token(&e, access).await["active"], true);
    let api = e.bearer_get(&e.url("/crm/v3/objects/contacts"), access).await;
    assert_eq!(api.status, StatusCode::OK);
    // Revoking again is harmless.
    let again = revoke(
        &e,
        &[
            ("client_id", DEMO_STANDARD_CLIENT_ID),
            ("client_secret", STD_SECRET),
            ("token", refresh),
        ],
    )
    .await;
    assert_eq!(again.status, StatusCode::OK);
}

#[tokio::test]
async fn rule_5_revoke_bad_input_is_generic_validation_error() {
    let e = env().await;
    let t = e.install().await;
    let refresh = t["refresh_token"].as_str().unwrap();
    let cases: [&[(&str, &str)]; 3] = [
        &[
            ("client_id", DEMO_STANDARD_CLIENT_ID),
            ("client_secret", STD_SECRET),
        ],
        &[
            ("client_id", DEMO_STANDARD_CLIENT_ID),
            ("client_secret", "wrong"),
            ("token", refresh),
        ],
        &[
            ("client_id", DEMO_STANDARD_CLIENT_ID),
            ("client_secret", STD_SECRET),
            ("token", t["access_token"].as_str().unwrap()),
        ],
    ];
    for fields in cases {
        let answer = revoke(&e, fields).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        let body = answer.json();
        assert_eq!(body["category"], "VALIDATION_ERROR");
        assert_eq!(
            body["message"],
            "Invalid input (details will vary based on the error)"
        );
        assert!(body["correlationId"].is_string() && body["links"]["knowledge-base"].is_string());
    }
    // None of them revoked anything.
    assert!(e.refresh("v3", refresh).await.status.is_success());
}

#[tokio::test]
async fn rule_6_v1_access_token_metadata_has_legacy_shape() {
    let e = env().await;
    let t = e.install().await;
    let access = t["access_token"].as_str().unwrap();
    let answer = e.get(&e.url(&format!("/oauth/v1/access-tokens/{access}"))).await;
    assert_eq!(answer.status, StatusCode::OK);
    let info = answer.json();
    assert_eq!(info["token_type"], "access");
    assert_eq!(info["token"], access);
    assert_eq!(info["user"], "alex@acme.example");
    assert_eq!(info["hub_id"], DEMO_PRO_HUB_ID);
    assert_eq!(info["app_id"], 3_141_592);
    assert_eq!(info["signed_access_token"]["isUserLevel"], false);
    assert!(info["expires_in"].as_u64().unwrap() > 1700);
    let unknown = e.get(&e.url("/oauth/v1/access-tokens/CKunknown")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    e.sb.advance_clock(1801);
    let expired = e.get(&e.url(&format!("/oauth/v1/access-tokens/{access}"))).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(expired.json()["category"], "EXPIRED_AUTHENTICATION");
}

#[tokio::test]
async fn rule_6_v1_delete_refresh_token_is_204() {
    let e = env().await;
    let t = e.install().await;
    let refresh = t["refresh_token"].as_str().unwrap();
    let path = e.url(&format!("/oauth/v1/refresh-tokens/{refresh}"));
    let info = e.get(&path).await.json();
    assert_eq!(info["token"], refresh);
    assert_eq!(info["client_id"], DEMO_STANDARD_CLIENT_ID);
    assert_eq!(info["token_type"], "refresh");
    // When deleted: 204, then gone, and refreshing fails; access tokens are unaffected.
    let deleted = read(e.http.delete(&path).send().await.unwrap()).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(e.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_oauth_error(
        &e.refresh("v1", refresh).await,
        "BAD_REFRESH_TOKEN",
        "invalid_grant",
    );
    let api = e
        .bearer_get(
            &e.url("/account-info/2026-09/details"),
            t["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(api.status, StatusCode::OK);
    let again = read(e.http.delete(&path).send().await.unwrap()).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}
