//! §9 point 7: the protected API stub.

use hubspot_sandbox::{
    DEMO_PRO_HUB_ID, DEMO_STANDARD_CLIENT_ID, DEMO_STARTER_HUB_ID, DEMO_USER_LEVEL_CLIENT_ID,
};
use reqwest::StatusCode;

use crate::common::*;

#[tokio::test]
async fn rule_7_expired_token_is_401_expired_authentication() {
    let e = env().await;
    let t =
        e.sb.issue_tokens_directly(DEMO_STANDARD_CLIENT_ID, DEMO_PRO_HUB_ID, None)
            .unwrap();
    let url = e.url("/account-info/2026-09/details");
    assert_eq!(e.bearer_get(&url, &t.access_token).await.status, StatusCode::OK);
    // Given the token expired 5 minutes (and a bit) ago
    e.sb.advance_clock(1800 + 5 * 60 + 10);
    let answer = e.bearer_get(&url, &t.access_token).await;
    // then 401 EXPIRED_AUTHENTICATION with HubSpot's message.
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let body = answer.json();
    assert_eq!(body["category"], "EXPIRED_AUTHENTICATION");
    assert_eq!(body["status"], "error");
    assert_eq!(
        body["message"],
        "The OAuth token used to make this call expired 5 minute(s) ago."
    );
    assert!(body["correlationId"].is_string());
}

#[tokio::test]
async fn rule_7_unknown_or_missing_token_is_401_invalid_authentication() {
    let e = env().await;
    let url = e.url("/crm/v3/objects/contacts");
    for answer in [e.bearer_get(&url, "CKgarbage").await, e.get(&url).await] {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.json()["category"], "INVALID_AUTHENTICATION");
        assert_eq!(answer.json()["message"], "Authentication credentials not found.");
    }
}

#[tokio::test]
async fn rule_7_missing_scope_is_403_missing_scopes() {
    let e = env().await;
    // Given a token without crm.objects.owners.read (not requested as optional)
    let t = e.install().await;
    let answer = e
        .bearer_get(&e.url("/crm/v3/owners"), t["access_token"].as_str().unwrap())
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let body = answer.json();
    assert_eq!(body["category"], "MISSING_SCOPES");
    assert_eq!(
        body["errors"][0]["context"]["requiredGranularScopes"][0],
        "crm.objects.owners.read"
    );
    // With the scope granted, the same call works.
    let code = e.code(&[("optional_scope", "crm.objects.owners.read")]).await;
    let t = e.exchange(&code).await.json();
    let answer = e
        .bearer_get(&e.url("/crm/v3/owners"), t["access_token"].as_str().unwrap())
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.json()["results"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn rule_7_user_level_token_is_refused_on_flagged_endpoint() {
    let e = env().await;
    let t =
        e.sb.issue_tokens_directly(DEMO_USER_LEVEL_CLIENT_ID, DEMO_PRO_HUB_ID, None)
            .unwrap();
    assert!(t.scopes.contains(&"crm.objects.owners.read".to_owned()));
    let answer = e.bearer_get(&e.url("/crm/v3/owners"), &t.access_token).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.json()["message"],
        "User level OAuth token is not allowed for this endpoint."
    );
    // Unflagged endpoints accept it.
    let contacts = e
        .bearer_get(&e.url("/crm/v3/objects/contacts"), &t.access_token)
        .await;
    assert_eq!(contacts.status, StatusCode::OK);
    assert_eq!(contacts.json()["results"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn rule_7_account_details_report_portal_hublet_and_ui_domain() {
    let e = env().await;
    for (hub, hublet, ui) in [
        (DEMO_PRO_HUB_ID, "na1", "app.hubspot.com"),
        (DEMO_STARTER_HUB_ID, "eu1", "app-eu1.hubspot.com"),
    ] {
        let t =
            e.sb.issue_tokens_directly(DEMO_STANDARD_CLIENT_ID, hub, None)
                .unwrap();
        let answer = e
            .bearer_get(&e.url("/account-info/2026-09/details"), &t.access_token)
            .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.header("x-hubspot-ratelimit-max").as_deref(), Some("110"));
        let body = answer.json();
        assert_eq!(body["portalId"], hub);
        assert_eq!(body["dataHostingLocation"], hublet);
        assert_eq!(body["uiDomain"], ui);
    }
}

#[tokio::test]
async fn rule_7_more_than_110_calls_in_10_seconds_is_429_ten_secondly_rolling() {
    let e = env().await;
    let t =
        e.sb.issue_tokens_directly(DEMO_STANDARD_CLIENT_ID, DEMO_PRO_HUB_ID, None)
            .unwrap();
    let url = e.url("/crm/v3/objects/contacts");
    for i in 0..110 {
        let answer = e.bearer_get(&url, &t.access_token).await;
        assert_eq!(answer.status, StatusCode::OK, "call {i}");
        assert_eq!(
            answer.header("x-hubspot-ratelimit-remaining"),
            Some((109 - i).to_string())
        );
    }
    let limited = e.bearer_get(&url, &t.access_token).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let body = limited.json();
    assert_eq!(body["policyName"], "TEN_SECONDLY_ROLLING");
    assert_eq!(body["errorType"], "RATE_LIMIT");
    assert_eq!(
        body["message"],
        "You have reached your ten_secondly_rolling limit."
    );
    // Another account has its own window; after 10 s the window rolls.
    let other =
        e.sb.issue_tokens_directly(DEMO_STANDARD_CLIENT_ID, DEMO_STARTER_HUB_ID, None)
            .unwrap();
    assert_eq!(
        e.bearer_get(&url, &other.access_token).await.status,
        StatusCode::OK
    );
    e.sb.advance_clock(10);
    assert_eq!(e.bearer_get(&url, &t.access_token).await.status, StatusCode::OK);
}

#[tokio::test]
async fn rule_7_external_uninstall_kills_refresh_tokens() {
    let e = env().await;
    let t = e.install().await;
    let answer = read(
        e.http
            .delete(e.url("/appinstalls/2026-09/external-install"))
            .bearer_auth(t["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert_oauth_error(
        &e.refresh("v3", t["refresh_token"].as_str().unwrap()).await,
        "BAD_REFRESH_TOKEN",
        "invalid_grant",
    );
}

#[tokio::test]
async fn rule_7_deleted_portal_tokens_stop_working() {
    let e = env().await;
    let t =
        e.sb.issue_tokens_directly(DEMO_STANDARD_CLIENT_ID, DEMO_PRO_HUB_ID, None)
            .unwrap();
    e.sb.delete_portal(DEMO_PRO_HUB_ID);
    let answer = e
        .bearer_get(&e.url("/account-info/2026-09/details"), &t.access_token)
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}
