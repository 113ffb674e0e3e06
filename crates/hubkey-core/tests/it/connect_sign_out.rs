//! T15 (threat-model.md): signing out revokes the refresh token at HubSpot, then deletes the local
//! secrets and the index entry; when the revoke fails, the local deletion still happens and the
//! failure is reported. Revocation does not cut the current access token short.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::refresher_support as support;

use hubkey_core::client::HubSpotClient;
use hubkey_core::config::Endpoints;
use hubkey_core::ConnectionKey;
use hubkey_core::ErrorCode;
use support::{client, env, APP, PRO};

async fn api_status(base: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}/account-info/2026-09/details"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn t15_given_a_connection_when_signing_out_then_hubspot_revokes_and_local_secrets_are_gone() {
    let env = env("t15-ok").await;
    let tokens = env.connect(PRO).await;
    let conn = env.conn(PRO).await;

    let report = hubkey_core::Hubkey::builder(client(&env.sandbox).clone(), env.store.clone())
        .build()
        .sign_out(&hubkey_core::ConnectionKey::new(APP, PRO), false)
        .await
        .unwrap();

    assert!(report.revoked && !report.already_invalid);
    assert!(report.revoke_error.is_none());
    assert_eq!(
        report.access_token_valid_until,
        Some(conn.expires_at),
        "the UI tells how long the access token lives"
    );
    assert_eq!(env.sandbox.count("/token/revoke", None), 1);
    assert!(env
        .store
        .connection(&ConnectionKey::new(APP, PRO))
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        env.store
            .load_tokens(&ConnectionKey::new(APP, PRO))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotSignedIn
    );
    // HubSpot refuses the refresh token now, but the access token works until it expires.
    let refresh = client(&env.sandbox)
        .refresh(
            &env.app,
            &support::client_secret(&env.sandbox),
            &tokens.refresh_token,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap_err();
    assert_eq!(refresh.code(), ErrorCode::NeedsReauth);
    assert_eq!(
        api_status(&env.sandbox.base_url(), tokens.access_token.expose()).await,
        200
    );
}

#[tokio::test]
async fn t15_given_a_refresh_holds_the_connections_lock_when_signing_out_then_it_waits_and_the_connection_stays_gone(
) {
    // Given: a refresh of the connection is in flight (it holds the connection's lock across HubSpot's answer
    // and the save, here held by the test).
    let env = env("t15-waits").await;
    env.connect(PRO).await;
    let key = ConnectionKey::new(APP, PRO);
    let refreshing = env.store.refresh_lock(&key).await.unwrap();

    // When: the user signs out.
    let hubkey = hubkey_core::Hubkey::builder(client(&env.sandbox).clone(), env.store.clone()).build();
    let signing_out = tokio::spawn({
        let key = key.clone();
        async move { hubkey.sign_out(&key, false).await }
    });

    // Then: sign-out waits for the refresh, and deletes nothing meanwhile ...
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !signing_out.is_finished(),
        "sign-out did not wait for the refresh in flight"
    );
    assert!(env.store.connection(&key).await.unwrap().is_some());
    // ... and once the refresh is done, signs out: revoked, nothing left.
    drop(refreshing);
    let report = signing_out.await.unwrap().unwrap();
    assert!(report.revoked, "{:?}", report.revoke_error);
    assert!(env.store.connection(&key).await.unwrap().is_none());
    assert_eq!(env.mem.accounts(), vec!["app/demo/client-secret".to_string()]);
}

