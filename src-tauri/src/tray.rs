//! The tray icon and its menu. Linux shows no tooltip, so the first (disabled) menu item is the status line.

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

use crate::MAIN_WINDOW;

pub const TRAY_ID: &str = "main";
pub const STATUS_ID: &str = "status";
pub const OPEN_ID: &str = "open";
pub const QUIT_ID: &str = "quit";
pub const NO_CONNECTIONS: &str = "Hubkey — no connections yet";

/// Orange glyph for Linux and Windows panels (readable on light and dark); macOS gets the black template
/// image, which the menu bar recolours itself.
#[cfg(not(target_os = "macos"))]
const TRAY_PNG: &[u8] = include_bytes!("../icons/tray.png");
#[cfg(target_os = "macos")]
const TRAY_PNG: &[u8] = include_bytes!("../icons/tray-template.png");

/// Holds the status item so later code can update its label (`set_text`) as connections change.
pub struct TrayStatus<R: Runtime>(pub MenuItem<R>);

impl<R: Runtime> std::fmt::Debug for TrayStatus<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TrayStatus").field(&self.0.id()).finish()
    }
}

pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let status = MenuItem::with_id(app, STATUS_ID, NO_CONNECTIONS, false, None::<&str>)?;
    let open = MenuItem::with_id(app, OPEN_ID, "Open Hubkey", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, QUIT_ID, "Quit", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&status, &separator, &open, &quit])?;

    TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::from_bytes(TRAY_PNG)?)
        .icon_as_template(cfg!(target_os = "macos"))
        // Shown on Windows and macOS; Linux has no tooltip, hence the status menu item.
        .tooltip(NO_CONNECTIONS)
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| match event.id().as_ref() {
            OPEN_ID => show_main_window(app),
            QUIT_ID => {
                tracing::info!("quit from the tray");
                app.exit(0);
            }
            _ => {}
        })
        .build(app)?;
    app.manage(TrayStatus(status));
    Ok(())
}

/// Shows, unminimizes and focuses the main window (tray "Open Hubkey", a second launch, a deep link).
pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window(MAIN_WINDOW) else {
        tracing::warn!("main window is gone; cannot show it");
        return;
    };
    for (what, result) in [
        ("show", window.show()),
        ("unminimize", window.unminimize()),
        ("focus", window.set_focus()),
    ] {
        if let Err(e) = result {
            tracing::warn!("cannot {what} the main window: {e}");
        }
    }
}
