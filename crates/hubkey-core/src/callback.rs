//! The one callback parser, for both ways the redirect reaches Hubkey (design.md §2.1).
//!
//! * **Loopback**: HubSpot redirects the browser to the app's registered
//!   `http://localhost:PORT/PATH?code=…&state=…`; [`crate::loopback`] receives the request and
//!   hands the URL (rebuilt on the canonical host `localhost`) to [`crate::login::LoginFlow`].
//! * **Deep link**: HubSpot redirects to an https *relay page*, which forwards `code`, `state`,
//!   `error` and `error_description` to `hubkey://oauth/callback?…`; the desktop host hands that URL
//!   to the same [`crate::login::LoginFlow`].
//!
//! [`redirect_target`] decides, from the redirect URL registered at HubSpot, which of the two
//! applies. [`parse_callback`] checks a callback URL against the expected [`CallbackTarget`] and
//! extracts its parameters. Every URL is treated as attacker-controlled (threat-model.md §4.1):
//!
//! * scheme (case-insensitive), host (case-insensitive), port and path must be exactly the
//!   expected ones; no extra or missing path segment, no trailing-slash variant, no user info;
//! * a `#fragment` makes the URL invalid: a genuine callback never has one (browsers do not send
//!   fragments to the loopback server, and the relay page builds the deep link without one), so a
//!   fragment is a sign of a hand-made URL, and reading parameters from it is never wanted;
//! * `code`, `state`, `error` and `error_description` may each appear at most once;
//! * values are decoded exactly once as `application/x-www-form-urlencoded` (RFC 6749 App. B):
//!   `%XX` escapes are decoded and `+` is a space; `%2541` yields `%41`, not `A`;
//! * no `state` (or an empty one) is [`Error::StateMissing`]; neither `code` nor `error` is
//!   [`Error::CallbackInvalid`].
//!
//! Error messages never contain parameter values.

use crate::config::is_loopback_host;
use crate::error::{Error, Result};
use crate::secret::{AuthCode, CsrfState};
use url::Url;

/// The scheme of Hubkey's deep link.
pub const DEEP_LINK_SCHEME: &str = "hubkey";
/// The deep link the relay page forwards to.
pub const DEEP_LINK_CALLBACK: &str = "hubkey://oauth/callback";

/// Longest `code` or `state` value accepted (HubSpot's are far shorter).
const MAX_SECRET_PARAM: usize = 4096;
/// Longest `error` kept (longer values are cut).
const MAX_ERROR: usize = 200;
/// Longest `error_description` kept (longer values are cut).
const MAX_DESCRIPTION: usize = 1000;

/// The URL a callback must arrive at: scheme, host, port and path, compared exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackTarget {
    scheme: String,
    host: String,
    port: Option<u16>,
    path: String,
}

impl CallbackTarget {
    /// The deep link `hubkey://oauth/callback`, reached through the relay page.
    pub fn deep_link() -> Self {
        Self {
            scheme: DEEP_LINK_SCHEME.into(),
            host: "oauth".into(),
            port: None,
            path: "/callback".into(),
        }
    }

    /// `http://localhost:PORT/PATH` (the loopback listener rebuilds every request on the host
    /// `localhost` after checking the `Host` header). `path` must start with `/`.
    pub fn loopback(port: u16, path: impl Into<String>) -> Self {
        Self {
            scheme: "http".into(),
            host: "localhost".into(),
            port: Some(port),
            path: path.into(),
        }
    }

    /// The scheme, lower case.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The host, as expected.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port (`None` for the deep link).
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The path, starting with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `Some((port, path))` when this is a loopback (`http://localhost:PORT/PATH`) target.
    pub fn loopback_port_and_path(&self) -> Option<(u16, &str)> {
        match (self.scheme.as_str(), self.host.as_str(), self.port) {
            ("http", "localhost", Some(port)) => Some((port, &self.path)),
            _ => None,
        }
    }
}

impl std::fmt::Display for CallbackTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        f.write_str(&self.path)
    }
}

/// What a valid callback carried.
#[derive(Debug, Clone)]
pub enum CallbackParams {
    /// HubSpot granted access: an authorization code.
    Code {
        /// The authorization code (single use, short-lived).
        code: AuthCode,
        /// The `state` echoed back.
        state: CsrfState,
    },
    /// HubSpot (or the user) refused: `error` and an optional `error_description`.
    Error {
        /// The `error` code (e.g. `access_denied`), control characters removed, at most 200 chars.
        error: String,
        /// The human description, plain text (control characters removed, at most 1000 chars).
        /// Use [`CallbackParams::escaped_description`] to put it in HTML.
        description: Option<String>,
        /// The `state` echoed back.
        state: CsrfState,
    },
}

