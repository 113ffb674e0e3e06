//! Commands the UI may call. Each one is listed in build.rs and granted in capabilities/*.json; each parses its
//! input, delegates, and maps errors to [`crate::error::CommandError`]. No logic lives here.

use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use crate::DesktopState;

/// What the UI shows in its header and empty state. Keep in sync with `ui/src/lib/types.ts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppInfo {
    pub version: String,
    pub api_base_url: String,
    pub app_base_url: String,
    pub mcp_base_url: String,
    /// True when any endpoint is overridden away from HubSpot (the sandbox, usually).
    pub uses_sandbox: bool,
}

#[tauri::command]
pub fn app_info<R: Runtime>(app: AppHandle<R>, state: State<'_, DesktopState>) -> AppInfo {
    let endpoints = &state.endpoints;
    AppInfo {
        version: app.package_info().version.to_string(),
        api_base_url: endpoints.api_base.to_string(),
        app_base_url: endpoints.app_base.to_string(),
        mcp_base_url: endpoints.mcp_base.to_string(),
        uses_sandbox: !endpoints.is_hubspot(),
    }
}
