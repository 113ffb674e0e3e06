//! The wire shapes of what Hubkey explains: preflight, the scope catalog's suggestions, the MCP
//! server check and the doctor. Preflight findings, doctor checks and install-guide entries cross
//! the IPC as hubkey-core's own types; these add what the window needs on top (`ok`, the exit code,
//! the tier's label, the MCP outcome as one word).

use crate::doctor::{Check, DoctorReport};
use crate::mcp::McpCheck;
use crate::preflight::{Finding, PreflightReport};
use crate::scopes::ScopeInfo;
use serde::{Deserialize, Serialize};

/// `preflight_app` result: everything preflight found for one app, errors first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "PreflightView.ts"))]
pub struct PreflightView {
    pub app: String,
    /// No error: the sign-in can start.
    pub ok: bool,
    pub findings: Vec<Finding>,
}

impl From<&PreflightReport> for PreflightView {
    fn from(r: &PreflightReport) -> Self {
        PreflightView {
            app: r.app.clone(),
            ok: r.ok(),
            findings: r.findings.clone(),
        }
    }
}

/// One scope of the catalog, explained (autocompletion in the registration form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ScopeInfoView.ts"))]
pub struct ScopeInfoView {
    pub name: String,
    /// What it grants, in one sentence.
    pub grants: String,
    /// The family id (`crm_objects`, `cms`…).
    pub family: String,
    /// The lowest subscription that has it ("Marketing Hub Professional or Enterprise"); `None`: unknown.
    pub tier: Option<String>,
    /// One of HubSpot's broad legacy names.
    pub legacy: bool,
    /// A sensitive-data scope.
    pub sensitive: bool,
    /// Finer-grained scopes to use instead (legacy names only).
    pub replaced_by: Vec<String>,
    pub notes: Option<String>,
}

impl From<&ScopeInfo> for ScopeInfoView {
    fn from(s: &ScopeInfo) -> Self {
        ScopeInfoView {
            name: s.name.clone(),
            grants: s.grants.clone(),
            family: s.family.clone(),
            tier: s.tier.as_ref().map(|t| t.label.clone()),
            legacy: s.legacy,
            sensitive: s.sensitive,
            replaced_by: s.replaced_by.clone(),
            notes: s.notes.clone(),
        }
    }
}

/// `scope_suggestions` input.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ScopeSuggestionsArgs.ts"))]
pub struct ScopeSuggestionsArgs {
    /// What has been typed of the scope name so far.
    pub prefix: String,
}

/// What HubSpot's MCP server said about a connection's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "McpOutcome.ts"))]
pub enum McpOutcome {
    /// It answered `initialize`.
    Accepted,
    /// An account-level token: HubSpot's 401 "This endpoint requires a user level OAuth token", or known
    /// before asking (the connection's `is_user_level` is false; then `asked_server` is false).
    NotUserLevel,
    /// Another 401 (HubSpot's is empty, with a `WWW-Authenticate` challenge): the token is expired or revoked.
    Unauthorized,
    /// Any other answer.
    Unexpected,
}

/// `check_mcp` result. Never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "McpCheckView.ts"))]
pub struct McpCheckView {
    pub app: String,
    pub hub_id: u64,
    pub outcome: McpOutcome,
    /// One sentence for the card.
    pub summary: String,
    /// What to do, when something is wrong (for `not_user_level`: MCP auth app or user-level app).
    pub fix: Option<String>,
    /// HubSpot's message, when it gave one.
    pub hubspot_message: Option<String>,
    /// `accepted`: the protocol version the server chose.
    pub protocol_version: Option<String>,
    /// `accepted`: the server's name.
    pub server_name: Option<String>,
    /// `unexpected`: the HTTP status.
    pub http_status: Option<u16>,
    /// Whether the MCP server was asked; false when the connection was already known to be account-level.
    pub asked_server: bool,
}

impl McpCheckView {
    pub fn new(app: &str, hub_id: u64, check: &McpCheck) -> Self {
        let mut view = McpCheckView {
            app: app.to_string(),
            hub_id,
            outcome: McpOutcome::Unexpected,
            summary: check.summary(),
            fix: check.fix(),
            hubspot_message: None,
            protocol_version: None,
            server_name: None,
            http_status: None,
            asked_server: true,
        };
        match check {
            McpCheck::Accepted {
                protocol_version,
                server_name,
                ..
            } => {
                view.outcome = McpOutcome::Accepted;
                view.protocol_version = Some(protocol_version.clone());
                view.server_name = server_name.clone();
            }
            McpCheck::NotUserLevel { hubspot_message, .. } => {
                view.outcome = McpOutcome::NotUserLevel;
                view.hubspot_message = Some(hubspot_message.clone());
            }
            McpCheck::AccountLevelToken { .. } => {
                view.outcome = McpOutcome::NotUserLevel;
                view.asked_server = false;
            }
            McpCheck::Unauthorized { message, .. } => {
                view.outcome = McpOutcome::Unauthorized;
                view.hubspot_message = message.clone();
            }
            McpCheck::Unexpected { status, .. } => {
                view.http_status = Some(*status);
            }
        }
        view
    }
}

/// `doctor` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "DoctorView.ts"))]
pub struct DoctorView {
    /// No check failed.
    pub ok: bool,
    /// What `hubkey doctor` would exit with: 0, 2 (configuration), 4 (keychain) or 5 (network).
    pub exit_code: i32,
    pub checks: Vec<Check>,
}

impl From<&DoctorReport> for DoctorView {
    fn from(r: &DoctorReport) -> Self {
        DoctorView {
            ok: r.ok(),
            exit_code: r.exit_code(),
            checks: r.checks.clone(),
        }
    }
}
