//! Preflight: what HubSpot would refuse, found before the browser opens.
//!
//! HubSpot reports a bad install URL on an HTML page and never redirects back (hubspot-oauth.md
//! §1.3), so a misconfigured app otherwise looks like a login that hangs. [`preflight`] checks an
//! [`AppConfig`] against HubSpot's rules (§1.8 redirect URLs, §1.3 and §6 scopes, §7.3 MCP apps)
//! and returns [`Finding`]s with a stable id, a severity, the message (quoting HubSpot's wording
//! from [`crate::install_guide::hubspot_text`] where HubSpot has one) and the fix.
//!
//! The one check with a side effect, "is the loopback port free", binds `127.0.0.1:PORT` (and
//! `[::1]:PORT` where IPv6 exists) for an instant; [`PreflightEnv`] lets callers replace or skip
//! it. Run preflight *before* starting the loopback listener, or the check finds Hubkey's own
//! listener.
//!
//! Severities follow one rule: [`Severity::Error`] only where HubSpot's own rules make the refusal
//! certain (a redirect URL HubSpot refuses, a scope in both lists, `oauth` or every required scope
//! missing) or where Hubkey cannot build the URL or receive the redirect (a name with URL
//! characters, a busy port). A scope name Hubkey does not know is a [`Severity::Warning`] with a
//! "did you mean": only HubSpot decides which scopes exist, so it never blocks a sign-in.
//!
//! Finding ids (stable, see [`ids`]): `client_id.*`, `redirect.*`, `scopes.*`, `mcp.*`, `pkce.*`.

use crate::app::{AppConfig, AppKind};
use crate::callback::redirect_target;
use crate::install_guide::hubspot_text as hs;
use crate::scopes::{ScopeCatalog, ScopeLists};
use serde::Serialize;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use url::Url;

/// The stable finding ids. Never rename: the UI, the CLI and scripts key on them.
pub mod ids {
    /// No client ID.
    pub const CLIENT_ID_MISSING: &str = "client_id.missing";
    /// The client ID has characters Hubkey will not put in a URL.
    pub const CLIENT_ID_INVALID: &str = "client_id.invalid";
    /// The client ID is not shaped like HubSpot's (a 36-character UUID).
    pub const CLIENT_ID_NOT_UUID: &str = "client_id.not_uuid";
    /// The redirect URL is empty, unparsable, or has credentials, a fragment or spaces.
    pub const REDIRECT_INVALID: &str = "redirect.invalid";
    /// The redirect URL has a query string (Hubkey cannot match callbacks on it).
    pub const REDIRECT_HAS_QUERY: &str = "redirect.has_query";
    /// The redirect URL's host is an IP address.
    pub const REDIRECT_IP_LITERAL: &str = "redirect.ip_literal";
    /// `http` on a host other than `localhost`.
    pub const REDIRECT_NOT_HTTPS: &str = "redirect.not_https";
    /// A scheme other than http/https (e.g. `hubkey://`).
    pub const REDIRECT_CUSTOM_SCHEME: &str = "redirect.custom_scheme";
    /// `https://localhost…`: Hubkey cannot serve TLS.
    pub const REDIRECT_HTTPS_LOCALHOST: &str = "redirect.https_localhost";
    /// `http://localhost/…` without an explicit port (or port 0).
    pub const REDIRECT_NO_PORT: &str = "redirect.no_port";
    /// The loopback port is in use by another program.
    pub const REDIRECT_PORT_BUSY: &str = "redirect.port_busy";
    /// The loopback port cannot be opened (e.g. a privileged port).
    pub const REDIRECT_PORT_UNAVAILABLE: &str = "redirect.port_unavailable";
    /// An https redirect to a relay page (desktop app only).
    pub const REDIRECT_RELAY: &str = "redirect.relay";
    /// A scope name with characters that cannot go into an install URL (an error).
    pub const SCOPES_MALFORMED: &str = "scopes.malformed";
    /// No required scopes on a standard app.
    pub const SCOPES_NONE: &str = "scopes.none";
    /// The same scope twice in one list.
    pub const SCOPES_DUPLICATE: &str = "scopes.duplicate";
    /// The same scope in the required and the optional list.
    pub const SCOPES_IN_BOTH_LISTS: &str = "scopes.in_both_lists";
    /// `oauth` is not among the required scopes.
    pub const SCOPES_OAUTH_MISSING: &str = "scopes.oauth_missing";
    /// A scope name not in HubSpot's scope list as Hubkey knows it (a warning, never an error).
    pub const SCOPES_UNKNOWN: &str = "scopes.unknown";
    /// A scope that cannot be requested in an install URL.
    pub const SCOPES_NOT_SELECTABLE: &str = "scopes.not_selectable";
    /// A legacy broad scope name.
    pub const SCOPES_LEGACY: &str = "scopes.legacy";
    /// A sensitive-data scope.
    pub const SCOPES_SENSITIVE: &str = "scopes.sensitive";
    /// A required scope that needs a paid tier: installs on other accounts fail.
    pub const SCOPES_REQUIRED_TIER: &str = "scopes.required_tier";
    /// An MCP auth app with scopes: HubSpot ignores them.
    pub const MCP_SCOPES_IGNORED: &str = "mcp.scopes_ignored";
    /// PKCE turned off on an MCP auth app: Hubkey uses it anyway.
    pub const PKCE_OFF_FOR_MCP: &str = "pkce.off_for_mcp";
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "Severity.ts"))]
pub enum Severity {
    /// HubSpot (or Hubkey) will refuse the sign-in.
    Error,
    /// Likely to fail, or to behave unexpectedly.
    Warning,
    /// Worth knowing; nothing to fix.
    Info,
}

