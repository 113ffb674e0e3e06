//! The tray icon and its menu in the window's process (Tauri's tray). What the menu says, its icons and what
//! each item does come from hubkey-shell (`tray_menu`, `tray_actions`), shared with the tray-only process on
//! Linux (hubkey-tray): this file only builds Tauri's menu and says how this process opens its window, quits
//! and runs a task.
//!
//! The menu is rebuilt whenever connections change ([`refresh`], called by [`crate::background`]).

use std::sync::Arc;

use hubkey_shell::autostart;
use hubkey_shell::tray_actions::{react, Task, TrayAction, TrayHost, TrayServices};
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, IsMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};
use time::OffsetDateTime;

pub use hubkey_shell::tray_menu::*;

use crate::host::HostExt;
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
    let start_at_login = app.host().and_then(|h| autostart::state(h.autostart()));
    for item in items(
        connections,
        OffsetDateTime::now_utc(),
        localtime::offset(),
        start_at_login,
    ) {
        let entry: Box<dyn IsMenuItem<R>> = match item {
            Item::Separator => Box::new(PredefinedMenuItem::separator(app)?),
            Item::Action { id, label, enabled } => {
                Box::new(MenuItem::with_id(app, id, label, enabled, None::<&str>)?)
            }
            Item::Check { id, label, checked } => Box::new(CheckMenuItem::with_id(
                app,
                id,
                label,
                true,
                checked,
                None::<&str>,
            )?),
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

/// This process's side of [`TrayHost`].
struct WindowProcessTray<R: Runtime> {
    app: AppHandle<R>,
    services: TrayServices,
}

impl<R: Runtime> TrayHost for WindowProcessTray<R> {
    fn services(&self) -> &TrayServices {
        &self.services
    }
    fn open_window(&self) {
        crate::window::show_main_window(&self.app);
    }
    fn quit(&self) {
        self.app.exit(0);
    }
    fn spawn(&self, task: Task) {
        tauri::async_runtime::spawn(task);
    }
    fn menu_changed(self: &Arc<Self>) {
        let me = Arc::clone(self);
        tauri::async_runtime::spawn(async move { refresh(&me.app).await });
    }
}

fn on_menu_event<R: Runtime>(app: &AppHandle<R>, id: &str) {
    let (Some(action), Some(host)) = (TrayAction::from_id(id), app.host()) else {
        return;
    };
    let tray = Arc::new(WindowProcessTray {
        app: app.clone(),
        services: TrayServices {
            hubkey: host.hubkey().clone(),
            copier: Arc::clone(host.copier()),
            autostart: host.autostart().cloned(),
        },
    });
    react(&tray, action);
}

/// Rebuilds the menu and the icon from the stored connections. Quietly does nothing without a tray.
pub async fn refresh<R: Runtime>(app: &AppHandle<R>) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let Some(hubkey) = app.host().map(|h| h.hubkey().clone()) else {
        return;
    };
    let connections = match hubkey.connections().await {
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
