//! The whole OAuth cycle over real HTTP against the HubSpot sandbox: authorize → exchange →
//! introspect → refresh → revoke, for a standard app and for an MCP auth app.

use crate::client_support;

use client_support::*;
use hubkey_core::error::Error;
use hubkey_core::ErrorCode;
use hubspot_sandbox::{DEMO_PRO_HUB_ID, DEMO_STARTER_HUB_ID};

#[tokio::test]
async fn given_a_standard_app_when_signing_in_then_code_token_introspect_refresh_revoke_all_work() {
    let s = sandbox().await;
    let c = client(&s);
    let app = standard_app();
    let secret = secret_of(&s, &app);
    let logs = capture_logs();

    // Authorize (portal-specific) and exchange.
    let (req, code) = authorize(&c, &app, Some(DEMO_PRO_HUB_ID)).await;
    assert_eq!(req.url.path(), format!("/oauth/{DEMO_PRO_HUB_ID}/authorize"));
    let tokens = c
        .exchange_code(
            &app,
            &secret,
            &code,
            &req.redirect_uri,
            req.pkce_verifier.as_ref(),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(tokens.hub_id, Some(DEMO_PRO_HUB_ID));
    assert!(tokens.scopes.contains(&"crm.objects.contacts.read".to_owned()));
    assert!(
        tokens.scopes.contains(&"automation".to_owned()),
        "granted optional scopes are listed"
    );
    let ttl = (tokens.expires_at - now()).whole_seconds();
    assert!((1790..=1800).contains(&ttl), "expires_in 1800 → {ttl}");

    // Introspect.
    let meta = c
        .introspect(&app, &secret, &tokens.access_token)
        .await
        .unwrap()
        .expect("active");
    assert_eq!(meta.hub_id, Some(DEMO_PRO_HUB_ID));
    assert_eq!(meta.user.as_deref(), Some("alex@acme.example"));
    assert_eq!(meta.user_id, Some(1001));
    assert_eq!(meta.app_id, Some(3_141_592));
    assert_eq!(meta.client_id.as_deref(), Some(app.client_id.as_str()));
    assert_eq!(meta.hub_domain.as_deref(), Some("acme.example"));
    assert_eq!(meta.is_user_level, Some(false));
    assert_eq!(meta.token_use.as_deref(), Some("access_token"));
    assert_eq!(meta.token_type.as_deref(), Some("bearer"));
    assert_eq!(meta.is_private_distribution, Some(false));
    assert_eq!(meta.hublet.as_deref(), Some("na1"));

    // Refresh (rotation off by default: same refresh token back).
    let refreshed = c
        .refresh(&app, &secret, &tokens.refresh_token, now())
        .await
        .unwrap();
    assert!(!refreshed.rotated);
    assert!(refreshed.tokens.refresh_token.eq_secret(&tokens.refresh_token));
    assert!(!refreshed.tokens.access_token.eq_secret(&tokens.access_token));
    assert_eq!(refreshed.tokens.hub_id, Some(DEMO_PRO_HUB_ID));

    // Revoke; then refresh fails NeedsReauth, but the issued access token keeps working.
    c.revoke(&app, &secret, &tokens.refresh_token).await.unwrap();
    let err = c
        .refresh(&app, &secret, &tokens.refresh_token, now())
        .await
        .unwrap_err();
    let Error::NeedsReauth(fault) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(fault.status.as_deref(), Some("BAD_REFRESH_TOKEN"));
    assert!(c
        .introspect(&app, &secret, &refreshed.tokens.access_token)
        .await
        .unwrap()
        .is_some());
    let api = reqwest::Client::new()
        .get(format!("{}/account-info/2026-09/details", s.base_url()))
        .bearer_auth(refreshed.tokens.access_token.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.status().as_u16(),
        200,
        "access tokens outlive the revoked refresh token"
    );
    // Revoking again is still fine (HubSpot answers 200 for an unknown token).
    c.revoke(&app, &secret, &tokens.refresh_token).await.unwrap();

    // What went over the wire.
    let log = s.requests();
    let token_posts: Vec<_> = log.iter().filter(|r| r.path == "/oauth/2026-03/token").collect();
    assert_eq!(token_posts.len(), 3, "exchange, refresh, failed refresh");
    let exchange = token_posts[0];
    assert_eq!(exchange.method, "POST");
    assert_eq!(exchange.grant_type.as_deref(), Some("authorization_code"));
    assert!(exchange.had_code_verifier && exchange.had_client_secret);
    assert!(exchange.query_fields.is_empty());
    assert!(exchange
        .content_type
        .as_deref()
        .unwrap()
        .starts_with("application/x-www-form-urlencoded"));
    for f in [
        "grant_type",
        "code",
        "code_verifier",
        "client_id",
        "client_secret",
        "redirect_uri",
    ] {
        assert!(
            exchange.form_fields.iter().any(|n| n == f),
            "{f} in {:?}",
            exchange.form_fields
        );
    }
    assert_eq!(token_posts[1].grant_type.as_deref(), Some("refresh_token"));
    assert_eq!(s.count("/token/revoke", None), 2);

    // S2 (partial): the client's logs at TRACE hold no secret.
    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("/oauth/2026-03/token"), "paths are logged: {logs}");
    assert_hidden(
        &logs,
        &[
            &secret,
            &code,
            &tokens.access_token,
            &tokens.refresh_token,
            &refreshed.tokens.access_token,
            &req.state,
        ],
    );
    assert_hidden(&logs, &[req.pkce_verifier.as_ref().unwrap()]);
    s.shutdown().await;
}

