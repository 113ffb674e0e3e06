//! Where HubSpot is, and where Hubkey keeps its files.
//!
//! The defaults target the real HubSpot. Only an explicit environment override (design.md §5)
//! points Hubkey at the sandbox; such an override must be `https`, or `http` on a loopback host,
//! so a typo can never send client secrets in clear text across a network (threat-model.md C12).

use crate::app::AppKind;
use crate::error::{Error, Result};
use std::path::PathBuf;
use url::Url;

/// HubSpot's dated OAuth API version used for token, introspect and revoke (design.md §2.3), the one
/// place it is named: every URL below is built from it, and `tests/it/default_urls.rs` lists them all,
/// so a version change is one reviewed diff.
///
/// v1 stops working on 2027-02-16 and puts tokens in URLs; `2026-03` is an alias of v3 and stays
/// "supported" until about September 2027. Decision (issue 13): stay on `2026-03` rather than move
/// to `2026-09`, which is now "current". Hubkey needs introspection's `user`, `hub_domain`,
/// `signed_access_token.isUserLevel` and `signed_access_token.hublet`, and the only source on
/// `2026-09` introspection, HubSpot's 2026-09 spec, reduces the response schema to `{active}`
/// (hubspot-oauth.md §3.2, §10 q7: possibly incomplete, but unrefuted). The grant types 2026-09
/// drops (`client_credentials`, `client_assertion`) are not used, so the move is only blocked by
/// that evidence; revisit when a 2026-09 introspection answer is seen with those fields.
pub const OAUTH_API_VERSION: &str = "2026-03";

/// Default hosts.
pub const HUBSPOT_APP_BASE: &str = "https://app.hubspot.com";
/// Default API host.
pub const HUBSPOT_API_BASE: &str = "https://api.hubapi.com";
/// Default MCP host.
pub const HUBSPOT_MCP_BASE: &str = "https://mcp.hubspot.com";

/// Environment variable names (design.md §5).
pub mod env {
    /// Authorize page host.
    pub const APP_BASE_URL: &str = "HUBKEY_APP_BASE_URL";
    /// Token, introspect and revoke host.
    pub const API_BASE_URL: &str = "HUBKEY_API_BASE_URL";
    /// MCP auth apps host.
    pub const MCP_BASE_URL: &str = "HUBKEY_MCP_BASE_URL";
    /// Folder of the non-secret index and logs.
    pub const HOME: &str = "HUBKEY_HOME";
    /// Keychain namespace.
    pub const KEYCHAIN_SERVICE: &str = "HUBKEY_KEYCHAIN_SERVICE";
}

/// The three HubSpot hosts Hubkey talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Authorize page host (`https://app.hubspot.com`).
    pub app_base: Url,
    /// API host (`https://api.hubapi.com`).
    pub api_base: Url,
    /// MCP host (`https://mcp.hubspot.com`).
    pub mcp_base: Url,
}

impl Endpoints {
    /// The real HubSpot.
    pub fn hubspot() -> Self {
        Self {
            app_base: constant_url(HUBSPOT_APP_BASE),
            api_base: constant_url(HUBSPOT_API_BASE),
            mcp_base: constant_url(HUBSPOT_MCP_BASE),
        }
    }

