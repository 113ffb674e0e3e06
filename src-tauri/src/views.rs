//! What crosses the IPC boundary: command arguments, results and event payloads. Nothing here can hold a
//! secret — there is no field for one, and [`hubkey_core::Secret`] has no `Serialize`. The TypeScript twins
//! in `ui/src/lib/bindings/` are generated from these types (tests/bindings.rs keeps them in sync).
//!
//! Times are RFC 3339 strings in UTC; the UI renders them in local time.

use hubkey_core::app::{AppConfig, AppKind};
use hubkey_core::doctor::{CheckCategory, CheckStatus, DoctorReport};
use hubkey_core::install_guide::InstallFailure;
use hubkey_core::mcp::McpCheck;
use hubkey_core::preflight::{Finding, PreflightReport, Severity};
use hubkey_core::scopes::{ScopeCatalog, ScopeDiff, ScopeInfo};
use hubkey_core::store::{Connection, ConnectionState};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use ts_rs::TS;

use crate::error::CommandError;
use crate::validation::Issue;

/// Event: a login started by `start_login` ended (connected, failed, cancelled or timed out).
pub const LOGIN_FINISHED: &str = "login-finished";
/// Event: a connection's state or expiry changed (refresh started, succeeded, failed, needs re-auth).
pub const CONNECTION_CHANGED: &str = "connection-changed";
/// Event: the set of apps or connections changed (login, sign-out, app added or removed).
pub const CONNECTIONS_RELOAD: &str = "connections-reload";

/// RFC 3339 in UTC, the one time format of the IPC.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Standard developer-platform app or MCP auth app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "AppKindView.ts")]
pub enum AppKindView {
    Standard,
    Mcp,
}

impl From<AppKind> for AppKindView {
    fn from(kind: AppKind) -> Self {
        match kind {
            AppKind::Standard => AppKindView::Standard,
            AppKind::Mcp => AppKindView::Mcp,
        }
    }
}

impl From<AppKindView> for AppKind {
    fn from(kind: AppKindView) -> Self {
        match kind {
            AppKindView::Standard => AppKind::Standard,
            AppKindView::Mcp => AppKind::Mcp,
        }
    }
}

/// A connection's token health (design.md §4 `state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "ConnectionStateView.ts")]
pub enum ConnectionStateView {
    Fresh,
    Refreshing,
    Retrying,
    NeedsReauth,
}

impl From<ConnectionState> for ConnectionStateView {
    fn from(state: ConnectionState) -> Self {
        match state {
            ConnectionState::Fresh => ConnectionStateView::Fresh,
            ConnectionState::Refreshing => ConnectionStateView::Refreshing,
            ConnectionState::Retrying => ConnectionStateView::Retrying,
            ConnectionState::NeedsReauth => ConnectionStateView::NeedsReauth,
        }
    }
}

/// How Hubkey receives HubSpot's redirect for an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "RedirectKind.ts")]
pub enum RedirectKind {
    /// `http://localhost:PORT/PATH`: a listener on that port for the duration of one login.
    Loopback,
    /// An https relay page that forwards to `hubkey://oauth/callback`.
    DeepLink,
}

/// A registered app, without its client secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "AppView.ts")]
pub struct AppView {
    pub name: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// `None` when Hubkey cannot receive this redirect (then `redirect_problem` says why).
    pub redirect_kind: Option<RedirectKind>,
    pub redirect_problem: Option<String>,
    pub scopes: Vec<String>,
    pub optional_scopes: Vec<String>,
    pub kind: AppKindView,
    pub pkce: bool,
    /// Portals connected with this app.
    pub connections: u32,
}

