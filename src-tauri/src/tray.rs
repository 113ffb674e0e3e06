//! The tray icon and its menu in the window's process (Tauri's tray). What the menu says, and its icons, come
//! from hubkey-shell's `tray_menu`, shared with the tray-only process on Linux (hubkey-tray).
//!
//! The menu is rebuilt whenever connections change ([`refresh`]).

use hubkey_core::ConnectionKey;
use tauri::image::Image;
use tauri::menu::{IsMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};
use time::OffsetDateTime;

pub use hubkey_shell::tray_menu::*;

use crate::host::Host;
use crate::localtime;

pub const TRAY_ID: &str = "main";

/// Marks that the tray exists: closing the window then leaves the app running ([`crate::stays_in_tray`]).
#[derive(Debug, Clone, Copy)]
pub struct TrayReady;

fn menu<R: Runtime>(
    app: &AppHandle<R>,
    connections: &[hubkey_core::store::Connection],
) -> tauri::Result<Menu<R>> {
    let menu = Menu::new(app)?;
    for item in items(connections, OffsetDateTime::now_utc(), localtime::offset()) {
        let entry: Box<dyn IsMenuItem<R>> = match item {
            Item::Separator => Box::new(PredefinedMenuItem::separator(app)?),
            Item::Action { id, label, enabled } => {
                Box::new(MenuItem::with_id(app, id, label, enabled, None::<&str>)?)
            }
        };
        menu.append(entry.as_ref())?;
    }
    Ok(menu)
}

pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::from_bytes(icon_png(Health::Fresh))?)
        .icon_as_template(ICON_IS_TEMPLATE)
        // Shown on Windows and macOS; Linux has no tooltip, hence the status menu item.
        .tooltip(NO_CONNECTIONS)
        .menu(&menu(app, &[])?)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| on_menu_event(app, event.id().as_ref()))
        .build(app)?;
    app.manage(TrayReady);
    let handle = app.clone();
    tauri::async_runtime::spawn(async move { refresh(&handle).await });
    Ok(())
}

fn on_menu_event<R: Runtime>(app: &AppHandle<R>, id: &str) {
    match id {
        OPEN_ID | MORE_ID => crate::window::show_main_window(app),
        QUIT_ID => {
            tracing::info!("quit from the tray");
            app.exit(0);
        }
        REFRESH_ALL_ID => {
            let handle = app.clone();
            tauri::async_runtime::spawn(async move {
                let host = handle.state::<Host>();
                host.hubkey().refresh_all().await;
                refresh(&handle).await;
            });
        }
        other => {
            if let Some((app_name, hub_id)) = parse_copy_id(other) {
                let handle = app.clone();
                tauri::async_runtime::spawn(async move {
                    let host = handle.state::<Host>();
                    let key = ConnectionKey::new(&app_name, hub_id);
                    if let Err(e) = crate::commands::copy_token_to_clipboard(&host, &key, false).await {
                        tracing::warn!(app = %app_name, hub_id, code = %e.code, "copy from the tray failed: {}", e.message);
                    }
                });
            }
        }
    }
}

/// Rebuilds the menu and the icon from the stored connections. Quietly does nothing without a tray.
pub async fn refresh<R: Runtime>(app: &AppHandle<R>) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let Some(host) = app.try_state::<Host>() else {
        return;
    };
    let connections = match host.hubkey().connections().await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(code = e.code().as_str(), "tray: cannot read the connections: {e}");
            return;
        }
    };
    let status = status_line(&connections, localtime::offset());
    let result = menu(app, &connections)
        .and_then(|m| tray.set_menu(Some(m)))
        .and_then(|()| tray.set_tooltip(Some(&status)))
        .and_then(|()| Image::from_bytes(icon_png(health(&connections))))
        .and_then(|icon| tray.set_icon(Some(icon)))
        .and_then(|()| tray.set_icon_as_template(ICON_IS_TEMPLATE));
    if let Err(e) = result {
        tracing::warn!("cannot update the tray: {e}");
    }
}