#[tokio::test]
async fn given_an_mcp_app_when_signing_in_then_pkce_is_required_and_the_cycle_works_on_the_mcp_host() {
    let s = sandbox().await;
    let c = client(&s);
    let app = mcp_app();
    let secret = secret_of(&s, &app);

    let (req, code) = authorize(&c, &app, None).await;
    assert_eq!(req.url.path(), "/oauth/authorize/user");
    assert!(req.pkce_verifier.is_some());
    let tokens = c
        .exchange_code(
            &app,
            &secret,
            &code,
            &req.redirect_uri,
            req.pkce_verifier.as_ref(),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(tokens.user_id, Some(1001));

    let meta = c
        .introspect(&app, &secret, &tokens.access_token)
        .await
        .unwrap()
        .expect("active");
    assert_eq!(meta.is_user_level, Some(true));
    assert_eq!(meta.app_id, Some(2_718_281));

    let refreshed = c
        .refresh(&app, &secret, &tokens.refresh_token, now())
        .await
        .unwrap();
    assert!(!refreshed.tokens.access_token.eq_secret(&tokens.access_token));

    c.revoke(&app, &secret, &refreshed.tokens.refresh_token)
        .await
        .unwrap();
    let err = c
        .refresh(&app, &secret, &refreshed.tokens.refresh_token, now())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NeedsReauth, "{err}");

    let log = s.requests();
    let mcp_token = log
        .iter()
        .find(|r| r.path == "/oauth/v3/token")
        .expect("token call on the MCP host");
    assert!(mcp_token.had_code_verifier);
    assert!(log.iter().any(|r| r.path == "/oauth/v3/token/introspect"));
    assert!(log.iter().any(|r| r.path.ends_with("/token/revoke")));
    s.shutdown().await;
}

#[tokio::test]
async fn c10_given_a_sign_in_when_exchanging_then_the_redirect_uri_sent_is_byte_identical_to_the_authorize_one(
) {
    let s = sandbox().await;
    let c = client(&s);
    for redirect in [
        "http://localhost:3000/oauth-callback",
        "http://localhost:53682/callback",
    ] {
        let mut app = standard_app();
        app.redirect_uri = redirect.into();
        sign_in(&s, &c, &app, None).await;
    }
    let log = s.requests();
    let authorize: Vec<_> = log.iter().filter(|r| r.path.ends_with("/authorize")).collect();
    let exchanges: Vec<_> = log
        .iter()
        .filter(|r| r.grant_type.as_deref() == Some("authorization_code"))
        .collect();
    assert_eq!(authorize.len(), 2);
    assert_eq!(exchanges.len(), 2);
    for (a, x) in authorize.iter().zip(&exchanges) {
        assert!(a.redirect_uri.is_some());
        assert_eq!(a.redirect_uri, x.redirect_uri);
        assert_eq!(x.status, 200);
    }
    s.shutdown().await;
}