#[tokio::test]
async fn t15_given_a_refresh_kept_the_refresh_token_when_signing_out_then_that_token_is_revoked_and_both_entries_go(
) {
    let env = env("t15-kept").await;
    let tokens = env.connect(PRO).await;
    let before = env.conn(PRO).await;
    env.advance(26 * 60);
    let refreshed = env
        .refresher(support::quick_policy())
        .valid_token(&ConnectionKey::new(APP, PRO))
        .await
        .unwrap();
    let conn = env.conn(PRO).await;
    assert_eq!(
        conn.refresh_token_generation(),
        before.refresh_token_generation(),
        "the refresh token's entry was kept"
    );
    assert!(conn.describes(&refreshed) && !before.describes(&refreshed));

    let report = hubkey_core::Hubkey::builder(client(&env.sandbox).clone(), env.store.clone())
        .build()
        .sign_out(&hubkey_core::ConnectionKey::new(APP, PRO), false)
        .await
        .unwrap();

    assert!(report.revoked, "{:?}", report.revoke_error);
    assert_eq!(env.mem.accounts(), vec!["app/demo/client-secret".to_string()]);
    let refresh = client(&env.sandbox)
        .refresh(
            &env.app,
            &support::client_secret(&env.sandbox),
            &tokens.refresh_token,
            env.now(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        refresh.code(),
        ErrorCode::NeedsReauth,
        "the kept refresh token was revoked"
    );
}

#[tokio::test]
async fn t15_given_hubspot_is_unreachable_when_signing_out_then_local_secrets_are_deleted_and_the_failure_reported(
) {
    let env = env("t15-down").await;
    env.connect(PRO).await;
    // An API host where nothing listens.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoints =
        Endpoints::from_lookup(|k| (k == "HUBKEY_API_BASE_URL").then(|| format!("http://127.0.0.1:{dead}")))
            .unwrap();
    let unreachable = HubSpotClient::new(endpoints).unwrap();

    let report = hubkey_core::Hubkey::builder(unreachable.clone(), env.store.clone())
        .build()
        .sign_out(&hubkey_core::ConnectionKey::new(APP, PRO), false)
        .await
        .unwrap();

    assert!(!report.revoked);
    assert_eq!(
        report.revoke_error.as_ref().map(|e| e.code()),
        Some(ErrorCode::Transient)
    );
    assert!(
        env.store
            .connection(&ConnectionKey::new(APP, PRO))
            .await
            .unwrap()
            .is_none(),
        "deleted locally anyway"
    );
    assert_eq!(
        env.store
            .load_tokens(&ConnectionKey::new(APP, PRO))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotSignedIn
    );
    assert_eq!(env.sandbox.count("/token/revoke", None), 0);
}

#[tokio::test]
async fn t15_given_keep_remote_when_signing_out_then_nothing_is_sent_to_hubspot() {
    let env = env("t15-keep").await;
    env.connect(PRO).await;
    let report = hubkey_core::Hubkey::builder(client(&env.sandbox).clone(), env.store.clone())
        .build()
        .sign_out(&hubkey_core::ConnectionKey::new(APP, PRO), true)
        .await
        .unwrap();
    assert!(!report.revoked && report.revoke_error.is_none());
    assert_eq!(env.sandbox.count("/token/revoke", None), 0);
    assert!(env
        .store
        .connection(&ConnectionKey::new(APP, PRO))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn given_no_such_connection_when_signing_out_then_not_found_and_nothing_sent() {
    let env = env("t15-none").await;
    let err = hubkey_core::Hubkey::builder(client(&env.sandbox).clone(), env.store.clone())
        .build()
        .sign_out(&hubkey_core::ConnectionKey::new(APP, PRO), false)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert_eq!(env.sandbox.count("/token/revoke", None), 0);
}

#[tokio::test]
async fn given_a_refresh_token_hubspot_already_dropped_when_signing_out_then_it_completes_without_an_error() {
    // Issue 13, point 5: HubSpot answering 400 invalid_grant or VALIDATION_ERROR to the revocation of a
    // dead token (hubspot-oauth.md §2.6, §4.3) counts as revoked.
    for answer in [
        hubspot_sandbox::RevokeDeadToken::InvalidGrant,
        hubspot_sandbox::RevokeDeadToken::ValidationError,
    ] {
        let env = env("dead-on-revoke").await;
        env.connect(PRO).await;
        assert_eq!(env.sandbox.uninstall(&env.app.client_id, PRO), 1);
        env.sandbox.update_switches(|s| s.revoke_dead_token = answer);

        let report = hubkey_core::Hubkey::builder(client(&env.sandbox).clone(), env.store.clone())
            .build()
            .sign_out(&hubkey_core::ConnectionKey::new(APP, PRO), false)
            .await
            .unwrap();

        assert!(report.revoked && report.already_invalid, "{answer:?}");
        assert!(
            report.revoke_error.is_none(),
            "{answer:?}: {:?}",
            report.revoke_error
        );
        let revokes: Vec<u16> = env
            .sandbox
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/token/revoke"))
            .map(|r| r.status)
            .collect();
        assert_eq!(revokes, vec![400], "{answer:?}");
        assert!(env
            .store
            .connection(&ConnectionKey::new(APP, PRO))
            .await
            .unwrap()
            .is_none());
    }
}
