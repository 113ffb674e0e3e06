//! Every URL Hubkey calls with its default configuration (the real HubSpot), as one exact list. A
//! change of HubSpot's dated OAuth version (config::OAUTH_API_VERSION) or of any path shows up here
//! as one reviewed diff. Each URL is built by the function the calling code uses.

use hubkey_core::app::AppKind;
use hubkey_core::config::{Endpoints, OAUTH_API_VERSION};
use std::collections::BTreeSet;

#[test]
fn given_the_real_hubspot_then_every_url_hubkey_calls_by_default_is_exactly_this_list() {
    let e = Endpoints::hubspot();
    let mut called: BTreeSet<String> = BTreeSet::new();
    for kind in [AppKind::Standard, AppKind::Mcp] {
        // Sign-in, exchange, refresh, introspection, revocation (client.rs, connect.rs).
        let oauth = e.oauth_defaults(kind);
        called.insert(oauth.authorize.to_string());
        called.insert(oauth.token.to_string());
        called.insert(oauth.introspect.to_string());
        called.extend(oauth.revoke.iter().map(|u| u.to_string()));
    }
    // A preselected portal (`hubkey login --portal`, the window's re-authorize).
    called.insert(e.authorize_url(AppKind::Standard, Some(24_681_357)).to_string());
    // The MCP host's metadata (client/discovery.rs) and the MCP server (mcp.rs).
    called.insert(e.protected_resource_metadata_url().to_string());
    called.insert(Endpoints::authorization_server_metadata_url(&e.mcp_base).to_string());
    called.insert(e.mcp_server_url().to_string());
    // `hubkey doctor`'s reachability checks (doctor.rs).
    for (_, _, url) in hubkey_core::doctor::reachability_targets(&e) {
        called.insert(url.to_string());
    }

    let expected: BTreeSet<String> = [
        "https://api.hubapi.com/",
        "https://api.hubapi.com/oauth/2026-03/token",
        "https://api.hubapi.com/oauth/2026-03/token/introspect",
        "https://api.hubapi.com/oauth/2026-03/token/revoke",
        "https://app.hubspot.com/",
        "https://app.hubspot.com/oauth/24681357/authorize",
        "https://app.hubspot.com/oauth/authorize",
        "https://mcp.hubspot.com/",
        "https://mcp.hubspot.com/.well-known/oauth-authorization-server",
        "https://mcp.hubspot.com/.well-known/oauth-protected-resource",
        "https://mcp.hubspot.com/oauth/authorize/user",
        "https://mcp.hubspot.com/oauth/v3/token",
        "https://mcp.hubspot.com/oauth/v3/token/introspect",
        "https://mcp.hubspot.com/oauth/v3/token/revoke",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(called, expected);
    assert_eq!(
        OAUTH_API_VERSION, "2026-03",
        "see the decision beside the constant"
    );
}

#[test]
fn given_an_mcp_app_then_revocation_tries_the_mcp_host_before_the_api_host() {
    let e = Endpoints::hubspot();
    let order: Vec<String> = e
        .revoke_urls(AppKind::Mcp)
        .iter()
        .map(|u| u.to_string())
        .collect();
    assert_eq!(
        order,
        [
            "https://mcp.hubspot.com/oauth/v3/token/revoke",
            "https://api.hubapi.com/oauth/2026-03/token/revoke"
        ]
    );
    assert_eq!(e.revoke_urls(AppKind::Standard).len(), 1);
}
