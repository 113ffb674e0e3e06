//! The MCP host's OAuth endpoints, read from its metadata when it publishes any.
//!
//! HubSpot's MCP host describes itself twice (hubspot-oauth.md §7.3 and its corrections of
//! 2026-12-02): `/.well-known/oauth-protected-resource` (RFC 9728) names its authorization server,
//! and that server's `/.well-known/oauth-authorization-server` (RFC 8414) lists the authorize,
//! token and introspection endpoints. [`discover`] reads both and uses what they say, so a move of
//! those endpoints needs no Hubkey release; today's paths ([`Endpoints::oauth_defaults`]) stay the
//! fallback for everything the documents do not settle:
//!
//! * a document that is missing (404 or any other 4xx), not JSON, or not about this host (RFC 9728
//!   §3.3 `resource`, RFC 8414 §3.3 `issuer` must match) → the defaults;
//! * an endpoint that is absent, or not safe to send the client secret to, → that endpoint's
//!   default. Safe means `https` (or `http` on loopback, the sandbox), no credentials or fragment,
//!   and on the MCP host itself or another `*.hubspot.com` / `*.hubapi.com` host (on loopback: a
//!   loopback host). A document can never point Hubkey at an unsafe URL.
//! * HubSpot advertises no revocation endpoint; when a `revocation_endpoint` appears it is tried
//!   first, else the MCP host's `/oauth/v3/token/revoke`, then the API host's.
//!
//! A network failure or a 5xx is not an answer: the defaults are used for that call and the next
//! call asks again ([`Discovery::Temporary`]). Anything else is kept for the client's lifetime.
//! Neither request carries a secret (they are plain unauthenticated GETs).

use crate::app::AppKind;
use crate::config::{is_loopback_host, EndpointSource, Endpoints, OAuthEndpoints};
use serde_json::Value;
use url::Url;

/// Largest metadata document read.
const MAX_DOCUMENT: usize = 64 * 1024;

/// What discovery settled on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Discovery {
    /// An answer to keep: from the metadata, or the defaults because the metadata said nothing usable.
    Settled(OAuthEndpoints),
    /// The defaults for now: the host could not be asked (network failure, 5xx, 429).
    Temporary(OAuthEndpoints),
}

/// One metadata GET.
enum Fetched {
    Json(Value),
    /// A definitive "nothing here": 4xx, not JSON, too large.
    Nothing,
    /// Try again later.
    Failed,
}

/// Reads the MCP host's metadata and settles its OAuth endpoints (see the module docs).
pub(crate) async fn discover(http: &reqwest::Client, endpoints: &Endpoints) -> Discovery {
    let defaults = endpoints.oauth_defaults(AppKind::Mcp);
    let base = &endpoints.mcp_base;
    let issuer = match fetch(http, &endpoints.protected_resource_metadata_url()).await {
        Fetched::Failed => return Discovery::Temporary(defaults),
        Fetched::Nothing => base.clone(),
        Fetched::Json(doc) => authorization_server(&doc, base).unwrap_or_else(|| base.clone()),
    };
    match fetch(http, &Endpoints::authorization_server_metadata_url(&issuer)).await {
        Fetched::Failed => Discovery::Temporary(defaults),
        Fetched::Nothing => Discovery::Settled(defaults),
        Fetched::Json(doc) => Discovery::Settled(from_metadata(&doc, &issuer, base, defaults)),
    }
}

async fn fetch(http: &reqwest::Client, url: &Url) -> Fetched {
    let response = match http
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(target: "hubkey::client", path = url.path(), timeout = e.is_timeout(), "metadata not reachable");
            return Fetched::Failed;
        }
    };
    let status = response.status();
    tracing::debug!(target: "hubkey::client", path = url.path(), status = status.as_u16(), "metadata");
    if status.is_server_error() || status.as_u16() == 429 {
        return Fetched::Failed;
    }
    if !status.is_success() {
        return Fetched::Nothing;
    }
    let mut response = response;
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if body.len() + chunk.len() <= MAX_DOCUMENT => body.extend_from_slice(&chunk),
            Ok(Some(_)) => return Fetched::Nothing,
            Ok(None) => break,
            Err(_) => return Fetched::Failed,
        }
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(doc) if doc.is_object() => Fetched::Json(doc),
        _ => Fetched::Nothing,
    }
}

