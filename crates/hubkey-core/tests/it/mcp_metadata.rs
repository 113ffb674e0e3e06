//! Issue 13, point 6: the MCP host's OAuth endpoints come from its metadata (RFC 9728
//! protected-resource, then RFC 8414 authorization-server) when present, with today's paths as the
//! fallback: metadata missing, malformed, or pointing at an unsafe URL. Against the HubSpot sandbox,
//! whose `mcp_metadata` switch serves each of those; a whole MCP sign-in, refresh and revoke then
//! goes where the metadata said, or to the defaults.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::client_support;

use client_support::*;
use hubkey_core::app::AppKind;
use hubkey_core::config::EndpointSource;
use hubspot_sandbox::{Listener, McpMetadata, SandboxHandle};

/// The paths of the OAuth requests the MCP listener saw (authorize, token, introspect, revoke).
fn mcp_oauth_paths(s: &SandboxHandle) -> Vec<String> {
    s.requests()
        .into_iter()
        .filter(|r| r.listener == Listener::Mcp && r.path.contains("/oauth/"))
        .map(|r| r.path)
        .collect()
}

/// A whole MCP cycle with a fresh client: discovery, sign-in, introspect, refresh, revoke.
async fn cycle(s: &SandboxHandle) -> hubkey_core::config::OAuthEndpoints {
    let c = client(s);
    let app = mcp_app();
    let endpoints = c.oauth_endpoints(AppKind::Mcp).await;
    let secret = secret_of(s, &app);
    let tokens = sign_in(s, &c, &app, None).await;
    let meta = c
        .introspect(&app, &secret, &tokens.access_token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(meta.is_user_level, Some(true));
    let refreshed = c
        .refresh(&app, &secret, &tokens.refresh_token, now())
        .await
        .unwrap();
    c.revoke(&app, &secret, &refreshed.tokens.refresh_token)
        .await
        .unwrap();
    endpoints
}

#[tokio::test]
async fn given_hubspots_metadata_when_an_mcp_app_signs_in_then_its_endpoints_are_used_and_equal_todays_paths()
{
    let s = sandbox().await;
    let endpoints = cycle(&s).await;
    assert_eq!(endpoints.source, EndpointSource::Metadata);
    let base = s.mcp_base_url();
    assert_eq!(endpoints.token.as_str(), format!("{base}/oauth/v3/token"));
    let paths = mcp_oauth_paths(&s);
    assert_eq!(
        paths,
        [
            "/oauth/authorize/user",
            "/oauth/v3/token",
            "/oauth/v3/token/introspect",
            "/oauth/v3/token",
            "/oauth/v3/token/revoke"
        ],
        "{paths:?}"
    );
    // Both documents were read, the protected resource first (RFC 9728 names the server).
    let wk: Vec<String> = s
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/.well-known/"))
        .map(|r| r.path)
        .collect();
    assert_eq!(
        wk,
        [
            "/.well-known/oauth-protected-resource",
            "/.well-known/oauth-authorization-server"
        ]
    );
}

#[tokio::test]
async fn given_metadata_that_moves_the_authorization_server_when_signing_in_then_the_moved_endpoints_are_called(
) {
    let s = sandbox().await;
    s.update_switches(|sw| sw.mcp_metadata = McpMetadata::Relocated);
    let endpoints = cycle(&s).await;
    assert_eq!(endpoints.source, EndpointSource::Metadata);
    let paths = mcp_oauth_paths(&s);
    assert_eq!(
        paths,
        [
            "/relocated/oauth/authorize/user",
            "/relocated/oauth/v3/token",
            "/relocated/oauth/v3/token/introspect",
            "/relocated/oauth/v3/token",
            // Not advertised: the MCP host's default revocation path.
            "/oauth/v3/token/revoke"
        ],
        "{paths:?}"
    );
    assert!(s
        .requests()
        .iter()
        .any(|r| r.path == "/.well-known/oauth-authorization-server/relocated"));
}

#[tokio::test]
async fn given_missing_malformed_or_unsafe_metadata_when_signing_in_then_todays_paths_are_used() {
    for mode in [McpMetadata::Missing, McpMetadata::Malformed, McpMetadata::Unsafe] {
        let s = sandbox().await;
        s.update_switches(|sw| sw.mcp_metadata = mode);
        let endpoints = cycle(&s).await;
        assert_eq!(endpoints.source, EndpointSource::Defaults, "{mode:?}");
        let all = format!("{endpoints:?}");
        assert!(
            !all.contains("example.invalid"),
            "{mode:?}: never an unsafe URL: {all}"
        );
        assert_eq!(
            mcp_oauth_paths(&s),
            [
                "/oauth/authorize/user",
                "/oauth/v3/token",
                "/oauth/v3/token/introspect",
                "/oauth/v3/token",
                "/oauth/v3/token/revoke"
            ],
            "{mode:?}"
        );
    }
}

#[tokio::test]
async fn given_settled_metadata_then_a_client_keeps_it_and_an_unreachable_host_gives_the_defaults_for_now() {
    let s = sandbox().await;
    s.update_switches(|sw| sw.mcp_metadata = McpMetadata::Missing);
    let c = client(&s);
    assert_eq!(
        c.oauth_endpoints(AppKind::Mcp).await.source,
        EndpointSource::Defaults
    );
    s.update_switches(|sw| sw.mcp_metadata = McpMetadata::Relocated);
    let asked = s.requests().len();
    assert_eq!(
        c.oauth_endpoints(AppKind::Mcp).await.source,
        EndpointSource::Defaults
    );
    assert_eq!(s.requests().len(), asked, "settled once per client");
    assert!(client(&s)
        .oauth_endpoints(AppKind::Mcp)
        .await
        .token
        .path()
        .starts_with("/relocated/"));
    // Standard apps never ask.
    assert_eq!(
        c.oauth_endpoints(AppKind::Standard).await.source,
        EndpointSource::Defaults
    );
    assert_eq!(s.requests().len(), asked + 2);

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut e = endpoints(&s);
    e.mcp_base = url::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let offline = hubkey_core::client::HubSpotClient::new(e.clone()).unwrap();
    assert_eq!(
        offline.oauth_endpoints(AppKind::Mcp).await,
        e.oauth_defaults(AppKind::Mcp)
    );
}