/// One thing preflight found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "Finding.ts"))]
pub struct Finding {
    /// Stable id (see [`ids`]).
    pub id: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// What it is about: the scope or the URL concerned, when there is one.
    pub subject: Option<String>,
    /// What is wrong and what HubSpot would do, in plain words.
    pub message: String,
    /// HubSpot's exact wording for this problem, where HubSpot has one (error page or docs).
    pub hubspot_says: Option<String>,
    /// How to fix it.
    pub fix: String,
}

impl Finding {
    fn new(id: &'static str, severity: Severity, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            id,
            severity,
            subject: None,
            message: message.into(),
            hubspot_says: None,
            fix: fix.into(),
        }
    }

    fn about(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    fn quoting(mut self, hubspot: impl Into<String>) -> Self {
        self.hubspot_says = Some(hubspot.into());
        self
    }
}

/// Everything preflight found for one app, errors first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreflightReport {
    /// The app's name in Hubkey.
    pub app: String,
    /// The findings, sorted by severity (errors first), otherwise in check order.
    pub findings: Vec<Finding>,
}

impl PreflightReport {
    /// True when nothing is an [`Severity::Error`]: the sign-in can start.
    pub fn ok(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The findings of one severity.
    pub fn with_severity(&self, severity: Severity) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.severity == severity)
    }

    /// The first finding with this id.
    pub fn find(&self, id: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.id == id)
    }

    /// Whether a finding with this id is present.
    pub fn has(&self, id: &str) -> bool {
        self.find(id).is_some()
    }
}

/// Whether a loopback port can be listened on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortStatus {
    /// Nothing listens there.
    Free,
    /// Another program listens there.
    InUse,
    /// It cannot be opened for another reason (permission, no such address…).
    Unavailable(String),
}

type PortProbe = Box<dyn Fn(u16) -> PortStatus + Send + Sync>;

/// What preflight may touch outside the app's configuration: the loopback port check.
pub struct PreflightEnv {
    port_probe: Option<PortProbe>,
}

impl fmt::Debug for PreflightEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreflightEnv")
            .field("port_probe", &self.port_probe.as_ref().map(|_| "<probe>"))
            .finish()
    }
}

impl Default for PreflightEnv {
    fn default() -> Self {
        Self::system()
    }
}

impl PreflightEnv {
    /// The real check: binds `127.0.0.1:PORT` (and `[::1]:PORT` where IPv6 exists) and releases
    /// it at once ([`probe_loopback_port`]).
    pub fn system() -> Self {
        Self {
            port_probe: Some(Box::new(probe_loopback_port)),
        }
    }

    /// No port check (tests, or when Hubkey's own listener already holds the port).
    pub fn without_port_check() -> Self {
        Self { port_probe: None }
    }

    /// A custom port check (tests).
    pub fn with_port_probe(probe: impl Fn(u16) -> PortStatus + Send + Sync + 'static) -> Self {
        Self {
            port_probe: Some(Box::new(probe)),
        }
    }

