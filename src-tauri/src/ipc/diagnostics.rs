//! Commands that explain: preflight, scope suggestions, the install guide, the MCP server check, the doctor.

use hubkey_core::install_guide::InstallFailure;
use hubkey_core::view::{
    AppArgs, ConnectionArgs, DoctorView, McpCheckView, PreflightView, ScopeInfoView, ScopeSuggestionsArgs,
};
use hubkey_core::Error;
use tauri::State;

use super::CmdResult;
use crate::host::Host;

/// Longest prefix `scope_suggestions` looks at (scope names are far shorter).
const MAX_SCOPE_PREFIX: usize = 128;

/// HubSpot's rules checked against a registered app, without signing in (the same check `start_login` runs).
#[tauri::command]
pub async fn preflight_app(host: State<'_, Host>, args: AppArgs) -> CmdResult<PreflightView> {
    let config = host.hubkey().app(&args.app).await?;
    Ok(PreflightView::from(&host.hubkey().preflight(&config)))
}

/// Autocompletion for the registration form: selectable scopes of the catalog whose name starts with (else
/// contains) `prefix`, sorted by name, each explained.
#[tauri::command]
pub fn scope_suggestions(host: State<'_, Host>, args: ScopeSuggestionsArgs) -> CmdResult<Vec<ScopeInfoView>> {
    if args.prefix.len() > MAX_SCOPE_PREFIX {
        return Err(Error::InvalidInput("That is too long for a scope name.".into()).into());
    }
    let found = host.hubkey().scope_suggestions(&args.prefix);
    Ok(found.into_iter().map(ScopeInfoView::from).collect())
}

/// HubSpot's install-error pages, explained (shown while a login waits: they never redirect back).
#[tauri::command]
pub fn install_guide(host: State<'_, Host>) -> Vec<InstallFailure> {
    host.hubkey().install_guide().to_vec()
}

/// Asks HubSpot's MCP server whether it accepts the connection's access token (MCP `initialize`); the token is
/// sent from Rust, the result never contains it.
#[tauri::command]
pub async fn check_mcp(host: State<'_, Host>, args: ConnectionArgs) -> CmdResult<McpCheckView> {
    let check = host.hubkey().check_mcp(&args.key()).await?;
    Ok(McpCheckView::new(&args.app, args.hub_id, &check))
}

/// Diagnostics, as `hubkey doctor`: every app's settings, the keychain (a probe entry written, read back and
/// deleted) and whether HubSpot's hosts answer.
#[tauri::command]
pub async fn doctor(host: State<'_, Host>) -> CmdResult<DoctorView> {
    let _busy = host.activity().begin();
    let apps = host.hubkey().apps().await?;
    Ok(DoctorView::from(&host.hubkey().doctor(&apps, true).await))
}
