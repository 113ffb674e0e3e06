//! The settings the window switches. Today one: start at login (hubkey-shell's `autostart`, the same entry the
//! tray menu's "Start at login" writes), so the window, the tray and the tray-only process agree.

use hubkey_core::view::{StartAtLoginArgs, StartAtLoginView};
use hubkey_core::ErrorCode;
use tauri::{AppHandle, Runtime};

use super::{CmdResult, CommandError};
use crate::host::HostExt;

fn io_error(e: std::io::Error) -> CommandError {
    CommandError::new(
        ErrorCode::Io,
        format!("cannot change the start-at-login entry: {e}"),
        Some("Check that your config folder (~/.config/autostart on Linux) is writable, then try again."),
    )
}

/// Whether Hubkey starts at login, and whether this install can.
#[tauri::command]
pub fn start_at_login<R: Runtime>(app: AppHandle<R>) -> CmdResult<StartAtLoginView> {
    let Some(autostart) = app.host().and_then(|h| h.autostart().cloned()) else {
        return Ok(StartAtLoginView {
            available: false,
            enabled: false,
        });
    };
    let enabled = autostart.is_enabled().map_err(io_error)?;
    Ok(StartAtLoginView {
        available: true,
        enabled,
    })
}

/// Switches starting at login (in the tray only, `--background`) on or off; the tray's check mark follows.
#[tauri::command]
pub fn set_start_at_login<R: Runtime>(
    app: AppHandle<R>,
    args: StartAtLoginArgs,
) -> CmdResult<StartAtLoginView> {
    let Some(autostart) = app.host().and_then(|h| h.autostart().cloned()) else {
        return Err(CommandError::new(
            ErrorCode::Io,
            "this install cannot start at login".to_string(),
            Some("Add `hubkey-desktop --background` to your desktop's startup applications instead."),
        ));
    };
    autostart.set(args.enabled).map_err(io_error)?;
    tracing::info!(on = args.enabled, "start at login switched from the window");
    let handle = app.clone();
    tauri::async_runtime::spawn(async move { crate::tray::refresh(&handle).await });
    let enabled = autostart.is_enabled().map_err(io_error)?;
    Ok(StartAtLoginView {
        available: true,
        enabled,
    })
}