    fn probe(&self, port: u16) -> Option<PortStatus> {
        self.port_probe.as_ref().map(|p| p(port))
    }
}

/// Binds `127.0.0.1:port`, then `[::1]:port`, and releases them: [`PortStatus::Free`] when both
/// could be bound (a machine without IPv6 only needs the first). Blocking but instant.
pub fn probe_loopback_port(port: u16) -> PortStatus {
    let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, port));
    match TcpListener::bind(v4) {
        Ok(_held) => match TcpListener::bind(v6) {
            Ok(_) => PortStatus::Free,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => PortStatus::InUse,
            // No IPv6 on this machine: the listener serves 127.0.0.1 only, which is fine.
            Err(_) => PortStatus::Free,
        },
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => PortStatus::InUse,
        Err(e) => PortStatus::Unavailable(e.to_string()),
    }
}

/// Checks an app's configuration against HubSpot's rules before a sign-in (see the module docs).
pub fn preflight(app: &AppConfig, env: &PreflightEnv) -> PreflightReport {
    let mut findings = Vec::new();
    check_client_id(app, &mut findings);
    check_redirect(app, env, &mut findings);
    match app.kind {
        AppKind::Standard => check_standard_scopes(app, ScopeCatalog::embedded(), &mut findings),
        AppKind::Mcp => check_mcp(app, &mut findings),
    }
    findings.sort_by_key(|f| f.severity);
    PreflightReport {
        app: app.name.clone(),
        findings,
    }
}

// ----- client id -------------------------------------------------------------------------------

fn check_client_id(app: &AppConfig, out: &mut Vec<Finding>) {
    let id = app.client_id.as_str();
    const FIX: &str =
        "Copy the client ID again from the app's Auth tab at HubSpot (for MCP auth apps: the app's \
details page under Development → MCP Auth Apps).";
    if id.trim().is_empty() {
        out.push(Finding::new(
            ids::CLIENT_ID_MISSING,
            Severity::Error,
            "The app has no client ID.",
            FIX,
        ));
        return;
    }
    let safe = id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !safe {
        out.push(
            Finding::new(
                ids::CLIENT_ID_INVALID,
                Severity::Error,
                "The client ID contains characters a HubSpot client ID never has (only letters, digits and \
                 dashes), so Hubkey will not build the sign-in URL.",
                FIX,
            )
            .about(id.chars().take(64).collect::<String>()),
        );
        return;
    }
    if !crate::app::looks_like_uuid(id) {
        out.push(
            Finding::new(
                ids::CLIENT_ID_NOT_UUID,
                Severity::Warning,
                format!(
                    "HubSpot client IDs are 36-character UUIDs (8-4-4-4-12 hex digits); this one has {} \
                     characters. HubSpot would show: \"{}\"",
                    id.len(),
                    hs::INVALID_CLIENT_ID
                ),
                FIX,
            )
            .about(id)
            .quoting(hs::INVALID_CLIENT_ID),
        );
    }
}

// ----- redirect URL ----------------------------------------------------------------------------

const REGISTER_LOCALHOST: &str = "Register a redirect URL of the form http://localhost:PORT/PATH (e.g. \
http://localhost:53682/callback) on the app's Auth tab at HubSpot, and use exactly the same URL in Hubkey.";

fn check_redirect(app: &AppConfig, env: &PreflightEnv, out: &mut Vec<Finding>) {
    let uri = app.redirect_uri.as_str();
    let shown: String = uri.chars().take(200).collect();
    let invalid = |message: &str, fix: &str| {
        Finding::new(ids::REDIRECT_INVALID, Severity::Error, message, fix).about(shown.clone())
    };
    if uri.is_empty() {
        out.push(invalid(
            "The app has no redirect URL. HubSpot requires one and compares it exactly with the registered ones.",
            REGISTER_LOCALHOST,
        ));
        return;
    }
    if uri.trim() != uri || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        out.push(invalid(
            "The redirect URL contains spaces or control characters. HubSpot compares it byte for byte with the \
             registered URL, so it would not match.",
            "Remove the spaces; copy the URL from the app's Auth tab unchanged.",
        ));
        return;
    }
    let url = match Url::parse(uri) {
        Ok(u) => u,
        Err(e) => {
            out.push(invalid(
                &format!("The redirect URL is not a URL ({e})."),
                REGISTER_LOCALHOST,
            ));
            return;
        }
    };
    if !url.username().is_empty() || url.password().is_some() {
        out.push(invalid(
            "A redirect URL cannot contain a user name or password.",
            REGISTER_LOCALHOST,
        ));
        return;
    }
    if url.fragment().is_some() {
        out.push(invalid(
            "A redirect URL cannot contain a #fragment: browsers never send it, so the code could not arrive.",
            "Remove the #fragment here and at HubSpot.",
        ));
        return;
    }
    let before = out.len();
    check_redirect_shape(&url, uri, &shown, env, out);
    let found_error = out[before..].iter().any(|f| f.severity == Severity::Error);
    // Keep preflight in step with what the sign-in will actually accept.
    if !found_error {
        if let Err(e) = redirect_target(uri) {
            out.push(invalid(&e.to_string(), REGISTER_LOCALHOST));
        }
    }
}

