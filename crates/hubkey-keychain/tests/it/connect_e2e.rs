//! In-process end to end (issue "Connect a portal"): start a login → a browser stand-in opens the
//! authorize URL → the HubSpot sandbox grants → the redirect reaches the loopback listener →
//! tokens land in the REAL keychain, the index is written, and the metadata is right.
//!
//! Run via `scripts/with-keyring.sh cargo test -p hubkey-keychain` (real Secret Service).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use hubkey_core::hubkey::LoginOptions;
use hubkey_core::store::{ConnectionState, SecretKey, SecretStore};
use hubkey_core::ConnectionKey;
use hubkey_core::ErrorCode;
use hubkey_core::Hubkey;
use hubspot_sandbox::{DEMO_PRO_HUB_ID, DEMO_STARTER_HUB_ID};
use std::sync::{Arc, Mutex};
use support::{browser, Seen, World};

async fn api_status(world: &World, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!(
            "{}/account-info/2026-09/details",
            world.sandbox.base_url()
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn given_a_standard_app_when_a_portal_is_connected_through_the_loopback_then_tokens_are_in_the_keychain_and_metadata_is_right(
) {
    let world = World::start("std").await;
    let (app, secret) = world.standard_app();
    world.store.save_app(&app, &secret).await.unwrap();

    let seen = Arc::new(Mutex::new(Seen::default()));
    let options = LoginOptions {
        portal_id: Some(DEMO_STARTER_HUB_ID),
        timeout: None,
        ..Default::default()
    };
    let conn = world
        .connector
        .login("demo", options, browser(seen.clone()))
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();

    // HubSpot redirected to the registered URL, and the listener answered with its result page.
    assert!(
        seen.location.starts_with(&world.standard_redirect),
        "{}",
        seen.location
    );
    assert_eq!(seen.page_status, 200);
    assert!(
        !seen.page_body.contains(&seen.code),
        "the result page must not echo the code"
    );

    // Metadata from the token response and the introspection.
    assert_eq!(conn.app, "demo");
    assert_eq!(conn.hub_id, DEMO_STARTER_HUB_ID);
    assert_eq!(conn.hub_domain.as_deref(), Some("sprocket.example"));
    assert_eq!(conn.user.as_deref(), Some("alex@acme.example"));
    assert_eq!(conn.user_id, Some(1001));
    assert_eq!(conn.app_id, Some(3_141_592));
    assert_eq!(conn.is_user_level, Some(false));
    assert_eq!(conn.installing_user_id, Some(1001));
    assert!(conn.scopes.contains(&"crm.objects.contacts.read".to_string()));
    assert!(conn.scopes.contains(&"crm.objects.deals.read".to_string()));
    assert_eq!(
        conn.optional_scopes_missing,
        vec!["automation".to_string()],
        "the Starter portal lacks automation"
    );
    assert_eq!(conn.state, ConnectionState::Fresh);

    // The PKCE verifier went to the token endpoint, with the exact redirect URI.
    let exchange = world
        .sandbox
        .requests()
        .into_iter()
        .find(|r| r.grant_type.as_deref() == Some("authorization_code"))
        .unwrap();
    assert!(
        exchange.path.ends_with("/oauth/2026-03/token"),
        "{}",
        exchange.path
    );
    assert!(exchange.had_code_verifier);
    assert_eq!(
        exchange.redirect_uri.as_deref(),
        Some(world.standard_redirect.as_str())
    );

    // Tokens are in the real keychain under the connection's generation, and they work.
    let tokens = world
        .store
        .load_tokens(&ConnectionKey::new("demo", DEMO_STARTER_HUB_ID))
        .await
        .unwrap();
    let key = SecretKey::AccessToken {
        app: "demo".into(),
        hub_id: DEMO_STARTER_HUB_ID,
        generation: conn.token_generation,
    };
    assert!(world
        .keychain
        .get(&key)
        .unwrap()
        .unwrap()
        .eq_secret(tokens.access_token.as_secret()));
    assert_eq!(api_status(&world, tokens.access_token.expose()).await, 200);

    // The index holds the connection, and no secret.
    let index_text = std::fs::read_to_string(world.store.index_path()).unwrap();
    assert!(index_text.contains("sprocket.example"));
    for s in [
        tokens.access_token.expose(),
        tokens.refresh_token.expose(),
        secret.expose(),
        &seen.code,
        &seen.state,
    ] {
        assert!(!index_text.contains(s), "a secret leaked into index.json");
    }
    world.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn given_an_mcp_auth_app_when_a_portal_is_connected_then_pkce_is_used_and_the_token_is_user_level() {
    let world = World::start("mcp").await;
    let (app, secret) = world.mcp_app();
    world.store.save_app(&app, &secret).await.unwrap();

    let seen = Arc::new(Mutex::new(Seen::default()));
    let conn = world
        .connector
        .login("mcp", LoginOptions::default(), browser(seen.clone()))
        .await
        .unwrap();
    assert!(seen.lock().unwrap().location.starts_with(&world.mcp_redirect));

    assert_eq!(
        conn.is_user_level,
        Some(true),
        "MCP auth apps issue user-level tokens"
    );
    assert_eq!(conn.app_id, Some(2_718_281));
    assert!(conn.user.is_some());
    let exchange = world
        .sandbox
        .requests()
        .into_iter()
        .find(|r| r.grant_type.as_deref() == Some("authorization_code"))
        .unwrap();
    assert_eq!(
        exchange.path, "/oauth/v3/token",
        "MCP apps exchange on the MCP host"
    );
    assert!(exchange.had_code_verifier, "PKCE is required for MCP auth apps");

    let tokens = world
        .store
        .load_tokens(&ConnectionKey::new("mcp", conn.hub_id))
        .await
        .unwrap();
    assert!(!tokens.access_token.is_empty());
    world.cleanup().await;
}

/// A browser stand-in that follows every redirect, as a real browser does, and records where it ended.
fn following_browser(
    ended_at: Arc<Mutex<Option<(url::Url, u16)>>>,
) -> impl FnOnce(&url::Url) -> hubkey_core::Result<()> {
    move |authorize: &url::Url| {
        let authorize = authorize.clone();
        tokio::spawn(async move {
            let browser = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::limited(10))
                .build()
                .unwrap();
            let page = browser.get(authorize).send().await.unwrap();
            *ended_at.lock().unwrap() = Some((page.url().clone(), page.status().as_u16()));
        });
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn given_an_eu_portal_when_an_mcp_app_connects_then_the_browser_follows_hubspot_to_mcp_eu1_and_the_connection_shows_eu1(
) {
    // HubSpot sends an EU portal from mcp.hubspot.com to mcp-eu1…/oauth/<hub_id>/authorize/user; the
    // browser follows it; token exchange works on the main hosts; introspection carries `hublet`
    // (hubspot-oauth.md §5.4 and the Corrections of 2026-12-02). The sandbox's EU portal plays it.
    let world = World::start("eu").await;
    world
        .sandbox
        .update_switches(|s| s.login_as = Some(hubspot_sandbox::DEMO_EU_USER.to_owned()));
    let (app, secret) = world.mcp_app();
    world.store.save_app(&app, &secret).await.unwrap();

    let ended_at = Arc::new(Mutex::new(None));
    let conn = world
        .connector
        .login(
            "mcp",
            LoginOptions::default(),
            following_browser(ended_at.clone()),
        )
        .await
        .unwrap();

    assert_eq!(conn.hub_id, DEMO_STARTER_HUB_ID);
    assert_eq!(conn.hublet.as_deref(), Some("eu1"));
    let (end, status) = ended_at.lock().unwrap().clone().unwrap();
    assert!(end.as_str().starts_with(&world.mcp_redirect), "{end}");
    assert_eq!(status, 200, "Hubkey's loopback page");
    // The way there: the canonical authorize page, then the regional one, then the exchange on the
    // main MCP host.
    let requests = world.sandbox.requests();
    let paths: Vec<(&str, u16)> = requests
        .iter()
        .filter(|r| r.path.contains("/authorize/user") || r.grant_type.is_some())
        .map(|r| (r.path.as_str(), r.status))
        .collect();
    let regional = format!("/mcp-eu1/oauth/{DEMO_STARTER_HUB_ID}/authorize/user");
    assert_eq!(
        paths,
        vec![
            ("/oauth/authorize/user", 302),
            (regional.as_str(), 302),
            ("/oauth/v3/token", 200)
        ]
    );
    // status --json's source, the index, carries it too.
    let stored = world
        .store
        .connection(&ConnectionKey::new("mcp", DEMO_STARTER_HUB_ID))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.hublet.as_deref(), Some("eu1"));
    assert_eq!(serde_json::to_value(&stored).unwrap()["hublet"], "eu1");
    world.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn given_a_connected_portal_when_it_is_connected_again_then_the_tokens_are_replaced_and_the_old_generation_is_gone(
) {
    let world = World::start("again").await;
    let (app, secret) = world.standard_app();
    world.store.save_app(&app, &secret).await.unwrap();
    let options = || LoginOptions {
        portal_id: Some(DEMO_PRO_HUB_ID),
        timeout: None,
        ..Default::default()
    };

    let first = world
        .connector
        .login("demo", options(), browser(Arc::default()))
        .await
        .unwrap();
    let old = world
        .store
        .load_tokens(&ConnectionKey::new("demo", DEMO_PRO_HUB_ID))
        .await
        .unwrap();
    let second = world
        .connector
        .login("demo", options(), browser(Arc::default()))
        .await
        .unwrap();
    let new = world
        .store
        .load_tokens(&ConnectionKey::new("demo", DEMO_PRO_HUB_ID))
        .await
        .unwrap();

    assert!(second.token_generation > first.token_generation);
    assert!(!new.access_token.eq_secret(&old.access_token));
    assert_eq!(
        world.store.connections().await.unwrap().len(),
        1,
        "one connection per (app, hub)"
    );
    let old_key = SecretKey::AccessToken {
        app: "demo".into(),
        hub_id: DEMO_PRO_HUB_ID,
        generation: first.token_generation,
    };
    assert!(
        world.keychain.get(&old_key).unwrap().is_none(),
        "the replaced generation is deleted"
    );
    world.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn l4_given_the_redirect_port_is_busy_when_connecting_then_it_fails_before_the_browser_opens_and_nothing_is_stored(
) {
    let world = World::start("busy").await;
    let (app, secret) = world.standard_app();
    world.store.save_app(&app, &secret).await.unwrap();
    let port: u16 = url::Url::parse(&world.standard_redirect).unwrap().port().unwrap();
    let _squatter = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();

    let opened = Arc::new(Mutex::new(false));
    let flag = opened.clone();
    let err = world
        .connector
        .login("demo", LoginOptions::default(), move |_| {
            *flag.lock().unwrap() = true;
            Ok(())
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::PortInUse);
    assert!(err.to_string().contains(&port.to_string()), "{err}");
    assert!(
        !*opened.lock().unwrap(),
        "the browser must not open when Hubkey cannot receive the redirect"
    );
    assert!(world.store.connections().await.unwrap().is_empty());
    world.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn given_an_unknown_app_when_connecting_then_not_found_and_no_browser() {
    let world = World::start("noapp").await;
    let connector: &Hubkey = &world.connector;
    let err = connector
        .login("nope", LoginOptions::default(), |_| panic!("no browser"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    world.cleanup().await;
}
