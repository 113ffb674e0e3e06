//! Declares the app's own commands so that capability files control them (threat-model.md S5.1): without an
//! app manifest, Tauri lets every local window call every app command.

/// Every `#[tauri::command]` of this crate. A command missing here cannot be granted and is denied.
const COMMANDS: &[&str] = &[
    "app_info",
    "register_app",
    "list_apps",
    "remove_app",
    "start_login",
    "cancel_login",
    "login_state",
    "list_connections",
    "copy_token",
    "copy_redirect_url",
    "refresh_now",
    "sign_out",
    "preflight_app",
    "scope_suggestions",
    "install_guide",
    "check_mcp",
    "doctor",
    "page_ready",
];

fn main() {
    let attributes =
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        // A build script reports failure by panicking; there is no other channel.
        #[allow(clippy::panic)]
        {
            panic!("tauri-build failed: {error:#}");
        }
    }
}