fn check_redirect_shape(url: &Url, uri: &str, shown: &str, env: &PreflightEnv, out: &mut Vec<Finding>) {
    let scheme = url.scheme();
    if scheme != "http" && scheme != "https" {
        out.push(
            Finding::new(
                ids::REDIRECT_CUSTOM_SCHEME,
                Severity::Error,
                format!(
                    "HubSpot redirects only to https URLs, or http on localhost; it does not support custom \
                     schemes such as {scheme}://. HubSpot's docs: \"{}\"",
                    hs::HTTPS_REQUIRED
                ),
                "Register http://localhost:PORT/PATH, or host Hubkey's relay page on https, register its URL \
                 at HubSpot and use it in Hubkey (the relay forwards to hubkey://).",
            )
            .about(shown)
            .quoting(hs::HTTPS_REQUIRED),
        );
        return;
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some((ip.is_loopback(), ip.to_string())),
        Some(url::Host::Ipv6(ip)) => Some((ip.is_loopback(), format!("[{ip}]"))),
        _ => None,
    };
    if let Some((loopback, ip)) = ip {
        let fix = if loopback {
            let mut suggested = url.clone();
            let _ = suggested.set_host(Some("localhost"));
            let _ = suggested.set_scheme("http");
            format!(
                "Use localhost instead of {ip}: register {suggested} on the app's Auth tab at HubSpot and use \
                 it in Hubkey (Hubkey listens on both 127.0.0.1 and ::1)."
            )
        } else {
            "Use a domain name: an https page you host (Hubkey's relay page), or http://localhost:PORT/PATH."
                .to_owned()
        };
        out.push(
            Finding::new(
                ids::REDIRECT_IP_LITERAL,
                Severity::Error,
                format!(
                    "The redirect URL uses the IP address {ip}. HubSpot rejects IP addresses in redirect URLs: \
                     \"{}\"",
                    hs::IP_NOT_SUPPORTED
                ),
                fix,
            )
            .about(shown)
            .quoting(hs::IP_NOT_SUPPORTED),
        );
        return;
    }
    let localhost = matches!(url.host(), Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost"));
    if url.query().is_some() {
        out.push(
            Finding::new(
                ids::REDIRECT_HAS_QUERY,
                Severity::Error,
                "The redirect URL has a query string (?…). Hubkey cannot tell HubSpot's parameters from it \
                 reliably, so it does not accept one.",
                "Register a redirect URL without a query string at HubSpot and use it in Hubkey.",
            )
            .about(shown),
        );
        return;
    }
    match (scheme, localhost) {
        ("http", false) => out.push(
            Finding::new(
                ids::REDIRECT_NOT_HTTPS,
                Severity::Error,
                format!(
                    "HubSpot requires https for redirect URLs, except http on localhost: \"{}\"",
                    hs::HTTPS_REQUIRED
                ),
                "Use http://localhost:PORT/PATH for Hubkey's loopback listener, or an https URL (Hubkey's relay \
                 page).",
            )
            .about(shown)
            .quoting(hs::HTTPS_REQUIRED),
        ),
        ("https", true) => out.push(
            Finding::new(
                ids::REDIRECT_HTTPS_LOCALHOST,
                Severity::Error,
                "The redirect URL is https on localhost. HubSpot allows it, but Hubkey's loopback listener \
                 speaks plain http (it has no certificate), so the browser could not deliver the code.",
                "Register http://localhost:PORT/PATH instead (HubSpot allows http on localhost).",
            )
            .about(shown),
        ),
        ("https", false) => out.push(
            Finding::new(
                ids::REDIRECT_RELAY,
                Severity::Info,
                "The redirect goes to an https page. It must be Hubkey's relay page, which forwards the code to \
                 the desktop app through the hubkey:// link; the CLI cannot receive it.",
                "Nothing to fix if this is your relay page; for the CLI, register http://localhost:PORT/PATH.",
            )
            .about(shown),
        ),
        _ => check_loopback_port(url, uri, shown, env, out),
    }
}

fn check_loopback_port(url: &Url, uri: &str, shown: &str, env: &PreflightEnv, out: &mut Vec<Finding>) {
    let port = match crate::callback::redirect_target(uri) {
        Ok(crate::callback::RedirectTarget::Loopback { port, .. }) => Some(port),
        _ => url.port().filter(|p| *p != 0),
    };
    let Some(port) = port else {
        out.push(
            Finding::new(
                ids::REDIRECT_NO_PORT,
                Severity::Error,
                "The redirect URL has no explicit port. HubSpot compares the port exactly and there is no \"any \
                 loopback port\" exception, so Hubkey must listen on one fixed, registered port.",
                REGISTER_LOCALHOST,
            )
            .about(shown),
        );
        return;
    };
    match env.probe(port) {
        None | Some(PortStatus::Free) => {}
        Some(PortStatus::InUse) => out.push(
            Finding::new(
                ids::REDIRECT_PORT_BUSY,
                Severity::Error,
                format!(
                    "Port {port} on localhost is already in use by another program, so Hubkey cannot receive \
                     HubSpot's redirect there."
                ),
                format!(
                    "Stop the program listening on port {port} (find it with `lsof -i :{port}` or `netstat -ano`), \
                     or register another http://localhost port at HubSpot and use it in Hubkey."
                ),
            )
            .about(shown),
        ),
        Some(PortStatus::Unavailable(why)) => out.push(
            Finding::new(
                ids::REDIRECT_PORT_UNAVAILABLE,
                Severity::Error,
                format!("Hubkey cannot listen on port {port} on localhost ({why})."),
                "Register a port above 1024 (e.g. http://localhost:53682/callback) at HubSpot and use it in Hubkey.",
            )
            .about(shown),
        ),
    }
}

// ----- scopes ----------------------------------------------------------------------------------

/// Reports malformed names; returns the well-formed ones.
fn well_formed<'a>(param: &str, scopes: &'a [String], out: &mut Vec<Finding>) -> Vec<&'a str> {
    let mut ok = Vec::new();
    for s in scopes {
        if crate::scopes::is_scope_token(s) {
            ok.push(s.as_str());
        } else {
            out.push(
                Finding::new(
                    ids::SCOPES_MALFORMED,
                    Severity::Error,
                    format!(
                        "{:?} in {param} is not a scope name: scope names contain only letters, digits, '.', '_', \
                         '-' and ':'. Hubkey will not build the sign-in URL.",
                        s.chars().take(60).collect::<String>()
                    ),
                    "Write one scope per entry, exactly as on the app's Auth tab (e.g. crm.objects.contacts.read).",
                )
                .about(s.chars().take(60).collect::<String>()),
            );
        }
    }
    ok
}

