//! T1 and friends: every way the token endpoint can fail, against the sandbox over real HTTP.
//! Each failure is a typed error whose Display and Debug hold no body, token, code or secret.

use crate::client_support;

use client_support::*;
use hubkey_core::error::Error;
use hubkey_core::{AccessToken, ClientSecret, ErrorCode};
use hubspot_sandbox::{Fault, FaultPlan};
use std::time::Duration;

fn shown(err: &Error) -> String {
    format!("{err} | {err:?} | {}", err.hint())
}

#[tokio::test]
async fn t1_given_an_unknown_code_when_exchanging_then_a_typed_login_failure_without_the_body() {
    let s = sandbox().await;
    let c = client(&s);
    let app = standard_app();
    let secret = secret_of(&s, &app);
    let (req, _code) = authorize(&c, &app, None).await;
    let bogus = hubkey_core::AuthCode::new("na1-0000-1111-2222-3333-444444444444");
    let err = c
        .exchange_code(
            &app,
            &secret,
            &bogus,
            &req.redirect_uri,
            req.pkce_verifier.as_ref(),
            now(),
        )
        .await
        .unwrap_err();
    let Error::ConsentDenied { error, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(error, "BAD_AUTH_CODE");
    assert_hidden(
        &shown(&err),
        &[&bogus, &secret, req.pkce_verifier.as_ref().unwrap()],
    );
    s.shutdown().await;
}

#[tokio::test]
async fn t1_given_a_code_used_twice_when_exchanging_again_then_bad_auth_code() {
    let s = sandbox().await;
    let c = client(&s);
    let app = standard_app();
    let secret = secret_of(&s, &app);
    let (req, code) = authorize(&c, &app, None).await;
    c.exchange_code(
        &app,
        &secret,
        &code,
        &req.redirect_uri,
        req.pkce_verifier.as_ref(),
        now(),
    )
    .await
    .unwrap();
    let err = c
        .exchange_code(
            &app,
            &secret,
            &code,
            &req.redirect_uri,
            req.pkce_verifier.as_ref(),
            now(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ConsentDenied, "{err}");
    assert_hidden(&shown(&err), &[&code]);
    s.shutdown().await;
}

#[tokio::test]
async fn c3_given_an_injected_code_issued_for_another_challenge_when_exchanging_then_bad_code_verifier() {
    let s = sandbox().await;
    let c = client(&s);
    let app = standard_app();
    let secret = secret_of(&s, &app);
    // The attacker's sign-in produced this code, bound to the attacker's challenge…
    let (_attacker, injected) = authorize(&c, &app, None).await;
    // …and it lands in the victim's pending login, which holds the victim's verifier.
    let (victim, _) = authorize(&c, &app, None).await;
    let err = c
        .exchange_code(
            &app,
            &secret,
            &injected,
            &victim.redirect_uri,
            victim.pkce_verifier.as_ref(),
            now(),
        )
        .await
        .unwrap_err();
    // Issue 13: an error naming the verifier is said exactly (PkceRejected, not a consent failure).
    let Error::PkceRejected(fault) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(fault.status.as_deref(), Some("BAD_CODE_VERIFIER"));
    assert_hidden(&shown(&err), &[&injected, victim.pkce_verifier.as_ref().unwrap()]);
    s.shutdown().await;
}

#[tokio::test]
async fn given_a_wrong_client_secret_when_exchanging_then_hubspot_config_bad_client_secret_with_a_hint() {
    let s = sandbox().await;
    let c = client(&s);
    let app = standard_app();
    let (req, code) = authorize(&c, &app, None).await;
    let wrong = ClientSecret::new("ffffffff-ffff-4fff-8fff-ffffffffffff");
    let err = c
        .exchange_code(
            &app,
            &wrong,
            &code,
            &req.redirect_uri,
            req.pkce_verifier.as_ref(),
            now(),
        )
        .await
        .unwrap_err();
    let Error::HubSpotConfig(fault) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(fault.status.as_deref(), Some("BAD_CLIENT_SECRET"));
    assert_eq!(fault.http_status, 400);
    assert!(err.hint().contains("client secret"), "{}", err.hint());
    assert_hidden(&shown(&err), &[&wrong, &code]);

    // Same on refresh and introspect: the stored tokens are kept (config, not revoked).
    let tokens = sign_in(&s, &c, &app, None).await;
    let err = c
        .refresh(&app, &wrong, &tokens.refresh_token, now())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::HubspotConfig, "{err}");
    let err = c
        .introspect(&app, &wrong, &tokens.access_token)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::HubspotConfig, "{err}");
    let err = c.revoke(&app, &wrong, &tokens.refresh_token).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::HubspotConfig, "{err}");
    s.shutdown().await;
}

#[tokio::test]
async fn given_an_unknown_client_id_when_refreshing_then_hubspot_config_bad_client_id() {
    let s = sandbox().await;
    let c = client(&s);
    let mut app = standard_app();
    let secret = secret_of(&s, &app);
    let tokens = sign_in(&s, &c, &app, None).await;
    app.client_id = "00000000-0000-4000-8000-000000000000".into();
    let Error::HubSpotConfig(f) = c
        .refresh(&app, &secret, &tokens.refresh_token, now())
        .await
        .unwrap_err()
    else {
        panic!()
    };
    assert_eq!(f.status.as_deref(), Some("BAD_CLIENT_ID"));
    s.shutdown().await;
}

