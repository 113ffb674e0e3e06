//! The settings the window switches. Today one: start at login (hubkey-shell's `autostart`, the same entry the
//! tray menu's "Start at login" writes), so the window, the tray and the tray-only process agree.

use hubkey_core::view::{StartAtLoginArgs, StartAtLoginView};
use hubkey_core::ErrorCode;
use hubkey_shell::autostart;
use tauri::{AppHandle, Runtime, State};

use super::{CmdResult, CommandError};
use crate::host::Host;

fn io_error(e: std::io::Error) -> CommandError {
    CommandError::new(
        ErrorCode::Io,
        format!("cannot change the start-at-login entry: {e}"),
        Some("Check that your config folder (~/.config/autostart on Linux) is writable, then try again."),
    )
}

fn unavailable() -> CommandError {
    CommandError::new(
        ErrorCode::Io,
        "this install cannot start at login".to_string(),
        Some("Add `hubkey-desktop --background` to your desktop's startup applications instead."),
    )
}

/// Whether Hubkey starts at login, and whether this install can.
#[tauri::command]
pub fn start_at_login(host: State<'_, Host>) -> CmdResult<StartAtLoginView> {
    autostart::view(host.autostart()).map_err(io_error)
}

/// Switches starting at login (in the tray only, `--background`) on or off; the tray's check mark follows.
#[tauri::command]
pub fn set_start_at_login<R: Runtime>(
    app: AppHandle<R>,
    host: State<'_, Host>,
    args: StartAtLoginArgs,
) -> CmdResult<StartAtLoginView> {
    let autostart = host.autostart().ok_or_else(unavailable)?;
    let enabled = autostart.switch(args.enabled).map_err(io_error)?;
    tracing::info!(on = enabled, "start at login switched from the window");
    tauri::async_runtime::spawn(async move { crate::tray::refresh(&app).await });
    Ok(StartAtLoginView {
        available: true,
        enabled,
    })
}