impl AppView {
    pub fn new(app: &AppConfig, connections: usize) -> Self {
        let (redirect_kind, redirect_problem) =
            match hubkey_core::callback::redirect_target(&app.redirect_uri) {
                Ok(hubkey_core::callback::RedirectTarget::Loopback { .. }) => {
                    (Some(RedirectKind::Loopback), None)
                }
                Ok(hubkey_core::callback::RedirectTarget::Relay { .. }) => {
                    (Some(RedirectKind::DeepLink), None)
                }
                Err(e) => (None, Some(e.to_string())),
            };
        AppView {
            name: app.name.clone(),
            client_id: app.client_id.clone(),
            redirect_uri: app.redirect_uri.clone(),
            redirect_kind,
            redirect_problem,
            scopes: app.scopes.clone(),
            optional_scopes: app.optional_scopes.clone(),
            kind: app.kind.into(),
            pkce: app.uses_pkce(),
            connections: u32::try_from(connections).unwrap_or(u32::MAX),
        }
    }
}

/// One connected portal, everything the UI shows. The token itself never appears: `masked_token` is computed
/// in Rust ("••••••••abcd"), and only when the token is long enough for the tail to reveal nothing useful.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "ConnectionView.ts")]
pub struct ConnectionView {
    pub app: String,
    pub app_kind: Option<AppKindView>,
    pub hub_id: u64,
    pub hub_domain: Option<String>,
    /// The installing user's e-mail.
    pub user: Option<String>,
    pub user_id: Option<u64>,
    pub installing_user_id: Option<u64>,
    pub app_id: Option<u64>,
    pub is_user_level: Option<bool>,
    /// The portal's data centre (`na1`, `eu1`…), from introspection; `None` when HubSpot did not say.
    pub hublet: Option<String>,
    /// Every granted scope, as HubSpot reported it.
    pub scopes: Vec<String>,
    /// What the login asked for (required + optional).
    pub requested_scopes: Vec<String>,
    /// The app's required scopes (all granted, or HubSpot would have refused the install).
    pub required_scopes: Vec<String>,
    /// Optional scopes HubSpot granted.
    pub optional_granted: Vec<String>,
    /// Optional scopes HubSpot dropped (usually: the portal's tier lacks the feature).
    pub optional_dropped: Vec<String>,
    /// Granted scopes the app did not ask for (e.g. ones added on HubSpot's side).
    pub extra_granted: Vec<String>,
    /// Why each of `optional_dropped` was probably dropped (from the scope catalog's tiers and the token's
    /// level), in the same order. Empty when the app is no longer registered.
    pub dropped_reasons: Vec<DroppedScopeView>,
    pub expires_at: String,
    /// When the background refresher will refresh this token.
    pub next_refresh_at: String,
    pub state: ConnectionStateView,
    pub state_reason: Option<String>,
    pub connected_at: String,
    pub last_refreshed_at: Option<String>,
    pub masked_token: Option<String>,
}

impl ConnectionView {
    /// Builds the view. `app` is the registered app (for the scope groups); `next_refresh_at` comes from the
    /// refresher's schedule; `masked_token` from [`hubkey_core::Secret::masked`].
    pub fn new(
        conn: &Connection,
        app: Option<&AppConfig>,
        next_refresh_at: OffsetDateTime,
        masked_token: Option<String>,
    ) -> Self {
        let groups = ScopeGroups::new(conn, app);
        ConnectionView {
            app: conn.app.clone(),
            app_kind: app.map(|a| a.kind.into()),
            hub_id: conn.hub_id,
            hub_domain: conn.hub_domain.clone(),
            user: conn.user.clone(),
            user_id: conn.user_id,
            installing_user_id: conn.installing_user_id,
            app_id: conn.app_id,
            is_user_level: conn.is_user_level,
            hublet: conn.hublet.clone(),
            scopes: conn.scopes.clone(),
            requested_scopes: conn.requested_scopes.clone(),
            required_scopes: groups.required,
            optional_granted: groups.optional_granted,
            optional_dropped: groups.optional_dropped,
            extra_granted: groups.extra_granted,
            dropped_reasons: groups.dropped_reasons,
            expires_at: rfc3339(conn.expires_at),
            next_refresh_at: rfc3339(next_refresh_at),
            state: conn.state.into(),
            state_reason: conn.state_reason.clone(),
            connected_at: rfc3339(conn.connected_at),
            last_refreshed_at: conn.last_refreshed_at.map(rfc3339),
            masked_token,
        }
    }
}

