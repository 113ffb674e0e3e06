//! The wire shapes of apps: an app as the window lists it, the registration form, what registering
//! returns, and what the window shows about the build and its endpoints.

use crate::app::{AppConfig, AppKind};
use crate::callback::{redirect_target, RedirectTarget};
use crate::draft::{AppDraft, Issue};
use crate::secret::ClientSecret;
use serde::{Deserialize, Serialize};

/// How Hubkey receives HubSpot's redirect for an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "RedirectKind.ts"))]
pub enum RedirectKind {
    /// `http://localhost:PORT/PATH`: a listener on that port for the duration of one login.
    Loopback,
    /// An https relay page that forwards to `hubkey://oauth/callback`.
    DeepLink,
}

impl RedirectKind {
    /// How Hubkey receives a redirect at `redirect_uri`; `Err` says why it cannot.
    pub fn of(redirect_uri: &str) -> crate::Result<RedirectKind> {
        Ok(match redirect_target(redirect_uri)? {
            RedirectTarget::Loopback { .. } => RedirectKind::Loopback,
            RedirectTarget::Relay { .. } => RedirectKind::DeepLink,
        })
    }
}

/// A registered app, without its client secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "AppView.ts"))]
pub struct AppView {
    pub name: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// `None` when Hubkey cannot receive this redirect (then `redirect_problem` says why).
    pub redirect_kind: Option<RedirectKind>,
    pub redirect_problem: Option<String>,
    pub scopes: Vec<String>,
    pub optional_scopes: Vec<String>,
    pub kind: AppKind,
    pub pkce: bool,
    /// Portals connected with this app.
    pub connections: u32,
}

impl AppView {
    /// The view of `app`, connected to `connections` portals.
    pub fn new(app: &AppConfig, connections: usize) -> Self {
        let (redirect_kind, redirect_problem) = match RedirectKind::of(&app.redirect_uri) {
            Ok(kind) => (Some(kind), None),
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
            kind: app.kind,
            pkce: app.uses_pkce(),
            connections: u32::try_from(connections).unwrap_or(u32::MAX),
        }
    }

    /// Every app of `index`, with its number of connections.
    pub fn all(index: &crate::store::Index) -> Vec<AppView> {
        index
            .apps
            .iter()
            .map(|a| AppView::new(a, index.connections.iter().filter(|c| c.app == a.name).count()))
            .collect()
    }
}

/// The registration form as typed (`register_app`, `validate_app`). The client secret goes straight to the
/// keychain and is never returned; its `Debug` is redacted.
#[derive(Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "RegisterAppArgs.ts"))]
pub struct RegisterAppArgs {
    pub name: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    /// Required scopes, separated by spaces, commas or new lines (as typed).
    pub scopes: String,
    /// Optional scopes, same format.
    pub optional_scopes: String,
    pub kind: AppKind,
    /// Send PKCE S256 (default true). Off only for a standard app whose HubSpot refuses the verifier
    /// (`pkce_rejected`); MCP auth apps use PKCE whatever this says.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
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

impl RegisterAppArgs {
    /// The draft (everything but the secret) and the secret.
    pub fn into_parts(self) -> (AppDraft, ClientSecret) {
        let RegisterAppArgs {
            name,
            client_id,
            client_secret,
            redirect_uri,
            scopes,
            optional_scopes,
            kind,
            pkce,
        } = self;
        let draft = AppDraft {
            name,
            client_id,
            redirect_uri,
            scopes,
            optional_scopes,
            kind,
            pkce,
        };
        (draft, ClientSecret::new(client_secret))
    }
}

/// `register_app` result: the app as stored, and warnings that did not block saving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "RegisterAppResult.ts"))]
pub struct RegisterAppResult {
    pub app: AppView,
    pub warnings: Vec<Issue>,
}

/// A newer build of the desktop app whose signature was verified (`update_available`, the
/// `update-available` event): what the window's banner says. No URL and no signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "UpdateView.ts"))]
pub struct UpdateView {
    pub version: String,
    pub current_version: String,
    pub notes: Option<String>,
}

/// What the `app_info` command returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "AppInfo.ts"))]
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

/// Names an app (`remove_app`, `cancel_login`).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "AppArgs.ts"))]
pub struct AppArgs {
    pub app: String,
}

/// `set_start_at_login` input: the switch's new state.
#[derive(Debug, Clone, Copy, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "StartAtLoginArgs.ts"))]
pub struct StartAtLoginArgs {
    pub enabled: bool,
}

/// The "Start at login" switch as the window shows it: `available` is false when this install has no entry
/// to switch (no home folder, or no desktop program beside the tray), and the window then hides the switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "StartAtLoginView.ts"))]
pub struct StartAtLoginView {
    pub available: bool,
    pub enabled: bool,
}

/// `copy_redirect_url` input: a non-secret redirect URL to put on the clipboard.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "CopyRedirectArgs.ts"))]
pub struct CopyRedirectArgs {
    pub url: String,
}

/// What a page reports once it has rendered (`page_ready`): when its navigation started (ms since the Unix
/// epoch, `performance.timeOrigin`) and its own milestones, in ms after that.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "PageTimings.ts"))]
pub struct PageTimings {
    pub time_origin_ms: f64,
    pub dom_interactive_ms: f64,
    pub mounted_ms: f64,
}