/// RFC 9728: the first authorization server of a document about `base`, when it is safe.
fn authorization_server(doc: &Value, base: &Url) -> Option<Url> {
    let resource = doc.get("resource").and_then(Value::as_str)?;
    if !same_identifier(resource, base) {
        tracing::info!(target: "hubkey::client", "protected-resource metadata is about another resource; ignored");
        return None;
    }
    let server = doc
        .get("authorization_servers")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str)?;
    let url = Url::parse(server).ok()?;
    acceptable(&url, base).then_some(url)
}

/// RFC 8414: the endpoints of a document whose `issuer` is `issuer`; each one unsafe or absent keeps
/// its default.
fn from_metadata(doc: &Value, issuer: &Url, base: &Url, defaults: OAuthEndpoints) -> OAuthEndpoints {
    let issued_by = doc.get("issuer").and_then(Value::as_str);
    if !issued_by.is_some_and(|i| same_identifier(i, issuer)) {
        tracing::info!(target: "hubkey::client", "authorization-server metadata has another issuer; defaults used");
        return defaults;
    }
    let pick = |field: &str| -> Option<Url> {
        let url = Url::parse(doc.get(field)?.as_str()?).ok()?;
        if acceptable(&url, base) {
            Some(url)
        } else {
            tracing::warn!(target: "hubkey::client", field, "unsafe endpoint in the MCP host's metadata; default used");
            None
        }
    };
    let authorize = pick("authorization_endpoint");
    let token = pick("token_endpoint");
    let introspect = pick("introspection_endpoint");
    let revoke = pick("revocation_endpoint");
    let used = authorize.is_some() || token.is_some() || introspect.is_some() || revoke.is_some();
    let mut revocation = defaults.revoke.clone();
    if let Some(r) = revoke {
        revocation.retain(|u| *u != r);
        revocation.insert(0, r);
    }
    OAuthEndpoints {
        authorize: authorize.unwrap_or(defaults.authorize),
        token: token.unwrap_or(defaults.token),
        introspect: introspect.unwrap_or(defaults.introspect),
        revoke: revocation,
        source: if used {
            EndpointSource::Metadata
        } else {
            EndpointSource::Defaults
        },
    }
}

/// Identifiers compared as RFC 8414 §3.3 and RFC 9728 §3.3 ask, tolerating a trailing slash (the
/// `url` crate writes `https://mcp.hubspot.com/` for `https://mcp.hubspot.com`).
fn same_identifier(value: &str, expected: &Url) -> bool {
    value.trim_end_matches('/') == expected.as_str().trim_end_matches('/')
}