fn check_duplicates(param: &str, scopes: &[&str], out: &mut Vec<Finding>) {
    let mut seen: Vec<&str> = Vec::new();
    let mut reported: Vec<&str> = Vec::new();
    for s in scopes {
        if seen.contains(s) {
            if !reported.contains(s) {
                out.push(
                    Finding::new(
                        ids::SCOPES_DUPLICATE,
                        Severity::Warning,
                        format!("{s} is listed more than once in {param}."),
                        format!("Remove the repeated {s}."),
                    )
                    .about(*s),
                );
                reported.push(s);
            }
        } else {
            seen.push(s);
        }
    }
}

fn check_standard_scopes(app: &AppConfig, catalog: &ScopeCatalog, out: &mut Vec<Finding>) {
    let required = well_formed("the required scopes (scope)", &app.scopes, out);
    let optional = well_formed("the optional scopes (optional_scope)", &app.optional_scopes, out);
    check_duplicates("the required scopes", &required, out);
    check_duplicates("the optional scopes", &optional, out);
    let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();
    let (required_names, optional_names) = (owned(&required), owned(&optional));
    let lists = ScopeLists::new(&required_names, &optional_names);

    if app.scopes.is_empty() {
        out.push(
            Finding::new(
                ids::SCOPES_NONE,
                Severity::Error,
                format!(
                    "The app has no required scopes. HubSpot requires all of the app's required scopes (at least \
                     oauth) in the install URL and shows: \"{}\"",
                    hs::INSUFFICIENT_SCOPES
                ),
                "Add the app's required scopes from its Auth tab, starting with oauth.",
            )
            .quoting(hs::INSUFFICIENT_SCOPES),
        );
    } else if lists.oauth_not_required() {
        let where_ = if lists.oauth_only_optional() {
            " It is listed among the optional scopes, where HubSpot does not count it."
        } else {
            ""
        };
        // Certain from HubSpot's own rules: every app has oauth as a required scope (it cannot be
        // removed), and an install URL missing a required scope is refused (§1.3 rule 1, §6.1).
        out.push(
            Finding::new(
                ids::SCOPES_OAUTH_MISSING,
                Severity::Error,
                format!(
                    "oauth is not among the required scopes.{where_} Every HubSpot app has oauth: HubSpot adds it \
                     to every app's required scopes and it cannot be removed, so an install URL without it is \
                     refused with \"{}\"",
                    hs::INSUFFICIENT_SCOPES
                ),
                "Add oauth to the required scopes.",
            )
            .about("oauth")
            .quoting(hs::INSUFFICIENT_SCOPES),
        );
    }

    for s in lists.in_both() {
        {
            out.push(
                Finding::new(
                    ids::SCOPES_IN_BOTH_LISTS,
                    Severity::Error,
                    format!(
                        "{s} is both required and optional. A required scope must be only in scope and an optional \
                         one only in optional_scope; HubSpot shows: \"{}\"",
                        hs::SCOPE_MISMATCH
                    ),
                    format!(
                        "Keep {s} in one list only, the same one as in the app's settings at HubSpot (Auth tab: \
                         required or optional)."
                    ),
                )
                .about(s)
                .quoting(hs::SCOPE_MISMATCH),
            );
        }
    }

    let mut explained: Vec<&str> = Vec::new();
    for (s, is_required) in required
        .iter()
        .map(|s| (*s, true))
        .chain(optional.iter().map(|s| (*s, false)))
    {
        if explained.contains(&s) {
            continue;
        }
        explained.push(s);
        let Some(info) = catalog.get(s) else {
            out.push(unknown_scope(s, catalog));
            continue;
        };
        if !info.selectable {
            out.push(
                Finding::new(
                    ids::SCOPES_NOT_SELECTABLE,
                    Severity::Warning,
                    format!(
                        "{s} cannot be configured on an app or requested in an install URL. {}",
                        info.notes.as_deref().unwrap_or("")
                    )
                    .trim_end()
                    .to_owned(),
                    format!("Remove {s}; see the note for the scope to use instead."),
                )
                .about(s),
            );
        }
        if info.legacy {
            let (message, fix) = if info.replaced_by.is_empty() {
                (
                    format!(
                        "{s} is one of HubSpot's legacy broad scope names, but it is still the scope for this API. {}",
                        info.notes.as_deref().unwrap_or("")
                    ),
                    "Nothing to change.".to_owned(),
                )
            } else {
                (
                    format!(
                        "{s} is a legacy broad scope. HubSpot still accepts it; the granular scopes grant less. {}",
                        info.notes.as_deref().unwrap_or("")
                    ),
                    format!(
                        "If the app only needs part of it, configure the granular scopes instead: {}.",
                        info.replaced_by.join(", ")
                    ),
                )
            };
            out.push(Finding::new(ids::SCOPES_LEGACY, Severity::Info, message.trim_end(), fix).about(s));
        }
        if info.sensitive {
            let needs = info
                .tier
                .as_ref()
                .filter(|t| !t.is_any())
                .map(|t| format!(" It needs {}.", crate::scopes::article_lower(&t.label)))
                .unwrap_or_default();
            out.push(
                Finding::new(
                    ids::SCOPES_SENSITIVE,
                    Severity::Info,
                    format!(
                        "{s} grants access to sensitive data.{needs} Marketplace apps also need HubSpot to allow \
                         sensitive scopes."
                    ),
                    "Request it only if the app reads or writes sensitive properties; otherwise use the \
                     non-sensitive scope.",
                )
                .about(s),
            );
        }
        if is_required {
            if let Some(tier) = info.tier.as_ref().filter(|t| !t.is_any()) {
                out.push(
                    Finding::new(
                        ids::SCOPES_REQUIRED_TIER,
                        Severity::Info,
                        format!(
                            "{s} is required and needs {}. Installing into an account without it fails with \
                             \"{}\"",
                            tier.label,
                            hs::ACCOUNT_LACKS_FEATURES
                        ),
                        format!(
                            "If the app can work without {s}, make it optional (at HubSpot and in Hubkey): HubSpot \
                             then drops it on accounts without that tier instead of refusing the install."
                        ),
                    )
                    .about(s)
                    .quoting(hs::ACCOUNT_LACKS_FEATURES),
                );
            }
        }
    }
}

