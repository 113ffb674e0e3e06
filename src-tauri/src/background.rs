//! What runs without the window: the refresher's scheduler for all connections (also while the window is
//! hidden in the tray), and the forwarding of its [`ConnectionEvent`]s to the window (`connection-changed`),
//! the tray and the desktop notifications (one per needs-re-authorization incident).
//!
//! Each event costs one read of the index (no keychain call: the masked token comes from the index). The
//! tray menu is rebuilt from the whole index, so event-driven rebuilds are debounced ([`Debounce`]): a
//! burst of 200 refreshes (two events each) rebuilds it a handful of times instead of 400, and the last
//! rebuild always follows the last event.

use std::sync::Arc;

use hubkey_core::refresher::ConnectionEvent;
use hubkey_core::store::ConnectionState;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;

pub use hubkey_shell::debounce::{Debounce, TRAY_MAX_WAIT, TRAY_QUIET};
pub use hubkey_shell::notifications::{reauth_notice, Notified};

use crate::host::Host;
use crate::views::{CONNECTIONS_RELOAD, CONNECTION_CHANGED};
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

/// Starts the refresher's scheduler and the event forwarder on Tauri's runtime. Call once, from setup (the
/// IPC tests call it on the mock app).
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let Some(host) = app.try_state::<Host>() else {
        return;
    };
    app.manage(Notified::default());
    app.manage(TrayDebounce::default());
    let refresher = host.hubkey().refresher().clone();
    // Subscribe before the scheduler runs, so its first events are not missed.
    let mut events = refresher.subscribe();
    tauri::async_runtime::spawn(refresher.run(std::future::pending::<()>()));
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => on_event(&handle, event).await,
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "connection events lagged; reloading");
                    connections_changed(&handle).await;
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
    tracing::info!("background refresh started");
}

async fn on_event<R: Runtime>(app: &AppHandle<R>, event: ConnectionEvent) {
    let Some(host) = app.try_state::<Host>() else {
        return;
    };
    // One read of the index for the connection and its app; no keychain call.
    let index = host.hubkey().store().index().await.ok();
    let stored = index
        .as_ref()
        .and_then(|ix| ix.connection(&event.key.app, event.key.hub_id).cloned());
    if let Some(mut conn) = stored {
        // The event is newer than the index for transient states (`refreshing` is never stored).
        conn.state = event.state;
        conn.state_reason = event.state_reason.clone();
        conn.expires_at = event.expires_at;
        let apps = index.map(|ix| ix.apps).unwrap_or_default();
        let view = crate::commands::connection_view(&host, &conn, &apps);
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
pub fn reauthorized<R: Runtime>(app: &AppHandle<R>, app_name: &str, hub_id: u64) {
    if let Some(n) = app.try_state::<Notified>() {
        n.clear(app_name, hub_id);
    }
}

/// Apps or connections were added or removed: wake the scheduler, rebuild the tray, tell the window.
pub async fn connections_changed<R: Runtime>(app: &AppHandle<R>) {
    if let Some(host) = app.try_state::<Host>() {
        host.hubkey().refresher().nudge();
    }
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
