//! Commands about apps: what the build talks to, validating and registering an app, listing and removing
//! apps, copying a redirect URL, and the page's "rendered" signal.

use hubkey_core::draft::{check_redirect_to_copy, AppValidation};
use hubkey_core::view::{
    AppArgs, AppInfo, AppView, CopyRedirectArgs, PageTimings, RegisterAppArgs, RegisterAppResult,
};
use hubkey_core::Error;
use tauri::{AppHandle, Runtime, State, WebviewWindow};

use super::CmdResult;
use crate::host::Host;

#[tauri::command]
pub fn app_info<R: Runtime>(app: AppHandle<R>, host: State<'_, Host>) -> AppInfo {
    host.app_info(app.package_info().version.to_string())
}

/// The registration rules' verdict on the form as typed (the window asks as the user types, debounced).
#[tauri::command]
pub fn validate_app(host: State<'_, Host>, args: RegisterAppArgs) -> AppValidation {
    let (draft, secret) = args.into_parts();
    host.hubkey().validate_app(&draft, Some(&secret))
}

/// Validates the form, refuses a name already taken, then stores the app: the client secret in the keychain,
/// the rest in the index.
#[tauri::command]
pub async fn register_app(host: State<'_, Host>, args: RegisterAppArgs) -> CmdResult<RegisterAppResult> {
    let _busy = host.activity().begin();
    let (draft, secret) = args.into_parts();
    let registered = host.hubkey().register_app(&draft, secret, false).await?;
    Ok(RegisterAppResult {
        app: AppView::new(&registered.app, 0),
        warnings: registered.warnings,
    })
}

#[tauri::command]
pub async fn list_apps(host: State<'_, Host>) -> CmdResult<Vec<AppView>> {
    Ok(host.hubkey().app_views().await?)
}

/// Removes an app and its client secret (refused while it still has connections: sign out first).
#[tauri::command]
pub async fn remove_app(host: State<'_, Host>, args: AppArgs) -> CmdResult<()> {
    let _busy = host.activity().begin();
    host.logins().cancelled(&args.app);
    Ok(host.hubkey().remove_app(&args.app).await?)
}

/// Copies a redirect URL (not a secret) so the user can paste it into HubSpot's app settings. Only URLs Hubkey
/// could receive are accepted, so this cannot be used to put arbitrary text on the clipboard.
#[tauri::command]
pub fn copy_redirect_url(host: State<'_, Host>, args: CopyRedirectArgs) -> CmdResult<()> {
    let url = check_redirect_to_copy(&args.url)?;
    let clipboard = host.copier().clipboard();
    Ok(clipboard.write_text(url).map_err(Error::Clipboard)?)
}

/// The page has rendered: the window, built hidden, is shown now (window.rs explains why), and the page's
/// start-up times are logged. Returns nothing; a window other than the main one is ignored.
#[tauri::command]
pub fn page_ready<R: Runtime>(window: WebviewWindow<R>, timings: PageTimings) {
    if window.label() == crate::MAIN_WINDOW {
        crate::window::page_ready(&window, &timings);
    }
}