/// An optional scope HubSpot did not grant, and the likely reason ([`hubkey_core::scopes::DroppedScope`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "DroppedScopeView.ts")]
pub struct DroppedScopeView {
    pub scope: String,
    /// E.g. "needs Marketing Hub Professional or Enterprise".
    pub likely_reason: String,
}

/// The scope groups of a connection (see the fields of [`ConnectionView`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeGroups {
    pub required: Vec<String>,
    pub optional_granted: Vec<String>,
    pub optional_dropped: Vec<String>,
    pub extra_granted: Vec<String>,
    pub dropped_reasons: Vec<DroppedScopeView>,
}

impl ScopeGroups {
    /// Groups the granted scopes by what the app asked for. Without the app (removed meanwhile), every
    /// granted scope counts as required and the recorded `optional_scopes_missing` as dropped.
    pub fn new(conn: &Connection, app: Option<&AppConfig>) -> Self {
        let granted = |s: &String| conn.scopes.iter().any(|g| g == s);
        let Some(app) = app else {
            return ScopeGroups {
                required: conn.scopes.clone(),
                optional_dropped: conn.optional_scopes_missing.clone(),
                ..Default::default()
            };
        };
        let required: Vec<String> = app.scopes.clone();
        let optional_granted: Vec<String> = app
            .optional_scopes
            .iter()
            .filter(|s| granted(s))
            .cloned()
            .collect();
        let optional_dropped: Vec<String> = app
            .optional_scopes
            .iter()
            .filter(|s| !granted(s))
            .cloned()
            .collect();
        let extra_granted = conn
            .scopes
            .iter()
            .filter(|s| !app.scopes.contains(s) && !app.optional_scopes.contains(s))
            .cloned()
            .collect();
        let diff = ScopeDiff::compute_with(app, &conn.scopes, conn.is_user_level, ScopeCatalog::embedded());
        let dropped_reasons = optional_dropped
            .iter()
            .filter_map(|s| diff.optional_dropped.iter().find(|d| &d.scope == s))
            .map(|d| DroppedScopeView {
                scope: d.scope.clone(),
                likely_reason: d.likely_reason.clone(),
            })
            .collect();
        ScopeGroups {
            required,
            optional_granted,
            optional_dropped,
            extra_granted,
            dropped_reasons,
        }
    }
}

/// `register_app` input. The client secret goes straight to the keychain and is never returned.
#[derive(Deserialize, TS)]
#[ts(export_to = "RegisterAppArgs.ts")]
pub struct RegisterAppArgs {
    pub name: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    /// Required scopes, separated by spaces, commas or new lines (as typed).
    pub scopes: String,
    /// Optional scopes, same format.
    pub optional_scopes: String,
    pub kind: AppKindView,
    /// Send PKCE S256 (default true). Off only for a standard app whose HubSpot refuses the verifier
    /// (`pkce_rejected`); MCP auth apps use PKCE whatever this says.
    #[serde(default)]
    #[ts(optional)]
    pub pkce: Option<bool>,
}

impl std::fmt::Debug for RegisterAppArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterAppArgs")
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .field("optional_scopes", &self.optional_scopes)
            .field("kind", &self.kind)
            .field("pkce", &self.pkce)
            .finish()
    }
}

/// `register_app` result: the app as stored, and warnings that did not block saving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "RegisterAppResult.ts")]
pub struct RegisterAppResult {
    pub app: AppView,
    pub warnings: Vec<Issue>,
}

/// What a page reports once it has rendered (`page_ready`): when its navigation started (ms since the Unix
/// epoch, `performance.timeOrigin`) and its own milestones, in ms after that.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export_to = "PageTimings.ts")]
pub struct PageTimings {
    pub time_origin_ms: f64,
    pub dom_interactive_ms: f64,
    pub mounted_ms: f64,
}

