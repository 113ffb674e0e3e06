//! The wire shapes of a sign-in: what `start_login` returns, the `login-finished` event, and what a
//! page that loads while sign-ins run needs.

use serde::{Deserialize, Serialize};

use super::apps::RedirectKind;
use super::connections::ConnectionView;
use super::CommandError;

/// `start_login` input.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "StartLoginArgs.ts"))]
pub struct StartLoginArgs {
    pub app: String,
    /// Preselect a portal (skips HubSpot's account picker).
    #[cfg_attr(feature = "ts", ts(optional))]
    pub portal_id: Option<u64>,
    /// This one sign-in without PKCE (standard apps only): the "Retry without PKCE" action offered when
    /// HubSpot refused the verifier (`pkce_rejected`). The app's setting is not changed.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub without_pkce: Option<bool>,
}

/// `start_login` result: the browser is opening; the outcome arrives as a `login-finished` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "LoginStarted.ts"))]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "LoginFinished.ts"))]
pub struct LoginFinished {
    pub app: String,
    pub ok: bool,
    pub connection: Option<ConnectionView>,
    pub error: Option<CommandError>,
}

/// `login_state` result: what the page needs when it loads while logins run in Rust (the window is destroyed on
/// close and built again, and a new page knows nothing of the old one's logins).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "LoginState.ts"))]
pub struct LoginState {
    /// The logins still waiting for HubSpot's redirect, as `start_login` returned them.
    pub pending: Vec<LoginStarted>,
    /// The `login-finished` results no page has seen (at most one per app, the latest); handed over once.
    pub unseen: Vec<LoginFinished>,
}