#[tokio::test]
async fn c10_given_an_exchange_with_another_registered_redirect_uri_then_hubspot_config_bad_redirect_uri() {
    let s = sandbox().await;
    let c = client(&s);
    let app = standard_app();
    let (req, code) = authorize(&c, &app, None).await;
    let err = c
        .exchange_code(
            &app,
            &secret_of(&s, &app),
            &code,
            "http://localhost:53682/callback",
            req.pkce_verifier.as_ref(),
            now(),
        )
        .await
        .unwrap_err();
    let Error::HubSpotConfig(fault) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(fault.status.as_deref(), Some("BAD_REDIRECT_URI"));
    s.shutdown().await;
}

#[tokio::test]
async fn t16_given_an_introspection_when_sent_then_the_sandbox_saw_a_post_with_token_in_the_form_only() {
    let s = sandbox().await;
    let c = client(&s);
    let app = standard_app();
    let tokens = sign_in(&s, &c, &app, None).await;
    s.clear_requests();
    c.introspect(&app, &secret_of(&s, &app), &tokens.access_token)
        .await
        .unwrap()
        .unwrap();
    let log = s.requests();
    assert_eq!(log.len(), 1);
    let r = &log[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/oauth/2026-03/token/introspect");
    assert!(r.query_fields.is_empty());
    assert!(r.form_fields.iter().any(|f| f == "token"), "{:?}", r.form_fields);
    assert!(r.form_fields.iter().any(|f| f == "token_type_hint"));
    assert!(!r.path.contains(tokens.access_token.expose()));
    s.shutdown().await;
}

#[tokio::test]
async fn t12_given_rotation_on_when_refreshing_then_a_new_refresh_token_is_returned_and_the_old_one_dies() {
    let s = sandbox().await;
    s.update_switches(|sw| sw.rotate_refresh_tokens = true);
    let c = client(&s);
    let app = standard_app();
    let secret = secret_of(&s, &app);
    let tokens = sign_in(&s, &c, &app, None).await;
    let r1 = c
        .refresh(&app, &secret, &tokens.refresh_token, now())
        .await
        .unwrap();
    assert!(r1.rotated);
    assert!(!r1.tokens.refresh_token.eq_secret(&tokens.refresh_token));
    let err = c
        .refresh(&app, &secret, &tokens.refresh_token, now())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NeedsReauth);
    let r2 = c
        .refresh(&app, &secret, &r1.tokens.refresh_token, now())
        .await
        .unwrap();
    assert!(r2.rotated);

    s.update_switches(|sw| sw.rotate_refresh_tokens = false);
    let r3 = c
        .refresh(&app, &secret, &r2.tokens.refresh_token, now())
        .await
        .unwrap();
    assert!(!r3.rotated);
    assert!(r3.tokens.refresh_token.eq_secret(&r2.tokens.refresh_token));
    s.shutdown().await;
}

#[tokio::test]
async fn given_an_uninstall_or_a_deleted_portal_when_refreshing_then_needs_reauth_with_hubspots_status() {
    let s = sandbox().await;
    let c = client(&s);
    let app = standard_app();
    let secret = secret_of(&s, &app);
    let pro = sign_in(&s, &c, &app, Some(DEMO_PRO_HUB_ID)).await;
    let starter = sign_in(&s, &c, &app, Some(DEMO_STARTER_HUB_ID)).await;

    s.uninstall(&app.client_id, DEMO_PRO_HUB_ID);
    let Error::NeedsReauth(f) = c
        .refresh(&app, &secret, &pro.refresh_token, now())
        .await
        .unwrap_err()
    else {
        panic!()
    };
    assert_eq!(f.status.as_deref(), Some("BAD_REFRESH_TOKEN"));

    s.delete_portal(DEMO_STARTER_HUB_ID);
    let Error::NeedsReauth(f) = c
        .refresh(&app, &secret, &starter.refresh_token, now())
        .await
        .unwrap_err()
    else {
        panic!()
    };
    assert_eq!(f.status.as_deref(), Some("BAD_HUB"));
    assert_eq!(f.error.as_deref(), Some("access_denied"));
    assert_eq!(
        c.introspect(&app, &secret, &starter.access_token).await.unwrap(),
        None,
        "active:false"
    );
    s.shutdown().await;
}