/// Names an app (`remove_app`, `cancel_login`).
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export_to = "AppArgs.ts")]
pub struct AppArgs {
    pub app: String,
}

/// Names a connection (`refresh_now`).
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export_to = "ConnectionArgs.ts")]
pub struct ConnectionArgs {
    pub app: String,
    pub hub_id: u64,
}

/// `start_login` input.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export_to = "StartLoginArgs.ts")]
pub struct StartLoginArgs {
    pub app: String,
    /// Preselect a portal (skips HubSpot's account picker).
    #[ts(optional)]
    pub portal_id: Option<u64>,
    /// This one sign-in without PKCE (standard apps only): the "Retry without PKCE" action offered when
    /// HubSpot refused the verifier (`pkce_rejected`). The app's setting is not changed.
    #[serde(default)]
    #[ts(optional)]
    pub without_pkce: Option<bool>,
}

/// `start_login` result: the browser is opening; the outcome arrives as a `login-finished` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "LoginStarted.ts")]
pub struct LoginStarted {
    pub app: String,
    /// The host of HubSpot's authorize page (`app.hubspot.com`, `mcp.hubspot.com`, or the sandbox).
    pub authorize_host: String,
    pub redirect_kind: RedirectKind,
    pub redirect_uri: String,
    /// When the sign-in started (a window built again later shows the install guide on time).
    pub started_at: String,
    /// When Hubkey stops waiting for the redirect.
    pub expires_at: String,
}

/// Event `login-finished`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "LoginFinished.ts")]
pub struct LoginFinished {
    pub app: String,
    pub ok: bool,
    pub connection: Option<ConnectionView>,
    pub error: Option<CommandError>,
}

/// `login_state` result: what the page needs when it loads while logins run in Rust (the window is destroyed on
/// close and built again, and a new page knows nothing of the old one's logins).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, TS)]
#[ts(export_to = "LoginState.ts")]
pub struct LoginState {
    /// The logins still waiting for HubSpot's redirect, as `start_login` returned them.
    pub pending: Vec<LoginStarted>,
    /// The `login-finished` results no page has seen (at most one per app, the latest); handed over once.
    pub unseen: Vec<LoginFinished>,
}

/// `copy_token` input.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export_to = "CopyTokenArgs.ts")]
pub struct CopyTokenArgs {
    pub app: String,
    pub hub_id: u64,
    /// Copy `Authorization: Bearer …` instead of the bare token.
    pub as_header: bool,
}

/// `copy_token` result: what was copied, never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "CopyAck.ts")]
pub struct CopyAck {
    pub app: String,
    pub hub_id: u64,
    pub as_header: bool,
    /// The clipboard is cleared after this many seconds if it still holds the token (`None`: never).
    pub clear_after_secs: Option<u64>,
}

/// `copy_redirect_url` input: a non-secret redirect URL to put on the clipboard.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export_to = "CopyRedirectArgs.ts")]
pub struct CopyRedirectArgs {
    pub url: String,
}

/// `sign_out` input.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export_to = "SignOutArgs.ts")]
pub struct SignOutArgs {
    pub app: String,
    pub hub_id: u64,
    /// Delete locally only; leave the refresh token valid at HubSpot.
    pub keep_remote: bool,
}

/// `sign_out` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "SignOutView.ts")]
pub struct SignOutView {
    pub app: String,
    pub hub_id: u64,
    /// HubSpot confirmed the refresh token is revoked (or no longer accepted it: `already_invalid`).
    pub revoked: bool,
    /// HubSpot no longer accepted the refresh token (already revoked, uninstalled or unknown): as good as
    /// revoked.
    pub already_invalid: bool,
    /// The revoke was skipped on purpose (`keep_remote`).
    pub kept_remote: bool,
    /// Why the revoke failed (the local deletion happened anyway).
    pub revoke_error: Option<CommandError>,
    /// Revocation does not cut access tokens short: the last one works until then.
    pub access_token_valid_until: Option<String>,
    /// One sentence for the UI: "Signed out. HubSpot revoked the refresh token; the access token stays valid
    /// until 12:41."
    pub summary: String,
}

