//! What preflight reports: findings with stable ids, severities, HubSpot's wording and the fix. A leaf module:
//! the error type carries a report ([`crate::Error::Preflight`]) without depending on the checks.

use serde::Serialize;

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
    pub(super) fn new(
        id: &'static str,
        severity: Severity,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            id,
            severity,
            subject: None,
            message: message.into(),
            hubspot_says: None,
            fix: fix.into(),
        }
    }

    pub(super) fn about(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub(super) fn quoting(mut self, hubspot: impl Into<String>) -> Self {
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