    /// The real HubSpot unless `HUBKEY_*_BASE_URL` overrides are set.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// As [`Endpoints::from_env`], reading variables through `lookup` (testable).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let base = Self::hubspot();
        let pick = |var: &str, default: Url| -> Result<Url> {
            match lookup(var).filter(|v| !v.trim().is_empty()) {
                None => Ok(default),
                Some(v) => parse_base_url(var, v.trim()),
            }
        };
        Ok(Self {
            app_base: pick(env::APP_BASE_URL, base.app_base)?,
            api_base: pick(env::API_BASE_URL, base.api_base)?,
            mcp_base: pick(env::MCP_BASE_URL, base.mcp_base)?,
        })
    }

    /// True when every host is the real HubSpot (no sandbox override).
    pub fn is_hubspot(&self) -> bool {
        *self == Self::hubspot()
    }

    /// The endpoints that are not HubSpot's, with the variable that sets each.
    pub fn overrides(&self) -> Vec<(&'static str, &Url)> {
        let hubspot = Self::hubspot();
        [
            (env::APP_BASE_URL, &self.app_base, &hubspot.app_base),
            (env::API_BASE_URL, &self.api_base, &hubspot.api_base),
            (env::MCP_BASE_URL, &self.mcp_base, &hubspot.mcp_base),
        ]
        .into_iter()
        .filter(|(_, url, default)| url != default)
        .map(|(var, url, _)| (var, url))
        .collect()
    }

    /// One line saying where Hubkey talks instead of HubSpot, or `None` when it talks to HubSpot. The CLI
    /// prints it on every run (the window shows a badge): an `https` override of any host is accepted, so
    /// a planted `HUBKEY_API_BASE_URL=https://evil.example` would otherwise receive client secrets and
    /// refresh tokens silently (docs/SECURITY.md, finding 6).
    pub fn override_warning(&self) -> Option<String> {
        let overrides = self.overrides();
        if overrides.is_empty() {
            return None;
        }
        let list: Vec<String> = overrides
            .iter()
            .map(|(var, url)| format!("{var}={url}"))
            .collect();
        Some(format!(
            "not talking to HubSpot: {} (tokens and the client secret go there; unset to use HubSpot)",
            list.join(", ")
        ))
    }

    /// The authorize page: `/oauth/authorize`, `/oauth/{portalId}/authorize`, or for MCP auth
    /// apps `/oauth/authorize/user` on the MCP host.
    pub fn authorize_url(&self, kind: AppKind, portal_id: Option<u64>) -> Url {
        match (kind, portal_id) {
            (AppKind::Mcp, _) => join(&self.mcp_base, "oauth/authorize/user"),
            (AppKind::Standard, Some(id)) => join(&self.app_base, &format!("oauth/{id}/authorize")),
            (AppKind::Standard, None) => join(&self.app_base, "oauth/authorize"),
        }
    }

    /// The token endpoint (`/oauth/2026-03/token`, or `/oauth/v3/token` on the MCP host).
    pub fn token_url(&self, kind: AppKind) -> Url {
        match kind {
            AppKind::Mcp => join(&self.mcp_base, "oauth/v3/token"),
            AppKind::Standard => join(&self.api_base, &format!("oauth/{OAUTH_API_VERSION}/token")),
        }
    }

    /// The introspection endpoint.
    pub fn introspect_url(&self, kind: AppKind) -> Url {
        match kind {
            AppKind::Mcp => join(&self.mcp_base, "oauth/v3/token/introspect"),
            AppKind::Standard => join(
                &self.api_base,
                &format!("oauth/{OAUTH_API_VERSION}/token/introspect"),
            ),
        }
    }

    /// The API host's revocation endpoint (every kind of app falls back to it).
    pub fn revoke_url(&self, _kind: AppKind) -> Url {
        join(&self.api_base, &format!("oauth/{OAUTH_API_VERSION}/token/revoke"))
    }

    /// Where to revoke a refresh token, in the order to try. MCP auth apps: the MCP host's
    /// `/oauth/v3/token/revoke` first (not advertised in its metadata, used by community code:
    /// hubspot-oauth.md, Corrections of 2026-12-02), then the API host's; standard apps: the API host.
    pub fn revoke_urls(&self, kind: AppKind) -> Vec<Url> {
        match kind {
            AppKind::Mcp => vec![
                join(&self.mcp_base, "oauth/v3/token/revoke"),
                self.revoke_url(kind),
            ],
            AppKind::Standard => vec![self.revoke_url(kind)],
        }
    }

    /// The OAuth endpoints of an app kind when no metadata says otherwise (today's paths). For
    /// standard apps `authorize` is the one without a preselected portal.
    pub fn oauth_defaults(&self, kind: AppKind) -> OAuthEndpoints {
        OAuthEndpoints {
            authorize: self.authorize_url(kind, None),
            token: self.token_url(kind),
            introspect: self.introspect_url(kind),
            revoke: self.revoke_urls(kind),
            source: EndpointSource::Defaults,
        }
    }

    /// The MCP host's protected-resource metadata (RFC 9728 §3.1).
    pub fn protected_resource_metadata_url(&self) -> Url {
        well_known(&self.mcp_base, "oauth-protected-resource")
    }

    /// An authorization server's metadata (RFC 8414 §3.1: the issuer's path, if any, goes after the
    /// well-known name).
    pub fn authorization_server_metadata_url(issuer: &Url) -> Url {
        well_known(issuer, "oauth-authorization-server")
    }

    /// The MCP server (streamable HTTP, JSON-RPC at the root).
    pub fn mcp_server_url(&self) -> Url {
        self.mcp_base.clone()
    }
}