/// Whether the client secret may go to `url` (see the module docs).
pub(crate) fn acceptable(url: &Url, base: &Url) -> bool {
    if super::authorize::check_endpoint_url(url, "metadata endpoint").is_err() || url.fragment().is_some() {
        return false;
    }
    if is_loopback_host(base) {
        return is_loopback_host(url);
    }
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.to_ascii_lowercase();
    url.scheme() == "https"
        && (base.host_str().is_some_and(|b| b.eq_ignore_ascii_case(&host))
            || host.ends_with(".hubspot.com")
            || host.ends_with(".hubapi.com"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    /// HubSpot's MCP authorization-server metadata as live probes saw it (hubspot-oauth.md §7.3).
    fn hubspot_metadata() -> Value {
        json!({"issuer":"https://mcp.hubspot.com",
            "authorization_endpoint":"https://mcp.hubspot.com/oauth/authorize/user",
            "token_endpoint":"https://mcp.hubspot.com/oauth/v3/token",
            "introspection_endpoint":"https://mcp.hubspot.com/oauth/v3/token/introspect",
            "grant_types_supported":["authorization_code","refresh_token","client_credentials"],
            "token_endpoint_auth_methods_supported":["client_secret_post"],
            "code_challenge_methods_supported":["S256"]})
    }

    #[test]
    fn given_hubspots_published_metadata_then_its_endpoints_equal_todays_defaults() {
        let e = Endpoints::hubspot();
        let defaults = e.oauth_defaults(AppKind::Mcp);
        let got = from_metadata(&hubspot_metadata(), &e.mcp_base, &e.mcp_base, defaults.clone());
        assert_eq!(got.source, EndpointSource::Metadata);
        assert_eq!(
            (
                got.authorize.as_str(),
                got.token.as_str(),
                got.introspect.as_str()
            ),
            (
                defaults.authorize.as_str(),
                defaults.token.as_str(),
                defaults.introspect.as_str()
            )
        );
        assert_eq!(
            got.revoke, defaults.revoke,
            "no revocation_endpoint: MCP host, then API host"
        );
        // HubSpot's protected-resource document (same source) names the host itself.
        let prm = json!({"resource":"https://mcp.hubspot.com","authorization_servers":["https://mcp.hubspot.com"],"scopes_supported":[]});
        assert_eq!(
            authorization_server(&prm, &e.mcp_base),
            Some(url("https://mcp.hubspot.com"))
        );
    }

    #[test]
    fn given_unsafe_or_foreign_endpoints_then_each_keeps_its_default() {
        let e = Endpoints::hubspot();
        let defaults = e.oauth_defaults(AppKind::Mcp);
        let doc = json!({"issuer":"https://mcp.hubspot.com",
            "authorization_endpoint":"http://mcp.hubspot.com/oauth/authorize/user",
            "token_endpoint":"https://evil.example/oauth/v3/token",
            "introspection_endpoint":"https://u:p@mcp.hubspot.com/x",
            "revocation_endpoint":"javascript:alert(1)"});
        let got = from_metadata(&doc, &e.mcp_base, &e.mcp_base, defaults.clone());
        assert_eq!(got, defaults);
        // Another issuer, or a document about another resource: ignored altogether.
        let mut other = hubspot_metadata();
        other["issuer"] = json!("https://evil.example");
        other["token_endpoint"] = json!("https://mcp-eu1.hubspot.com/oauth/v3/token");
        assert_eq!(
            from_metadata(&other, &e.mcp_base, &e.mcp_base, defaults.clone()),
            defaults
        );
        let prm =
            json!({"resource":"https://evil.example","authorization_servers":["https://mcp.hubspot.com/x"]});
        assert_eq!(authorization_server(&prm, &e.mcp_base), None);
    }

    #[test]
    fn given_moved_endpoints_on_hubspot_hosts_then_they_are_used_and_a_revocation_endpoint_goes_first() {
        let e = Endpoints::hubspot();
        let doc = json!({"issuer":"https://mcp.hubspot.com/",
            "authorization_endpoint":"https://mcp.hubspot.com/oauth/v4/authorize/user",
            "token_endpoint":"https://api.hubapi.com/oauth/mcp/token",
            "revocation_endpoint":"https://mcp.hubspot.com/oauth/v4/token/revoke"});
        let got = from_metadata(&doc, &e.mcp_base, &e.mcp_base, e.oauth_defaults(AppKind::Mcp));
        assert_eq!(
            got.authorize.as_str(),
            "https://mcp.hubspot.com/oauth/v4/authorize/user"
        );
        assert_eq!(got.token.as_str(), "https://api.hubapi.com/oauth/mcp/token");
        assert_eq!(
            got.introspect.as_str(),
            "https://mcp.hubspot.com/oauth/v3/token/introspect"
        );
        let revoke: Vec<&str> = got.revoke.iter().map(Url::as_str).collect();
        assert_eq!(
            revoke,
            [
                "https://mcp.hubspot.com/oauth/v4/token/revoke",
                "https://mcp.hubspot.com/oauth/v3/token/revoke",
                "https://api.hubapi.com/oauth/2026-03/token/revoke"
            ]
        );
    }

    #[test]
    fn given_a_loopback_base_then_only_loopback_endpoints_are_acceptable() {
        let base = url("http://127.0.0.1:4011/");
        assert!(acceptable(
            &url("http://127.0.0.1:4011/relocated/oauth/v3/token"),
            &base
        ));
        // A name is looked up, so plain http goes only to a literal loopback address (issue 18, point 7).
        assert!(!acceptable(&url("http://localhost:4999/x"), &base));
        assert!(acceptable(&url("http://[::1]:4999/x"), &base));
        assert!(!acceptable(
            &url("http://mcp.example.invalid/oauth/v3/token"),
            &base
        ));
        assert!(!acceptable(&url("https://mcp.hubspot.com/oauth/v3/token"), &base));
        let real = url("https://mcp.hubspot.com/");
        assert!(acceptable(
            &url("https://mcp-eu1.hubspot.com/oauth/v3/token"),
            &real
        ));
        assert!(!acceptable(&url("https://hubspot.com.evil.example/x"), &real));
        assert!(!acceptable(&url("https://mcp.hubspot.com/x#frag"), &real));
    }
}
