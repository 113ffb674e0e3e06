//! Issue 13, point 4, at the command line: a HubSpot that refuses PKCE on a standard app (the
//! sandbox's `rejects_pkce` fixture switch). The failed exchange says exactly that, with both fixes;
//! `hubkey login --no-pkce` retries once without PKCE, and `hubkey app add --no-pkce` turns it off
//! for the app; either way the login completes. Run under `scripts/with-keyring.sh`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::cli_support;

use cli_support::{World, APP, PRO};
use hubspot_sandbox::DEMO_STANDARD_CLIENT_ID;

async fn world_rejecting_pkce() -> World {
    World::start_with(|f| {
        f.apps
            .iter_mut()
            .find(|a| a.client_id == DEMO_STANDARD_CLIENT_ID)
            .unwrap()
            .rejects_pkce = true;
    })
    .await
}

/// Whether the sandbox saw a PKCE challenge on the last authorize, and a verifier on the last exchange.
fn last_pkce(w: &World) -> (bool, bool) {
    let requests = w.sandbox.requests();
    let authorize = requests
        .iter()
        .rev()
        .find(|r| r.path.ends_with("/authorize"))
        .unwrap();
    let exchange = requests
        .iter()
        .rev()
        .find(|r| r.grant_type.as_deref() == Some("authorization_code"))
        .unwrap();
    (
        authorize.query_fields.iter().any(|q| q == "code_challenge"),
        exchange.had_code_verifier,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_hubspot_refusing_pkce_when_logging_in_then_the_error_says_so_and_a_retry_without_pkce_completes(
) {
    let w = world_rejecting_pkce().await;
    w.add_app().await;

    let (refused, _) = w.login(&[]).await;

    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stdout.is_empty(), "{refused:?}");
    // After the URL and the wait, one error line.
    let line = *refused.stderr_lines().last().unwrap();
    assert!(
        line.starts_with(
            "hubkey: HubSpot refused this sign-in's PKCE code verifier (HTTP 400 BAD_CODE_VERIFIER"
        ),
        "{line}"
    );
    assert!(
        line.contains(&format!("hubkey login --app {APP} --no-pkce")),
        "the retry: {line}"
    );
    assert!(
        line.contains(&format!("hubkey app add {APP} … --no-pkce")),
        "the setting: {line}"
    );
    assert!(!line.contains("Grant access"), "{line}");
    assert_eq!(last_pkce(&w), (true, true));
    assert!(w.connections().await.is_empty(), "nothing stored");

    // The one-time retry.
    let (retried, _) = w.login(&["--no-pkce"]).await;
    assert_eq!(retried.json()["hub_id"], PRO);
    assert_eq!(last_pkce(&w), (false, false));
    // It did not change the app: PKCE stays on.
    let apps = w.run(&["app", "list", "--json"]).await.json();
    assert_eq!(apps["apps"][0]["pkce"], true, "{apps}");
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_an_app_registered_with_no_pkce_when_logging_in_then_no_challenge_or_verifier_is_sent() {
    let w = world_rejecting_pkce().await;
    let added = w.add_app_with(&["--no-pkce"]).await;
    assert!(added.stdout.contains("standard app, without PKCE"), "{added:?}");
    let apps = w.run(&["app", "list", "--json"]).await.json();
    assert_eq!(apps["apps"][0]["pkce"], false, "stored in the index: {apps}");

    let (login, _) = w.login(&[]).await;

    assert_eq!(login.json()["hub_id"], PRO);
    assert_eq!(last_pkce(&w), (false, false));
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_an_mcp_app_when_no_pkce_is_asked_then_it_is_refused_before_anything_is_sent() {
    let w = World::start().await;
    let redirect = w.redirect_uri();
    let out = w
        .run_with(
            &[
                "app",
                "add",
                "mcp",
                "--client-id",
                hubspot_sandbox::DEMO_MCP_CLIENT_ID,
                "--redirect-uri",
                &redirect,
                "--scopes",
                "oauth",
                "--mcp",
                "--no-pkce",
            ],
            Some("secret\n"),
            &[],
        )
        .await;
    let line = out.assert_one_error_line(2);
    assert!(line.contains("HubSpot requires PKCE for MCP auth apps"), "{line}");
    w.cleanup().await;
}
