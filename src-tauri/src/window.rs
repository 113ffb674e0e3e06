//! The main window: built hidden, shown when its page reports that it has rendered (`page_ready`).
//!
//! Why hidden first (docs/BENCHMARKS.md, finding 7): when GTK draws a WebKitGTK view that has no frame yet, the
//! UI process waits up to 500 ms for the web process's first frame. If the web process is at that moment
//! waiting on a synchronous message to the UI process (it is during its start-up, in about a third of the cold
//! starts measured here), both sit out the 500 ms. A hidden window is not drawn, so nothing waits; and the
//! window appears with its content instead of as an empty frame that fills in later. A page that never reports
//! (a broken build) does not leave the app invisible: the window is shown anyway after [`REVEAL_FALLBACK`].
//!
//! Closing the window destroys it (lib.rs), so every path that shows it (tray "Open Hubkey", a second launch, a
//! deep link, a finished sign-in) goes through [`show_main_window`], which builds it again when it is missing.
//!
//! Its size, position and maximized state are kept across close and reopen, and across restarts, by
//! `tauri-plugin-window-state` ([`KEPT_STATE`]); not its visibility, which stays this module's (hidden until
//! painted).

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tauri::{AppHandle, Manager, Runtime, WebviewWindow, WebviewWindowBuilder};

use crate::MAIN_WINDOW;
use hubkey_core::view::PageTimings;

/// When the latest main window was built (ms since the Unix epoch), for [`page_ready`]'s log line.
static BUILT_AT_MS: Mutex<Option<f64>> = Mutex::new(None);

/// What `tauri-plugin-window-state` keeps of the main window: never `VISIBLE` (a restored "visible" would show
/// the window before its page has painted, see the module docs).
pub const KEPT_STATE: tauri_plugin_window_state::StateFlags = tauri_plugin_window_state::StateFlags::SIZE
    .union(tauri_plugin_window_state::StateFlags::POSITION)
    .union(tauri_plugin_window_state::StateFlags::MAXIMIZED);

/// How long a new main window may stay hidden while its page has not reported.
pub const REVEAL_FALLBACK: Duration = Duration::from_secs(3);

/// Shows, unminimizes and focuses the main window; builds it (hidden, shown by its page) when it is missing.
///
/// Returns at once; the work runs on a thread of its own, whoever calls. Building blocks until the event loop
/// has created the window (Tauri hands the creation to the main thread itself, and runs it inline when called
/// there), and on Windows building from a handler on the main thread (the tray menu's) deadlocks (WebView2,
/// tauri-apps/wry#583). A failure is logged: there is nobody to tell.
pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name("show-main-window".into())
        .spawn(move || show_or_build_main_window(&app));
    if let Err(e) = spawned {
        tracing::error!("cannot start a thread to show the main window: {e}");
    }
}

/// Held while the main window is looked up and built, so two callers at once (a deep link and a tray click)
/// build it once; the second then finds it instead of failing on the taken label.
static OPENING: Mutex<()> = Mutex::new(());

fn show_or_build_main_window<R: Runtime>(app: &AppHandle<R>) {
    let _one_at_a_time = OPENING.lock().unwrap_or_else(PoisonError::into_inner);
    match app.get_webview_window(MAIN_WINDOW) {
        Some(window) => reveal(&window),
        None => {
            if let Err(e) = build_main_window(app) {
                tracing::error!("cannot build the main window: {e}");
            }
        }
    }
}

/// A new, hidden main window from its entry in tauri.conf.json; its page shows it ([`page_ready`]), or the
/// fallback does.
pub fn build_main_window<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<WebviewWindow<R>> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN_WINDOW)
        .ok_or(tauri::Error::WindowNotFound)?;
    let dev_url = app.config().build.dev_url.clone();
    let window = WebviewWindowBuilder::from_config(app, config)?
        .visible(false)
        .on_navigation(move |url| {
            let ours = is_app_url(url, dev_url.as_ref());
            if !ours {
                // Only the scheme: the URL may be the sender's text (docs/SECURITY.md, finding 2).
                tracing::warn!(
                    scheme = url.scheme(),
                    "refused to navigate the window away from Hubkey's page"
                );
            }
            ours
        })
        .build()?;
    *BUILT_AT_MS.lock().unwrap_or_else(PoisonError::into_inner) = Some(now_epoch_ms());
    tracing::debug!("main window built");
    arm_fallback(app);
    Ok(window)
}

