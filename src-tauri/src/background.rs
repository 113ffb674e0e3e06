//! The one place that fans changes out: what runs without the window (the refresher's scheduler for all
//! connections, also while the window is hidden in the tray), and every [`Change`] the core publishes
//! ([`hubkey_core::Hubkey::subscribe`]: an app registered or removed, a portal connected or signed out, a
//! connection's state) reaching the window (`connections-reload`, `connection-changed`), the tray and the desktop
//! notifications (one per needs-re-authorization incident). Commands never fan out themselves.
//!
//! Each connection event costs one read of the index (no keychain call: the masked token comes from the
//! index). The tray menu is rebuilt from the whole index, so event-driven rebuilds are debounced
//! ([`Debounce`]): a burst of 200 refreshes (two events each) rebuilds it a handful of times instead of 400, and
//! the last rebuild always follows the last event.

use std::sync::Arc;

use hubkey_core::hubkey::Change;
use hubkey_core::refresher::ConnectionEvent;
use hubkey_core::store::ConnectionState;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;

pub use hubkey_shell::debounce::{Debounce, TRAY_MAX_WAIT, TRAY_QUIET};
pub use hubkey_shell::notifications::{reauth_notice, Notified};

use crate::host::HostExt;
use crate::ipc::{CONNECTIONS_RELOAD, CONNECTION_CHANGED};
use crate::MAIN_WINDOW;

/// The tray's debounce, managed as state.
#[derive(Debug, Clone)]
pub struct TrayDebounce(pub Arc<Debounce>);

impl Default for TrayDebounce {
    fn default() -> Self {
        TrayDebounce(Arc::new(Debounce::new(TRAY_QUIET, TRAY_MAX_WAIT)))
    }
}

/// Rebuilds the tray soon (debounced); at once when no debounce is managed.
async fn refresh_tray_soon<R: Runtime>(app: &AppHandle<R>) {
    let Some(debounce) = app.try_state::<TrayDebounce>().map(|d| d.0.clone()) else {
        crate::tray::refresh(app).await;
        return;
    };
    let handle = app.clone();
    debounce.trigger(move || async move { crate::tray::refresh(&handle).await });
}

/// Starts the refresher's scheduler and the fan-out of changes on Tauri's runtime. Call once, from setup (the
/// IPC tests call it on the mock app).
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let Some(hubkey) = app.host().map(|h| h.hubkey().clone()) else {
        return;
    };
    app.manage(Notified::default());
    app.manage(TrayDebounce::default());
    // Subscribe before the scheduler runs, so its first events are not missed.
    let mut changes = hubkey.subscribe();
    tauri::async_runtime::spawn(hubkey.refresher().clone().run(std::future::pending::<()>()));
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(change) => on_change(&handle, change).await,
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "changes lagged; reloading");
                    lists_changed(&handle).await;
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
    tracing::info!("background refresh started");
}

async fn on_change<R: Runtime>(app: &AppHandle<R>, change: Change) {
    match change {
        Change::Connection(event) => on_connection_event(app, event).await,
        Change::Connected(key) => {
            reauthorized(app, &key.app, key.hub_id);
            lists_changed(app).await;
        }
        Change::AppsChanged | Change::SignedOut(_) => lists_changed(app).await,
    }
}

async fn on_connection_event<R: Runtime>(app: &AppHandle<R>, event: ConnectionEvent) {
    let Some(hubkey) = app.host().map(|h| h.hubkey().clone()) else {
        return;
    };
    // One read of the index for the connection and its app; no keychain call.
    let index = hubkey.store().index().await.ok();
    let stored = index
        .as_ref()
        .and_then(|ix| ix.connection(&event.key.app, event.key.hub_id).cloned());
    if let Some(mut conn) = stored {
        // The event is newer than the index for transient states (`refreshing` is never stored).
        conn.state = event.state;
        conn.state_reason = event.state_reason.clone();
        conn.expires_at = event.expires_at;
        let apps = index.map(|ix| ix.apps).unwrap_or_default();
        let view = hubkey.connection_view_in(&conn, &apps);
        if let Err(e) = app.emit_to(MAIN_WINDOW, CONNECTION_CHANGED, &view) {
            tracing::debug!("cannot send connection-changed: {e}");
        }
        match event.state {
            ConnectionState::NeedsReauth => {
                let first = app
                    .try_state::<Notified>()
                    .is_some_and(|n| n.first(&conn.app, conn.hub_id));
                if first {
                    let (title, body) = reauth_notice(&conn);
                    notify(app, &title, body);
                }
            }
            ConnectionState::Fresh => reauthorized(app, &conn.app, conn.hub_id),
            ConnectionState::Refreshing | ConnectionState::Retrying => {}
        }
    }
    refresh_tray_soon(app).await;
}

/// A connection is healthy again: a later incident notifies again.
fn reauthorized<R: Runtime>(app: &AppHandle<R>, app_name: &str, hub_id: u64) {
    if let Some(n) = app.try_state::<Notified>() {
        n.clear(app_name, hub_id);
    }
}

/// Apps or connections were added or removed: rebuild the tray, tell the window (the core woke the scheduler).
async fn lists_changed<R: Runtime>(app: &AppHandle<R>) {
    crate::tray::refresh(app).await;
    if let Err(e) = app.emit_to(MAIN_WINDOW, CONNECTIONS_RELOAD, ()) {
        tracing::debug!("cannot send connections-reload: {e}");
    }
}

/// A desktop notification, when the notification plugin is loaded (not in the IPC tests).
fn notify<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) {
    use tauri_plugin_notification::NotificationExt;
    if app
        .try_state::<tauri_plugin_notification::Notification<R>>()
        .is_none()
    {
        return;
    }
    match app.notification().builder().title(title).body(body).show() {
        Ok(()) => tracing::info!("notification shown: {title}"),
        Err(e) => tracing::warn!("cannot show a notification ({title}): {e}"),
    }
}