/// What the `app_info` command returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "AppInfo.ts")]
pub struct AppInfo {
    pub version: String,
    pub api_base_url: String,
    pub app_base_url: String,
    pub mcp_base_url: String,
    /// True when any endpoint is overridden away from HubSpot (the sandbox, usually).
    pub uses_sandbox: bool,
    /// Seconds after which a copied token is cleared from the clipboard (`None`: never).
    pub clipboard_clear_secs: Option<u64>,
}

// ----- preflight, scope catalog, install guide, MCP check, doctor -------------------------------------------
// Views of hubkey-core's explanations, so that core keeps no ts-rs derive and the IPC shape is decided here.

/// How bad a preflight finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "SeverityView.ts")]
pub enum SeverityView {
    /// HubSpot (or Hubkey) would refuse the sign-in.
    Error,
    /// Likely to fail, or to behave unexpectedly.
    Warning,
    /// Worth knowing; nothing to fix.
    Info,
}

impl From<Severity> for SeverityView {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Error => SeverityView::Error,
            Severity::Warning => SeverityView::Warning,
            Severity::Info => SeverityView::Info,
        }
    }
}

/// One thing preflight found ([`hubkey_core::preflight::Finding`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "FindingView.ts")]
pub struct FindingView {
    /// Stable id (`redirect.port_busy`, `scopes.unknown`…; hubkey_core::preflight::ids).
    pub id: String,
    pub severity: SeverityView,
    /// The scope or URL concerned, when there is one.
    pub subject: Option<String>,
    pub message: String,
    /// HubSpot's exact wording for this problem, where it has one.
    pub hubspot_says: Option<String>,
    pub fix: String,
}

impl From<&Finding> for FindingView {
    fn from(f: &Finding) -> Self {
        FindingView {
            id: f.id.to_string(),
            severity: f.severity.into(),
            subject: f.subject.clone(),
            message: f.message.clone(),
            hubspot_says: f.hubspot_says.clone(),
            fix: f.fix.clone(),
        }
    }
}

/// `preflight_app` result: everything preflight found for one app, errors first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "PreflightView.ts")]
pub struct PreflightView {
    pub app: String,
    /// No error: the sign-in can start.
    pub ok: bool,
    pub findings: Vec<FindingView>,
}

impl From<&PreflightReport> for PreflightView {
    fn from(r: &PreflightReport) -> Self {
        PreflightView {
            app: r.app.clone(),
            ok: r.ok(),
            findings: r.findings.iter().map(FindingView::from).collect(),
        }
    }
}

/// One scope of the catalog, explained (autocompletion in the registration form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "ScopeInfoView.ts")]
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
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export_to = "ScopeSuggestionsArgs.ts")]
pub struct ScopeSuggestionsArgs {
    /// What has been typed of the scope name so far.
    pub prefix: String,
}

/// One way an install fails on HubSpot's authorize page ([`hubkey_core::install_guide::InstallFailure`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "InstallFailureView.ts")]
pub struct InstallFailureView {
    pub id: String,
    pub title: String,
    /// HubSpot's wording; `{…}` marks a part HubSpot fills in.
    pub hubspot_message: String,
    /// Other wordings HubSpot has used for the same failure.
    pub also_seen: Vec<String>,
    pub cause: String,
    pub fix: String,
}

impl From<&InstallFailure> for InstallFailureView {
    fn from(f: &InstallFailure) -> Self {
        InstallFailureView {
            id: f.id.to_string(),
            title: f.title.to_string(),
            hubspot_message: f.hubspot_message.to_string(),
            also_seen: f.also_seen.iter().map(|s| (*s).to_string()).collect(),
            cause: f.cause.to_string(),
            fix: f.fix.to_string(),
        }
    }
}

/// What HubSpot's MCP server said about a connection's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "McpOutcome.ts")]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "McpCheckView.ts")]
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