/// A name the catalog lacks: always a warning, never an error. Only HubSpot decides which scopes
/// exist, and its table grows (the first catalog called `crm.objects.tasks.write` a typo of
/// `crm.objects.carts.write` and blocked real apps); the "did you mean" stays as a hint.
fn unknown_scope(s: &str, catalog: &ScopeCatalog) -> Finding {
    let invalid = hs::INVALID_SCOPE_NAME;
    let note = catalog
        .unknown_note(s)
        .unwrap_or_else(|| format!("{s} is not in HubSpot's scope list."));
    let fix = match catalog.closest(s) {
        Some(near) => format!(
            "If it is a typo, use {} (here and at HubSpot); if the app's Auth tab at HubSpot lists {s}, nothing to \
             change.",
            near.name
        ),
        None => format!(
            "Check {s} against the app's Auth tab at HubSpot; if it is listed there, nothing to change."
        ),
    };
    Finding::new(
        ids::SCOPES_UNKNOWN,
        Severity::Warning,
        format!(
            "{note} HubSpot decides: the sign-in goes ahead, and if HubSpot does not know the name either it shows: \
             \"{invalid}\""
        ),
        fix,
    )
    .about(s)
    .quoting(invalid)
}

// ----- MCP auth apps ---------------------------------------------------------------------------

