//! A registered HubSpot app, as the user described it to Hubkey.
//!
//! The client secret is not here: it lives in the keychain (see [`crate::store`]). Everything in
//! [`AppConfig`] is safe to write to the non-secret index and to show in the UI.

use serde::{Deserialize, Serialize};

/// Which kind of HubSpot app this is; it decides the authorize and token endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "AppKind.ts"))]
pub enum AppKind {
    /// A public or private app on the developer platform (`app.hubspot.com/oauth/authorize`).
    #[default]
    Standard,
    /// An "MCP auth app" (`mcp.hubspot.com/oauth/authorize/user`): PKCE required, user-level tokens.
    Mcp,
}

/// A HubSpot app registered in Hubkey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppConfig {
    /// The user's short name for the app (unique in Hubkey).
    pub name: String,
    /// HubSpot's client ID (a UUID).
    pub client_id: String,
    /// The redirect URL exactly as registered at HubSpot (compared byte for byte there).
    pub redirect_uri: String,
    /// Required (and conditionally required) scopes, sent in `scope`.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Optional scopes, sent in `optional_scope`.
    #[serde(default)]
    pub optional_scopes: Vec<String>,
    /// Standard or MCP auth app.
    #[serde(default)]
    pub kind: AppKind,
    /// Send PKCE S256 (always on for MCP apps; a per-app switch for standard apps, design.md §2.2).
    #[serde(default = "default_true")]
    pub pkce: bool,
}

fn default_true() -> bool {
    true
}

/// Whether `s` is shaped like HubSpot's client IDs: a UUID, 8-4-4-4-12 hex digits. The one check of it,
/// for the registration rules ([`crate::draft`]) and preflight.
pub fn looks_like_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl AppConfig {
    /// Whether PKCE is used for this app (forced on for MCP apps).
    pub fn uses_pkce(&self) -> bool {
        self.pkce || self.kind == AppKind::Mcp
    }
}