/// The outcome of one doctor check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "CheckStatusView.ts")]
pub enum CheckStatusView {
    Ok,
    Warn,
    Fail,
}

/// What a doctor check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "CheckCategoryView.ts")]
pub enum CheckCategoryView {
    Config,
    Keychain,
    Network,
}

/// One line of the diagnostics ([`hubkey_core::doctor::Check`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "CheckView.ts")]
pub struct CheckView {
    /// Stable id (`keychain`, `network.api_host`, a preflight finding id…).
    pub id: String,
    pub title: String,
    pub category: CheckCategoryView,
    /// The app or host concerned.
    pub subject: Option<String>,
    pub status: CheckStatusView,
    pub detail: String,
    pub fix: Option<String>,
}

/// `doctor` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "DoctorView.ts")]
pub struct DoctorView {
    /// No check failed.
    pub ok: bool,
    /// What `hubkey doctor` would exit with: 0, 2 (configuration), 4 (keychain) or 5 (network).
    pub exit_code: i32,
    pub checks: Vec<CheckView>,
}

impl From<&DoctorReport> for DoctorView {
    fn from(r: &DoctorReport) -> Self {
        DoctorView {
            ok: r.ok(),
            exit_code: r.exit_code(),
            checks: r
                .checks
                .iter()
                .map(|c| CheckView {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    category: match c.category {
                        CheckCategory::Config => CheckCategoryView::Config,
                        CheckCategory::Keychain => CheckCategoryView::Keychain,
                        CheckCategory::Network => CheckCategoryView::Network,
                    },
                    subject: c.subject.clone(),
                    status: match c.status {
                        CheckStatus::Ok => CheckStatusView::Ok,
                        CheckStatus::Warn => CheckStatusView::Warn,
                        CheckStatus::Fail => CheckStatusView::Fail,
                    },
                    detail: c.detail.clone(),
                    fix: c.fix.clone(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn dropped_optional_scopes_carry_the_catalogs_likely_reason() {
        let app = AppConfig {
            name: "demo".into(),
            client_id: "5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60".into(),
            redirect_uri: "http://localhost:53682/callback".into(),
            scopes: vec!["oauth".into(), "crm.objects.contacts.read".into()],
            optional_scopes: vec!["crm.objects.deals.read".into(), "automation".into()],
            kind: AppKind::Standard,
            pkce: true,
        };
        let conn: Connection = serde_json::from_value(serde_json::json!({
            "app": "demo",
            "hub_id": 1,
            "scopes": ["oauth", "crm.objects.contacts.read", "crm.objects.deals.read"],
            "requested_scopes": ["oauth", "crm.objects.contacts.read", "crm.objects.deals.read", "automation"],
            "optional_scopes_missing": ["automation"],
            "is_user_level": false,
            "expires_at": "2030-01-01T00:30:00Z",
            "connected_at": "2030-01-01T00:00:00Z",
            "state": "fresh",
            "token_generation": 1
        }))
        .unwrap();
        let view = ConnectionView::new(&conn, Some(&app), datetime!(2030-01-01 0:15 UTC), None);
        assert_eq!(view.optional_dropped, vec!["automation".to_string()]);
        assert_eq!(
            view.dropped_reasons,
            vec![DroppedScopeView {
                scope: "automation".into(),
                likely_reason: "needs Marketing Hub Professional or Enterprise".into(),
            }]
        );
        assert_eq!(view.hublet, None, "HubSpot did not say: absent, not an error");
        let mut eu = conn.clone();
        eu.hublet = Some("eu1".into());
        assert_eq!(
            ConnectionView::new(&eu, Some(&app), datetime!(2030-01-01 0:15 UTC), None)
                .hublet
                .as_deref(),
            Some("eu1")
        );
        // Without the app there is nothing to compare with.
        assert!(
            ConnectionView::new(&conn, None, datetime!(2030-01-01 0:15 UTC), None)
                .dropped_reasons
                .is_empty()
        );
    }
}