impl CallbackParams {
    /// The `state` the callback carried.
    pub fn state(&self) -> &CsrfState {
        match self {
            CallbackParams::Code { state, .. } | CallbackParams::Error { state, .. } => state,
        }
    }

    /// The error description, HTML-escaped for a page body (`None` for a code or no description).
    pub fn escaped_description(&self) -> Option<String> {
        match self {
            CallbackParams::Error {
                description: Some(d), ..
            } => Some(html_escape::encode_text(d).into_owned()),
            _ => None,
        }
    }
}

/// How Hubkey will receive the redirect for a registered redirect URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectTarget {
    /// Listen on `localhost:port` (127.0.0.1 and ::1) and serve `path` only.
    Loopback {
        /// The registered, explicit port.
        port: u16,
        /// The registered path (at least `/`).
        path: String,
    },
    /// An https relay page that forwards to [`DEEP_LINK_CALLBACK`].
    Relay {
        /// The relay page's URL, exactly as registered.
        url: String,
    },
}

impl RedirectTarget {
    /// Where the callback will arrive: the loopback URL, or the deep link for a relay.
    pub fn callback_target(&self) -> CallbackTarget {
        match self {
            RedirectTarget::Loopback { port, path } => CallbackTarget::loopback(*port, path.clone()),
            RedirectTarget::Relay { .. } => CallbackTarget::deep_link(),
        }
    }
}