/// Shows the main window after [`REVEAL_FALLBACK`] if its page has not done so by then.
fn arm_fallback<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name("reveal-fallback".into())
        .spawn(move || {
            std::thread::sleep(REVEAL_FALLBACK);
            if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
                if !window.is_visible().unwrap_or(true) {
                    tracing::warn!(
                        "the page did not report ready within {} s; showing the window anyway",
                        REVEAL_FALLBACK.as_secs()
                    );
                    reveal(&window);
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot start the window's fallback timer: {e}");
    }
}

/// Its page has rendered: show the window (once; later calls, after a reload, only log), and log how long the
/// page took.
pub fn page_ready<R: Runtime>(window: &WebviewWindow<R>, timings: &PageTimings) {
    let built = *BUILT_AT_MS.lock().unwrap_or_else(PoisonError::into_inner);
    let since = reference(crate::startup::launched_at_epoch_ms(), built);
    tracing::info!("{}", describe(timings, now_epoch_ms(), since));
    if !window.is_visible().unwrap_or(false) {
        reveal(window);
    }
}

fn reveal<R: Runtime>(window: &WebviewWindow<R>) {
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

fn now_epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// What the page's navigation start is measured from: the launch, for a window built during start-up (the cold
/// start); else the window's build (a window reopened from the tray).
pub fn reference(launched_ms: Option<f64>, built_ms: Option<f64>) -> Option<(&'static str, f64)> {
    match (launched_ms, built_ms) {
        (Some(launched), Some(built)) if built - launched < 10_000.0 => Some(("launch", launched)),
        (_, Some(built)) => Some(("the window was built", built)),
        (Some(launched), None) => Some(("launch", launched)),
        (None, None) => None,
    }
}

/// "page ready: navigation 372 ms after launch, DOM +18 ms, app mounted +35 ms, reported +41 ms". The page's
/// times are relative to its navigation start (`time_origin_ms`, epoch ms); `since` names what that start is
/// counted from, and when (epoch ms).
pub fn describe(t: &PageTimings, now_ms: f64, since: Option<(&str, f64)>) -> String {
    let mut line = String::from("page ready: navigation");
    if let Some((what, at)) = since {
        line.push_str(&format!(" {:.0} ms after {what},", t.time_origin_ms - at));
    } else {
        line.push(',');
    }
    line.push_str(&format!(
        " DOM +{:.0} ms, app mounted +{:.0} ms, reported +{:.0} ms",
        t.dom_interactive_ms,
        t.mounted_ms,
        now_ms - t.time_origin_ms
    ));
    line
}

/// Whether the main window may show `url`: only Hubkey's own page (`tauri://localhost` on Linux and macOS,
/// `http(s)://tauri.localhost` on Windows, the dev server in a dev build). Anything else, such as a page an
/// injected link or script would open, is refused (issue 18, point 8): the window never shows another site's
/// page as if it were Hubkey's, and such a page could not call commands anyway (capabilities are for the local
/// origin only).
pub fn is_app_url(url: &url::Url, dev_url: Option<&url::Url>) -> bool {
    let local = match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    };
    local || (cfg!(debug_assertions) && dev_url.is_some_and(|dev| dev.origin() == url.origin()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_navigations_then_only_hubkeys_own_page_is_allowed() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        let dev = u("http://127.0.0.1:5173");
        assert!(is_app_url(&u("tauri://localhost/index.html"), None));
        assert!(is_app_url(&u("http://tauri.localhost/"), None));
        assert!(is_app_url(&u("https://tauri.localhost/assets/x.js"), None));
        for other in [
            "http://127.0.0.1:43905/page",
            "https://evil.example/",
            "tauri://evil/",
            "http://tauri.localhost.evil.example/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "about:blank",
        ] {
            assert!(!is_app_url(&u(other), Some(&dev)), "{other}");
        }
        assert_eq!(
            is_app_url(&u("http://127.0.0.1:5173/"), Some(&dev)),
            cfg!(debug_assertions)
        );
    }

    fn timings() -> PageTimings {
        PageTimings {
            time_origin_ms: 1_000_372.0,
            dom_interactive_ms: 18.4,
            mounted_ms: 35.2,
        }
    }

    #[test]
    fn given_the_launch_time_when_the_page_reports_then_the_log_line_counts_from_the_launch() {
        let line = describe(&timings(), 1_000_413.0, Some(("launch", 1_000_000.0)));
        assert_eq!(
            line,
            "page ready: navigation 372 ms after launch, DOM +18 ms, app mounted +35 ms, reported +41 ms"
        );
    }

    #[test]
    fn given_no_launch_time_when_the_page_reports_then_only_the_page_times_are_logged() {
        let line = describe(&timings(), 1_000_413.0, None);
        assert_eq!(
            line,
            "page ready: navigation, DOM +18 ms, app mounted +35 ms, reported +41 ms"
        );
    }

    #[test]
    fn a_window_built_at_start_up_counts_from_the_launch_and_a_reopened_one_from_its_build() {
        assert_eq!(reference(Some(1_000.0), Some(1_120.0)), Some(("launch", 1_000.0)));
        assert_eq!(
            reference(Some(1_000.0), Some(3_600_000.0)),
            Some(("the window was built", 3_600_000.0))
        );
        assert_eq!(reference(None, Some(5.0)), Some(("the window was built", 5.0)));
        assert_eq!(reference(None, None), None);
    }
}
