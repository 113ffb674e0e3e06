//! What crosses the IPC boundary: command arguments, results and event payloads. Nothing here can hold a
//! secret — there is no field for one, and [`hubkey_core::Secret`] has no `Serialize`. The TypeScript twins
//! in `ui/src/lib/bindings/` are generated from these types (tests/bindings.rs keeps them in sync).
//!
//! Times are RFC 3339 strings in UTC; the UI renders them in local time.

use hubkey_core::app::{AppConfig, AppKind};
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
            scopes: conn.scopes.clone(),
            requested_scopes: conn.requested_scopes.clone(),
            required_scopes: groups.required,
            optional_granted: groups.optional_granted,
            optional_dropped: groups.optional_dropped,
            extra_granted: groups.extra_granted,
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

/// The scope groups of a connection (see the fields of [`ConnectionView`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeGroups {
    pub required: Vec<String>,
    pub optional_granted: Vec<String>,
    pub optional_dropped: Vec<String>,
    pub extra_granted: Vec<String>,
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
        ScopeGroups {
            required,
            optional_granted,
            optional_dropped,
            extra_granted,
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
    /// HubSpot confirmed the refresh token is revoked.
    pub revoked: bool,
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