/// Where a set of OAuth endpoints came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointSource {
    /// The MCP host's metadata (RFC 9728 and RFC 8414).
    Metadata,
    /// Today's paths ([`Endpoints::oauth_defaults`]).
    Defaults,
}

/// The OAuth endpoints Hubkey uses for one kind of app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthEndpoints {
    /// The authorize page.
    pub authorize: Url,
    /// The token endpoint.
    pub token: Url,
    /// The introspection endpoint.
    pub introspect: Url,
    /// The revocation endpoints, in the order to try.
    pub revoke: Vec<Url>,
    /// Metadata or defaults.
    pub source: EndpointSource,
}

/// `{origin}/.well-known/{name}{path}` (the RFC 8414 / RFC 9728 construction).
fn well_known(base: &Url, name: &str) -> Url {
    let mut url = base.clone();
    let path = base.path().trim_end_matches('/').to_string();
    url.set_path(&format!("/.well-known/{name}{path}"));
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// Parses one of the compile-time constants above (covered by the tests below).
#[allow(clippy::expect_used)]
fn constant_url(s: &'static str) -> Url {
    Url::parse(s).expect("the HubSpot base URL constants are valid URLs")
}

fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = url.path().trim_end_matches('/').to_string();
    url.set_path(&format!("{prefix}/{path}"));
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// True for `localhost`, `127.0.0.0/8` and `::1`.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Why a plain-http endpoint was refused.
pub const PLAIN_HTTP_REASON: &str =
    "plain http is only allowed to a literal loopback address such as http://127.0.0.1:PORT (the sandbox)";

/// True for a literal loopback address: `127.0.0.0/8` or `[::1]`, not a name. Plain http to an endpoint is
/// allowed only there: a name, even `localhost`, is looked up (`/etc/hosts`, then DNS where it lacks the
/// entry), and whoever answers that lookup would get the client secret in clear (issue 18, point 7).
pub fn is_loopback_literal(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(_)) | None => false,
    }
}

/// Parses and checks an endpoint base URL: `https`, or `http` on a literal loopback address; no query,
/// fragment or credentials (threat-model.md C12).
pub fn parse_base_url(var: &str, value: &str) -> Result<Url> {
    let url = Url::parse(value).map_err(|e| Error::Config(format!("{var}={value:?} is not a URL ({e})")))?;
    let unsafe_url = |reason: &str| Error::UnsafeUrl {
        url: value.to_string(),
        reason: format!("{var}: {reason}"),
    };
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_literal(&url) => {}
        "http" => return Err(unsafe_url(PLAIN_HTTP_REASON)),
        other => return Err(unsafe_url(&format!("the scheme {other}: is not allowed"))),
    }
    if url.host().is_none() {
        return Err(unsafe_url("no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(unsafe_url("credentials in the URL are not allowed"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(unsafe_url("a base URL has no query or fragment"));
    }
    Ok(url)
}

/// The folder for the non-secret index and logs: `HUBKEY_HOME`, else the platform data dir
/// (`~/.local/share/hubkey`, `~/Library/Application Support/hubkey`, `%APPDATA%\hubkey`).
/// When it exists it must be the user's alone ([`crate::files::check_trusted_dir`]): another user who can
/// write it could plant an index that turns PKCE off or swaps the redirect URL of the next login.
pub fn home_dir() -> Result<PathBuf> {
    let home = match std::env::var_os(env::HOME).filter(|v| !v.is_empty()) {
        Some(h) => PathBuf::from(h),
        None => dirs::data_dir()
            .map(|d| d.join("hubkey"))
            .ok_or_else(|| Error::Config("no data directory on this system; set HUBKEY_HOME".into()))?,
    };
    if std::fs::symlink_metadata(&home).is_ok() {
        let what = if std::env::var_os(env::HOME).is_some_and(|v| !v.is_empty()) {
            "HUBKEY_HOME"
        } else {
            "the Hubkey home folder"
        };
        crate::files::check_trusted_dir(&home, what)?;
    }
    Ok(home)
}

/// The keychain namespace: `HUBKEY_KEYCHAIN_SERVICE`, else [`default_keychain_service`].
pub fn keychain_service() -> String {
    std::env::var(env::KEYCHAIN_SERVICE)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default_keychain_service().to_string())
}

