//! The authorize URL, and the checks that run before one is built.
//!
//! The URL is assembled here rather than with `oauth2::AuthorizationRequest`, because HubSpot's
//! documented URLs encode spaces in `scope` as `%20` (oauth2 uses `url`'s form serializer, which
//! writes `+`), take `optional_scope` (singular), and `response_type=code` belongs only on the MCP
//! host. PKCE values and `state` still come from oauth2 ([`oauth2::PkceCodeChallenge`],
//! [`oauth2::CsrfToken`]).

use crate::app::{AppConfig, AppKind};
use crate::error::{Error, Result};
use crate::secret::{CsrfState, PkceVerifier};
use oauth2::{CsrfToken, PkceCodeChallenge, PkceCodeVerifier};
use std::fmt;
use url::Url;

/// One authorization attempt: the URL to open, and what the callback and the exchange need.
pub struct AuthorizeRequest {
    /// The authorize URL to open in the system browser.
    pub url: Url,
    /// The `state` sent (128 random bits); the callback must carry exactly this value.
    pub state: CsrfState,
    /// The PKCE verifier whose S256 challenge is in the URL; sent at exchange, then discarded.
    pub pkce_verifier: Option<PkceVerifier>,
    /// The `redirect_uri` sent, exactly; the exchange must send the same string (threat-model.md C10).
    pub redirect_uri: String,
}

impl fmt::Debug for AuthorizeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL's query holds `state` (and the challenge): show only where it points.
        let mut shown = self.url.clone();
        shown.set_query(None);
        shown.set_fragment(None);
        f.debug_struct("AuthorizeRequest")
            .field("url", &format_args!("{shown}?[redacted]"))
            .field("state", &self.state)
            .field("pkce_verifier", &self.pkce_verifier)
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// A fresh `state`: oauth2's `CsrfToken::new_random` (16 bytes from a CSPRNG, base64url, 22 chars).
pub fn new_state() -> CsrfState {
    CsrfState::new(CsrfToken::new_random().into_secret())
}

/// A fresh PKCE pair: `(S256 challenge, verifier)`. oauth2's `new_random_sha256` draws 32 bytes
/// from a CSPRNG, giving a 43-character unreserved verifier (RFC 7636 §4.1).
pub fn new_pkce() -> (String, PkceVerifier) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    (
        challenge.as_str().to_owned(),
        PkceVerifier::new(verifier.into_secret()),
    )
}

/// The S256 challenge of a verifier (RFC 7636 §4.2), through oauth2's implementation.
pub fn pkce_challenge_s256(verifier: &PkceVerifier) -> String {
    let v = PkceCodeVerifier::new(verifier.expose().to_owned());
    PkceCodeChallenge::from_code_verifier_sha256(&v)
        .as_str()
        .to_owned()
}

/// Builds the authorize URL on `page` (the app kind's authorize page, with the portal when one is
/// preselected) after checking everything that goes into it.
pub(crate) fn build_authorize_url(
    page: Url,
    app: &AppConfig,
    state: &CsrfState,
    challenge: Option<&str>,
) -> Result<Url> {
    check_client_id(&app.client_id)?;
    check_redirect_uri(&app.redirect_uri)?;
    check_scopes("scope", &app.scopes)?;
    check_scopes("optional_scope", &app.optional_scopes)?;
    if app.kind == AppKind::Standard && app.scopes.is_empty() {
        return Err(Error::Config(format!(
            "the app {:?} has no scopes; HubSpot requires the app's required scopes in `scope`",
            app.name
        )));
    }
    if state.expose().len() < 16 || !state.expose().bytes().all(is_unreserved) {
        return Err(Error::Config(
            "the sign-in state must be at least 16 unreserved characters".into(),
        ));
    }
    match (app.uses_pkce(), challenge) {
        (true, None) => {
            return Err(Error::Config(format!(
                "the app {:?} uses PKCE but no code challenge was given",
                app.name
            )))
        }
        (false, Some(_)) => {
            return Err(Error::Config(format!(
                "the app {:?} has PKCE turned off but a challenge was given",
                app.name
            )))
        }
        (_, Some(c)) if c.len() != 43 || !c.bytes().all(is_unreserved) => {
            return Err(Error::Config(
                "the PKCE challenge is not a 43-character S256 value".into(),
            ))
        }
        _ => {}
    }

    let mut url = page;
    check_browser_url(&url)?;

    let joined_scopes = app.scopes.join(" ");
    let joined_optional = app.optional_scopes.join(" ");
    let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(8);
    if app.kind == AppKind::Mcp {
        pairs.push(("response_type", "code"));
    }
    pairs.push(("client_id", &app.client_id));
    pairs.push(("redirect_uri", &app.redirect_uri));
    if !joined_scopes.is_empty() {
        pairs.push(("scope", &joined_scopes));
    }
    if !joined_optional.is_empty() {
        pairs.push(("optional_scope", &joined_optional));
    }
    pairs.push(("state", state.expose()));
    if let Some(c) = challenge {
        pairs.push(("code_challenge", c));
        pairs.push(("code_challenge_method", "S256"));
    }
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    url.set_query(Some(&query.join("&")));
    Ok(url)
}