fn check_mcp(app: &AppConfig, out: &mut Vec<Finding>) {
    // Malformed names still stop the URL from being built.
    well_formed("the required scopes (scope)", &app.scopes, out);
    well_formed("the optional scopes (optional_scope)", &app.optional_scopes, out);
    if !app.scopes.is_empty() || !app.optional_scopes.is_empty() {
        out.push(Finding::new(
            ids::MCP_SCOPES_IGNORED,
            Severity::Info,
            "HubSpot ignores the scopes of an MCP auth app: the granted scopes follow the MCP server's tools and \
             what the user allows on the consent screen.",
            "Nothing to fix; Hubkey shows the granted scopes after sign-in. To get scopes for new tools, sign in \
             again.",
        ));
    }
    if !app.pkce {
        out.push(
            Finding::new(
                ids::PKCE_OFF_FOR_MCP,
                Severity::Info,
                format!(
                    "PKCE is turned off for this app, but HubSpot requires it for MCP auth apps (\"{}\"), so Hubkey \
                     uses it anyway.",
                    hs::PKCE_REQUIRED_FOR_MCP
                ),
                "Nothing to fix; turn the PKCE switch back on to make the setting match.",
            )
            .quoting(hs::PKCE_REQUIRED_FOR_MCP),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_uuid_shapes_then_only_8_4_4_4_12_hex_passes() {
        assert!(crate::app::looks_like_uuid(
            "5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60"
        ));
        assert!(!crate::app::looks_like_uuid("5f3c2a1e8b7d4c6e9a0f1b2c3d4e5f60"));
        assert!(!crate::app::looks_like_uuid(
            "zf3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60"
        ));
    }

    #[test]
    fn given_severities_when_sorted_then_errors_come_first() {
        let mut v = [Severity::Info, Severity::Error, Severity::Warning];
        v.sort();
        assert_eq!(v, [Severity::Error, Severity::Warning, Severity::Info]);
        assert_eq!(serde_json::to_string(&Severity::Warning).unwrap(), "\"warning\"");
    }

    #[test]
    fn given_a_port_held_by_another_socket_when_probed_then_it_is_in_use() {
        let held = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = held.local_addr().unwrap().port();
        assert_eq!(probe_loopback_port(port), PortStatus::InUse);
        drop(held);
        assert_eq!(probe_loopback_port(port), PortStatus::Free);
    }
}
