//! What a click in the tray menu does, for both tray implementations (Tauri's in the window's process,
//! hubkey-tray's without WebKit): the menu's ids parse to one [`TrayAction`], and [`react`] is the one
//! reaction. Each implementation says only how it opens the window, quits, runs a task and rebuilds its
//! menu ([`TrayHost`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use hubkey_core::{ConnectionKey, CopyAs, Hubkey};

use crate::autostart::Autostart;
use crate::copy::TokenCopier;
use crate::tray_menu::{COPY_PREFIX, MORE_ID, OPEN_ID, QUIT_ID, REFRESH_ALL_ID, START_AT_LOGIN_ID};

/// One thing the tray menu can ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrayAction {
    /// "Open Hubkey", or "N more connections — open Hubkey".
    OpenWindow,
    /// "Quit".
    Quit,
    /// "Refresh all".
    RefreshAll,
    /// "Copy token — app · portal".
    Copy(ConnectionKey),
    /// "Start at login": switch it to the other state.
    ToggleStartAtLogin,
}

impl TrayAction {
    /// The action of a menu item's id (`None` for the disabled status line and unknown ids).
    pub fn from_id(id: &str) -> Option<TrayAction> {
        match id {
            OPEN_ID | MORE_ID => Some(TrayAction::OpenWindow),
            QUIT_ID => Some(TrayAction::Quit),
            REFRESH_ALL_ID => Some(TrayAction::RefreshAll),
            START_AT_LOGIN_ID => Some(TrayAction::ToggleStartAtLogin),
            other => {
                let rest = other.strip_prefix(COPY_PREFIX)?;
                let (hub, app) = rest.split_once(':')?;
                Some(TrayAction::Copy(ConnectionKey::new(app, hub.parse().ok()?)))
            }
        }
    }
}

/// What the reactions use of a tray's process: its one [`Hubkey`], its one token copier and its start-at-login
/// entry. Each tray implementation holds one and hands it out through [`TrayHost::services`].
#[derive(Debug, Clone)]
pub struct TrayServices {
    /// The process's one [`Hubkey`].
    pub hubkey: Hubkey,
    /// The process's one token copier.
    pub copier: Arc<TokenCopier>,
    /// The start-at-login entry, when this install has one.
    pub autostart: Option<Autostart>,
}

/// A task to run on the implementation's async runtime.
pub type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What a tray implementation provides to [`react`].
pub trait TrayHost: Send + Sync + 'static {
    /// The process's Hubkey, token copier and start-at-login entry.
    fn services(&self) -> &TrayServices;
    /// Shows the window (building it, or handing over to the process that has one).
    fn open_window(&self);
    /// Ends the process.
    fn quit(&self);
    /// Runs `task` on the implementation's runtime.
    fn spawn(&self, task: Task);
    /// The connections changed: rebuild the menu (soon).
    fn menu_changed(self: &Arc<Self>);
}

/// The one reaction to a tray action.
pub fn react<H: TrayHost>(host: &Arc<H>, action: TrayAction) {
    match action {
        TrayAction::OpenWindow => host.open_window(),
        TrayAction::Quit => {
            tracing::info!("quit from the tray");
            host.quit();
        }
        TrayAction::RefreshAll => {
            let me = Arc::clone(host);
            host.spawn(Box::pin(async move {
                me.services().hubkey.refresh_all().await;
                me.menu_changed();
            }));
        }
        TrayAction::ToggleStartAtLogin => {
            if let Some(autostart) = &host.services().autostart {
                let result = autostart.is_enabled().and_then(|on| autostart.switch(!on));
                match result {
                    Ok(on) => tracing::info!(on, "start at login switched from the tray"),
                    Err(e) => tracing::warn!("cannot switch start at login: {e}"),
                }
            }
            // The check mark shows what is on disk, whatever happened.
            host.menu_changed();
        }
        TrayAction::Copy(key) => {
            let me = Arc::clone(host);
            host.spawn(Box::pin(async move {
                let services = me.services();
                if let Err(e) = services.copier.copy(&services.hubkey, &key, CopyAs::Token).await {
                    tracing::warn!(app = %key.app, hub_id = key.hub_id, code = e.code().as_str(), "copy from the tray failed: {e}");
                }
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tray_menu::STATUS_ID;

    #[test]
    fn given_the_menu_ids_when_parsed_then_each_is_its_action_and_a_copy_round_trips_its_connection() {
        assert_eq!(
            TrayAction::from_id("copy:42:my:app"),
            Some(TrayAction::Copy(ConnectionKey::new("my:app", 42)))
        );
        assert_eq!(TrayAction::from_id("open"), Some(TrayAction::OpenWindow));
        assert_eq!(TrayAction::from_id("copy:x:demo"), None);
        assert_eq!(TrayAction::from_id(STATUS_ID), None);
        assert_eq!(TrayAction::from_id(MORE_ID), Some(TrayAction::OpenWindow));
        assert_eq!(TrayAction::from_id(QUIT_ID), Some(TrayAction::Quit));
        assert_eq!(TrayAction::from_id(REFRESH_ALL_ID), Some(TrayAction::RefreshAll));
        assert_eq!(
            TrayAction::from_id(START_AT_LOGIN_ID),
            Some(TrayAction::ToggleStartAtLogin)
        );
    }
}