/// Decides how Hubkey receives the redirect for `redirect_uri` (the app's registered redirect
/// URL, hubspot-oauth.md §1.8):
///
/// * `http://localhost:PORT/PATH` with an explicit port → [`RedirectTarget::Loopback`];
/// * `https://` on a host other than localhost or an IP literal → [`RedirectTarget::Relay`];
/// * everything else → [`Error::UnservableRedirect`] with the reason: IP literals (HubSpot rejects
///   them), `https://localhost` (Hubkey cannot serve TLS), plain `http` on another host (HubSpot
///   requires https), a missing port, other schemes, user info, queries and fragments.
pub fn redirect_target(redirect_uri: &str) -> Result<RedirectTarget> {
    let refuse = |reason: &str| Error::UnservableRedirect {
        url: redirect_uri.to_string(),
        reason: reason.to_string(),
    };
    let url = Url::parse(redirect_uri).map_err(|e| refuse(&format!("it is not a URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("a redirect URL cannot contain a user name or password"));
    }
    if url.fragment().is_some() {
        return Err(refuse("a redirect URL cannot contain a #fragment"));
    }
    if url.query().is_some() {
        return Err(refuse(
            "Hubkey does not support a query string in the redirect URL",
        ));
    }
    let ip_literal = matches!(url.host(), Some(url::Host::Ipv4(_)) | Some(url::Host::Ipv6(_)));
    const IP_REASON: &str =
        "HubSpot rejects IP addresses in redirect URLs; register http://localhost:PORT/… instead";
    match url.scheme() {
        "http" => {
            if ip_literal {
                return Err(refuse(IP_REASON));
            }
            if !is_loopback_host(&url) {
                return Err(refuse(
                    "HubSpot requires https for redirect URLs other than http://localhost:PORT/…; \
                     use http://localhost:PORT/… or an https relay page",
                ));
            }
            let port = explicit_port(redirect_uri, &url).ok_or_else(|| {
                refuse("the port must be explicit (http://localhost:PORT/…), as HubSpot compares it exactly")
            })?;
            if port == 0 {
                return Err(refuse("port 0 is not a fixed port; register http://localhost:PORT/… with a real port"));
            }
            Ok(RedirectTarget::Loopback { port, path: url.path().to_string() })
        }
        "https" => {
            if ip_literal {
                return Err(refuse(IP_REASON));
            }
            if is_loopback_host(&url) {
                return Err(refuse(
                    "Hubkey cannot serve https on localhost; register http://localhost:PORT/… instead",
                ));
            }
            if url.host().is_none() {
                return Err(refuse("the URL has no host"));
            }
            Ok(RedirectTarget::Relay { url: redirect_uri.to_string() })
        }
        other => Err(refuse(&format!(
            "HubSpot accepts only https or http://localhost redirect URLs, not {other}:; to use the {DEEP_LINK_SCHEME}:// \
             deep link, register an https relay page"
        ))),
    }
}

/// The port written in the URL, including a default one (`:80`) that [`Url::port`] hides.
fn explicit_port(raw: &str, url: &Url) -> Option<u16> {
    if let Some(p) = url.port() {
        return Some(p);
    }
    // `Url` drops a port equal to the scheme's default; look at the written authority.
    let after_scheme = raw.split_once("://")?.1;
    let authority = after_scheme.split(['/', '?', '#']).next()?;
    let (_, port) = authority.rsplit_once(':')?;
    if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
        url.port_or_known_default()
    } else {
        None
    }
}

/// Parses a callback URL arriving at `expected` (see the module documentation for the rules).
pub fn parse_callback(url: &str, expected: &CallbackTarget) -> Result<CallbackParams> {
    let invalid = |why: &str| Error::CallbackInvalid(why.to_string());
    let parsed = Url::parse(url).map_err(|_| invalid("not a URL"))?;
    if !parsed.scheme().eq_ignore_ascii_case(&expected.scheme) {
        return Err(invalid(&format!("expected a {} URL", expected.scheme)));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid("the URL contains user information"));
    }
    let host_ok = parsed
        .host_str()
        .is_some_and(|h| h.eq_ignore_ascii_case(&expected.host));
    let port_ok = parsed.port_or_known_default() == expected.port.or_else(|| default_port(&expected.scheme));
    if !host_ok || !port_ok {
        return Err(invalid(&format!("expected a callback at {expected}")));
    }
    if parsed.path() != expected.path {
        return Err(invalid(&format!("expected the path {}", expected.path)));
    }
    if parsed.fragment().is_some() {
        return Err(invalid("a callback URL has no #fragment"));
    }

    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    for (key, value) in parsed.query_pairs() {
        let slot = match key.as_ref() {
            "code" => &mut code,
            "state" => &mut state,
            "error" => &mut error,
            "error_description" => &mut description,
            _ => continue,
        };
        if slot.is_some() {
            return Err(invalid(&format!("the parameter {key} appears more than once")));
        }
        // HubSpot's codes and Hubkey's states are printable ASCII without spaces; anything else (a `+` read as
        // a space, a percent-encoded byte that is not UTF-8) is not a callback of theirs.
        if matches!(key.as_ref(), "code" | "state") && !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(&format!(
                "the parameter {key} holds characters HubSpot never sends"
            )));
        }
        *slot = Some(value.into_owned());
    }

    let state = match state {
        Some(s) if !s.is_empty() => s,
        _ => return Err(Error::StateMissing),
    };
    if state.len() > MAX_SECRET_PARAM {
        return Err(invalid("the state parameter is too long"));
    }
    let state = CsrfState::new(state);
    if let Some(error) = error.filter(|e| !e.is_empty()) {
        let description = description
            .map(|d| clean_text(&d, MAX_DESCRIPTION))
            .filter(|d| !d.is_empty());
        return Ok(CallbackParams::Error {
            error: clean_text(&error, MAX_ERROR),
            description,
            state,
        });
    }
    match code {
        Some(c) if !c.is_empty() && c.len() <= MAX_SECRET_PARAM => Ok(CallbackParams::Code {
            code: AuthCode::new(c),
            state,
        }),
        Some(c) if !c.is_empty() => Err(invalid("the code parameter is too long")),
        _ => Err(invalid("the callback has neither a code nor an error")),
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// Removes control characters ([`crate::text::strip_controls`]) and cuts to `max` characters (an ellipsis
/// marks the cut).
fn clean_text(s: &str, max: usize) -> String {
    let clean = crate::text::strip_controls(s);
    let mut out: String = clean.chars().take(max).collect();
    if clean.chars().count() > max {
        out.push('…');
    }
    out.trim().to_string()
}

/// What logs say of a callback URL: its scheme and its length, nothing else (`hubkey: URL, 61 bytes`). A path
/// is as much the sender's text as a query: `hubkey://oauth/$(touch …)/callback`, logged verbatim into a log
/// file planted as a link to a shell start-up file, ran as a command (docs/SECURITY.md, finding 2).
pub fn redact_url(url: &str) -> String {
    let scheme = url
        .split_once(':')
        .map(|(s, _)| s)
        .filter(|s| {
            !s.is_empty()
                && s.len() <= 16
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        })
        .map(str::to_ascii_lowercase);
    match scheme {
        Some(scheme) => format!("{scheme}: URL, {} bytes", url.len()),
        None => format!("<not a URL, {} bytes>", url.len()),
    }
}

#[cfg(test)]
mod tests;