/// Percent-encodes a query value; spaces become `%20` like HubSpot's own SDK (hubspot-oauth.md §1.2).
fn encode(value: &str) -> String {
    // `byte_serialize` writes a space as `+` and a literal `+` as `%2B`, so this swap is exact.
    url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// A URL about to be opened in the browser: `https`, or `http` on a literal loopback address (the sandbox);
/// no credentials (threat-model.md C12). `Endpoints` checks env overrides; this re-checks whatever
/// `Endpoints` value the caller built.
pub(crate) fn check_browser_url(url: &Url) -> Result<()> {
    check_endpoint_url(url, "authorize page")
}

/// As [`check_browser_url`], for the token, introspect and revoke endpoints (the client secret
/// goes there).
pub(crate) fn check_endpoint_url(url: &Url, what: &str) -> Result<()> {
    let refuse = |reason: &str| {
        Err(Error::UnsafeUrl {
            url: strip_query(url),
            reason: format!("{what}: {reason}"),
        })
    };
    match url.scheme() {
        "https" => {}
        "http" if crate::config::is_loopback_literal(url) => {}
        "http" => return refuse(crate::config::PLAIN_HTTP_REASON),
        other => return refuse(&format!("the scheme {other}: is not allowed")),
    }
    if url.host().is_none() {
        return refuse("no host");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return refuse("credentials in the URL are not allowed");
    }
    Ok(())
}

fn strip_query(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

/// HubSpot's `redirect_uri` rules (hubspot-oauth.md §1.8): `https` on a domain name, or `http` on
/// `localhost`; no IP literals, no custom schemes, no fragment, no credentials, and the string
/// must be exactly what was registered (so no surrounding whitespace for `Url` to trim).
pub fn check_redirect_uri(redirect_uri: &str) -> Result<()> {
    let refuse = |reason: &str| {
        Err(Error::UnservableRedirect {
            url: redirect_uri.chars().take(200).collect(),
            reason: reason.to_owned(),
        })
    };
    if redirect_uri.is_empty() {
        return refuse("the redirect URL is empty");
    }
    if redirect_uri.trim() != redirect_uri || redirect_uri.chars().any(|c| c.is_control() || c == ' ') {
        return refuse("the redirect URL contains spaces or control characters");
    }
    let url = match Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(e) => return refuse(&format!("not a URL ({e})")),
    };
    if url.fragment().is_some() {
        return refuse("a redirect URL cannot have a #fragment");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return refuse("a redirect URL cannot carry credentials");
    }
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_owned(),
        Some(url::Host::Ipv4(_)) | Some(url::Host::Ipv6(_)) => {
            return refuse(
                "HubSpot does not accept IP addresses in redirect URLs; use http://localhost:PORT/...",
            )
        }
        None => return refuse("the redirect URL has no host"),
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if host.eq_ignore_ascii_case("localhost") => Ok(()),
        "http" => refuse("HubSpot requires https, except for http://localhost"),
        other => refuse(&format!(
            "HubSpot does not redirect to {other}: URLs; register http://localhost:PORT/PATH or an https relay page"
        )),
    }
}

fn check_client_id(client_id: &str) -> Result<()> {
    let ok = !client_id.is_empty()
        && client_id.len() <= 64
        && client_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::Config(
            "the client ID must be HubSpot's client ID (letters, digits and dashes)".into(),
        ))
    }
}

/// Scope names: letters, digits, `.`, `_`, `-`, `:` ([`crate::scopes::is_scope_token`]). Anything
/// else (`&`, `=`, `#`, spaces inside one entry…) is refused, so no configuration value can add or
/// override a query parameter (threat-model.md C11). Whether HubSpot knows the name is not checked here:
/// only HubSpot decides.
fn check_scopes(param: &str, scopes: &[String]) -> Result<()> {
    for s in scopes {
        if !crate::scopes::is_scope_token(s) {
            let shown: String = s.chars().take(60).collect();
            return Err(Error::Config(format!(
                "invalid scope {shown:?} in {param}: scope names contain only letters, digits, '.', '_', '-' and ':'"
            )));
        }
    }
    Ok(())
}
