//! What runs without the window: the refresher's scheduler for all connections (also while the window is
//! hidden in the tray), and the forwarding of its [`ConnectionEvent`]s to the window (`connection-changed`),
//! the tray and the desktop notifications (one per needs-re-authorization incident).
//!
//! Each event costs one read of the index (no keychain call: the masked token comes from the index). The
//! tray menu is rebuilt from the whole index, so event-driven rebuilds are debounced ([`Debounce`]): a
//! burst of 200 refreshes (two events each) rebuilds it a handful of times instead of 400, and the last
//! rebuild always follows the last event.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hubkey_core::refresher::ConnectionEvent;
use hubkey_core::store::ConnectionState;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;

use crate::host::Host;
use crate::views::{CONNECTIONS_RELOAD, CONNECTION_CHANGED};
use crate::MAIN_WINDOW;

/// Connections a re-authorization notification was shown for, until they are fresh again.
#[derive(Debug, Default)]
pub struct Notified(Mutex<HashSet<(String, u64)>>);

impl Notified {
    /// True the first time for an incident.
    pub fn first(&self, app: &str, hub_id: u64) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((app.to_string(), hub_id))
    }

    /// The incident is over (fresh again, re-authorized, signed out).
    pub fn clear(&self, app: &str, hub_id: u64) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(app.to_string(), hub_id));
    }
}

/// How long the tray waits for connection events to stop before it rebuilds its menu.
pub const TRAY_QUIET: Duration = Duration::from_millis(250);
/// The longest a pending tray rebuild is put off while events keep coming.
pub const TRAY_MAX_WAIT: Duration = Duration::from_secs(2);

/// Trailing-edge debounce: [`Debounce::trigger`] runs its action once changes have stopped for `quiet`
/// (or `max_wait` after the first change of a burst, so a long burst still shows progress). A trigger that
/// arrives while an action is waiting joins it; the window closes just before the action runs, so a change
/// made after the action started reading triggers another run: the final state always shows.
#[derive(Debug)]
pub struct Debounce {
    quiet: Duration,
    max_wait: Duration,
    /// (first, last) trigger of the pending window; `None` when nothing waits.
    window: Mutex<Option<(tokio::time::Instant, tokio::time::Instant)>>,
}

impl Debounce {
    pub fn new(quiet: Duration, max_wait: Duration) -> Self {
        Debounce {
            quiet,
            max_wait,
            window: Mutex::new(None),
        }
    }

    /// Records a change and returns at once; `action` runs later, on the current Tokio runtime (Tauri's
    /// outside one), unless an action already waits (then that one covers this change).
    pub fn trigger<F, Fut>(self: &Arc<Self>, action: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let now = tokio::time::Instant::now();
        {
            let mut window = self.lock();
            if let Some((_, last)) = window.as_mut() {
                *last = now;
                return;
            }
            *window = Some((now, now));
        }
        let me = Arc::clone(self);
        let task = async move {
            loop {
                let due = {
                    let mut window = me.lock();
                    let Some((first, last)) = *window else {
                        return;
                    };
                    let due = (last + me.quiet).min(first + me.max_wait);
                    if tokio::time::Instant::now() >= due {
                        *window = None;
                        None
                    } else {
                        Some(due)
                    }
                };
                match due {
                    Some(due) => tokio::time::sleep_until(due).await,
                    None => break,
                }
            }
            action().await;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn(task)),
            Err(_) => drop(tauri::async_runtime::spawn(task)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(tokio::time::Instant, tokio::time::Instant)>> {
        self.window.lock().unwrap_or_else(|e| e.into_inner())
    }
}

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
    let refresher = host.refresher.clone();
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
    let index = host.store().index().await.ok();
    let stored = index
        .as_ref()
        .and_then(|ix| ix.connection(&event.app, event.hub_id).cloned());
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
                    let place = conn
                        .hub_domain
                        .clone()
                        .unwrap_or_else(|| format!("portal {}", conn.hub_id));
                    notify(
                        app,
                        &format!("Re-authorize {} for {place}", conn.app),
                        "HubSpot no longer accepts this connection's refresh token. Open Hubkey and choose Re-authorize.",
                    );
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
        host.refresher.nudge();
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counter(d: &Arc<Debounce>, runs: &Arc<AtomicUsize>) {
        let runs = runs.clone();
        d.trigger(move || async move {
            runs.fetch_add(1, Ordering::SeqCst);
        });
    }

    #[tokio::test(start_paused = true)]
    async fn given_a_burst_of_events_when_debounced_then_one_rebuild_after_the_burst_ends() {
        let d = Arc::new(Debounce::new(TRAY_QUIET, TRAY_MAX_WAIT));
        let runs = Arc::new(AtomicUsize::new(0));
        // 400 events 1 ms apart, as 200 refreshes send (`refreshing`, then `fresh`): 400 ms, under the max wait.
        for _ in 0..400 {
            counter(&d, &runs);
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(
            runs.load(Ordering::SeqCst),
            0,
            "nothing runs while events keep coming"
        );
        tokio::time::sleep(TRAY_QUIET - Duration::from_millis(10)).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            0,
            "trailing edge: waits for a quiet spell"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        // A later change is shown too.
        counter(&d, &runs);
        tokio::time::sleep(TRAY_QUIET * 2).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn given_events_that_never_stop_when_debounced_then_a_rebuild_still_comes_every_max_wait() {
        let d = Arc::new(Debounce::new(TRAY_QUIET, TRAY_MAX_WAIT));
        let runs = Arc::new(AtomicUsize::new(0));
        // One event every 100 ms for 5 s: never quiet for 250 ms.
        for _ in 0..50 {
            counter(&d, &runs);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let during = runs.load(Ordering::SeqCst);
        assert!((2..=3).contains(&during), "{during} rebuilds in 5 s");
        tokio::time::sleep(TRAY_QUIET * 2).await;
        assert_eq!(runs.load(Ordering::SeqCst), during + 1, "the last event is shown");
    }
}