/// `hubkey` in release builds, `hubkey-dev` in debug builds, so a development build never
/// touches (or rotates) the tokens of the installed app (threat-model.md T17).
pub fn default_keychain_service() -> &'static str {
    if cfg!(debug_assertions) {
        "hubkey-dev"
    } else {
        "hubkey"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn given_no_overrides_when_reading_endpoints_then_the_real_hubspot_is_used() {
        let e = Endpoints::from_lookup(lookup(&[])).unwrap();
        assert!(e.is_hubspot());
        assert_eq!(
            e.token_url(AppKind::Standard).as_str(),
            "https://api.hubapi.com/oauth/2026-03/token"
        );
        assert_eq!(
            e.introspect_url(AppKind::Standard).as_str(),
            "https://api.hubapi.com/oauth/2026-03/token/introspect"
        );
        assert_eq!(
            e.revoke_url(AppKind::Standard).as_str(),
            "https://api.hubapi.com/oauth/2026-03/token/revoke"
        );
        assert_eq!(
            e.authorize_url(AppKind::Standard, None).as_str(),
            "https://app.hubspot.com/oauth/authorize"
        );
        assert_eq!(
            e.authorize_url(AppKind::Standard, Some(123456)).as_str(),
            "https://app.hubspot.com/oauth/123456/authorize"
        );
        assert_eq!(
            e.authorize_url(AppKind::Mcp, Some(1)).as_str(),
            "https://mcp.hubspot.com/oauth/authorize/user"
        );
        assert_eq!(
            e.token_url(AppKind::Mcp).as_str(),
            "https://mcp.hubspot.com/oauth/v3/token"
        );
    }

    #[test]
    fn given_a_loopback_sandbox_override_when_reading_endpoints_then_it_is_used() {
        let e = Endpoints::from_lookup(lookup(&[
            (env::API_BASE_URL, "http://127.0.0.1:4010"),
            (env::APP_BASE_URL, "http://127.0.0.1:4010/"),
        ]))
        .unwrap();
        assert!(!e.is_hubspot());
        assert_eq!(
            e.token_url(AppKind::Standard).as_str(),
            "http://127.0.0.1:4010/oauth/2026-03/token"
        );
        assert_eq!(
            e.authorize_url(AppKind::Standard, None).as_str(),
            "http://127.0.0.1:4010/oauth/authorize"
        );
        assert_eq!(e.mcp_base.as_str(), "https://mcp.hubspot.com/");
    }

    #[test]
    fn c12_given_unsafe_base_urls_when_reading_endpoints_then_they_are_refused() {
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "http://evil.example",
            "ftp://x",
            "https://u:p@h.com",
            "https://h.com/?a=b",
        ] {
            let err = Endpoints::from_lookup(lookup(&[(env::APP_BASE_URL, bad)])).unwrap_err();
            assert!(
                matches!(err.code(), crate::ErrorCode::UnsafeUrl | crate::ErrorCode::Config),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn f6_given_an_https_override_of_another_host_when_read_then_it_is_accepted_but_named_in_a_warning() {
        let e = Endpoints::from_lookup(lookup(&[(env::API_BASE_URL, "https://evil.example")])).unwrap();
        let warning = e.override_warning().unwrap();
        assert!(
            warning.contains("HUBKEY_API_BASE_URL=https://evil.example/"),
            "{warning}"
        );
        assert!(!warning.contains("APP_BASE"), "{warning}");
        assert!(Endpoints::hubspot().override_warning().is_none());
        let explicit =
            Endpoints::from_lookup(lookup(&[(env::API_BASE_URL, "https://api.hubapi.com")])).unwrap();
        assert!(
            explicit.override_warning().is_none(),
            "HubSpot's own host is no override"
        );
    }

    #[test]
    fn t17_given_a_debug_build_then_the_default_keychain_namespace_differs_from_release() {
        // Tests run as a debug build: the dev namespace keeps dev tokens apart from the installed app's.
        assert_eq!(default_keychain_service(), "hubkey-dev");
        assert_ne!(default_keychain_service(), "hubkey");
    }
}
