//! Commands about the signed auto-update (crate::update): what was found, and installing it on request.

use hubkey_core::view::UpdateView;
use hubkey_core::ErrorCode;
use tauri::{AppHandle, Runtime};

use super::{CmdResult, CommandError};

/// The verified update the last check found, if any (the window asks when it opens; later finds arrive as
/// the `update-available` event).
#[tauri::command]
pub fn update_available<R: Runtime>(app: AppHandle<R>) -> Option<UpdateView> {
    crate::update::pending(&app)
}

/// Installs the verified update (the user pressed "Install"); Hubkey must then be restarted.
#[tauri::command]
pub fn install_update<R: Runtime>(app: AppHandle<R>) -> CmdResult<()> {
    crate::update::install(&app).map_err(|why| {
        CommandError::new(
            ErrorCode::Io,
            why,
            Some("Download the new version from the releases page instead."),
        )
    })
}