#[tokio::test]
async fn t1_given_a_500_when_exchanging_then_transient_without_the_body() {
    let s = sandbox().await;
    let c = client(&s);
    let app = standard_app();
    let secret = secret_of(&s, &app);
    let (req, code) = authorize(&c, &app, None).await;
    s.update_switches(|sw| sw.faults = FaultPlan::next([Fault::Status5xx(500)]));
    let err = c
        .exchange_code(
            &app,
            &secret,
            &code,
            &req.redirect_uri,
            req.pkce_verifier.as_ref(),
            now(),
        )
        .await
        .unwrap_err();
    let Error::Transient { what, retry_after } = &err else {
        panic!("{err:?}")
    };
    assert!(what.contains("500"), "{what}");
    assert_eq!(*retry_after, None);
    assert_hidden(&shown(&err), &[&code, &secret]);
    s.shutdown().await;
}

#[tokio::test]
async fn given_a_429_with_retry_after_when_refreshing_then_transient_with_the_delay() {
    let s = sandbox().await;
    let c = client(&s);
    let app = standard_app();
    let secret = secret_of(&s, &app);
    let tokens = sign_in(&s, &c, &app, None).await;
    s.update_switches(|sw| sw.faults = FaultPlan::next([Fault::Status429 { retry_after_secs: 7 }]));
    let err = c
        .refresh(&app, &secret, &tokens.refresh_token, now())
        .await
        .unwrap_err();
    let Error::Transient { retry_after, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*retry_after, Some(Duration::from_secs(7)));
    assert!(err.is_transient());
    // The fault was one-shot: the next refresh succeeds with the same refresh token.
    c.refresh(&app, &secret, &tokens.refresh_token, now())
        .await
        .unwrap();
    s.shutdown().await;
}

#[tokio::test]
async fn t1_given_a_delay_longer_than_the_client_timeout_when_refreshing_then_transient_timeout() {
    let s = sandbox().await;
    let app = standard_app();
    let secret = secret_of(&s, &app);
    let tokens = sign_in(&s, &client(&s), &app, None).await;
    s.update_switches(|sw| sw.faults = FaultPlan::next([Fault::Delay(3_000)]));
    let c = client_with_timeout(&s, Duration::from_millis(400));
    let started = std::time::Instant::now();
    let err = c
        .refresh(&app, &secret, &tokens.refresh_token, now())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Transient, "{err}");
    assert!(err.to_string().contains("no answer"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_hidden(&shown(&err), &[&tokens.refresh_token, &secret]);
    s.shutdown().await;
}

#[tokio::test]
async fn t1_given_a_dropped_connection_when_exchanging_or_introspecting_then_transient() {
    let s = sandbox().await;
    let c = client(&s);
    let app = standard_app();
    let secret = secret_of(&s, &app);
    let (req, code) = authorize(&c, &app, None).await;
    s.update_switches(|sw| sw.faults = FaultPlan::next([Fault::Drop, Fault::Drop]));
    let err = c
        .exchange_code(
            &app,
            &secret,
            &code,
            &req.redirect_uri,
            req.pkce_verifier.as_ref(),
            now(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Transient, "{err}");
    assert_hidden(&shown(&err), &[&code, &secret]);
    let err = c
        .introspect(&app, &secret, &AccessToken::new("x"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Transient, "{err}");
    s.shutdown().await;
}

#[tokio::test]
async fn given_an_unknown_access_token_when_introspecting_then_none() {
    let s = sandbox().await;
    let c = client(&s);
    let app = standard_app();
    let got = c
        .introspect(
            &app,
            &secret_of(&s, &app),
            &AccessToken::new("CIrT-not-a-real-token"),
        )
        .await
        .unwrap();
    assert_eq!(got, None);
    s.shutdown().await;
}

#[tokio::test]
async fn given_an_expired_access_token_when_introspecting_then_none() {
    let s = sandbox().await;
    let c = client(&s);
    let app = standard_app();
    let tokens = sign_in(&s, &c, &app, None).await;
    s.advance_clock(1801);
    assert_eq!(
        c.introspect(&app, &secret_of(&s, &app), &tokens.access_token)
            .await
            .unwrap(),
        None
    );
    s.shutdown().await;
}

#[tokio::test]
async fn given_a_hubspot_that_refuses_pkce_on_a_standard_app_when_exchanging_then_pkce_rejected_and_without_pkce_it_works(
) {
    // The sandbox's `rejects_pkce` switch plays a HubSpot that refuses PKCE on this app (its PKCE handling on
    // standard apps is undocumented: hubspot-oauth.md §1.4).
    let mut fixture = hubspot_sandbox::Fixture::demo();
    fixture.apps[0].rejects_pkce = true;
    let s = hubspot_sandbox::Sandbox::start(fixture).await.unwrap();
    s.update_switches(|sw| sw.auto_grant = true);
    let c = client(&s);
    let app = standard_app();
    let secret = secret_of(&s, &app);
    let (req, code) = authorize(&c, &app, None).await;
    let err = c
        .exchange_code(
            &app,
            &secret,
            &code,
            &req.redirect_uri,
            req.pkce_verifier.as_ref(),
            now(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::PkceRejected, "{err}");
    assert!(
        err.to_string().contains("PKCE (code_verifier) is not supported"),
        "{err}"
    );
    assert!(
        err.hint().contains("Retry without PKCE") && err.hint().contains("--no-pkce"),
        "{}",
        err.hint()
    );
    assert_hidden(
        &shown(&err),
        &[&code, req.pkce_verifier.as_ref().unwrap(), &secret],
    );
    // Without PKCE, the same app signs in.
    let mut off = app.clone();
    off.pkce = false;
    let (req, code) = authorize(&c, &off, None).await;
    assert!(req.pkce_verifier.is_none());
    assert!(!req.url.as_str().contains("code_challenge"));
    c.exchange_code(&off, &secret, &code, &req.redirect_uri, None, now())
        .await
        .unwrap();
    s.shutdown().await;
}
