//! Closing the main window frees its webview; the app stays in the tray and builds the window again on
//! "Open Hubkey" (BENCHMARKS.md finding 3). On the mock runtime with the real tauri.conf.json: the policy that
//! keeps the app alive when its last window is gone, and the rebuild. That a real close destroys the webview and
//! its WebKitWebProcess, and that the rebuilt window paints, is checked under Xvfb by scripts/screenshots.sh.

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use hubkey_desktop_lib::{stays_in_tray, tray, wants_background, window, MAIN_WINDOW};
use tauri::test::{mock_builder, MockRuntime};
use tauri::{App, Manager};

/// The app as configured, before setup builds the main window: the same state as after the user closed it.
fn app_whose_main_window_was_closed() -> App<MockRuntime> {
    let context = hubkey_desktop_lib::context::<MockRuntime>();
    let app = mock_builder().build(context).unwrap();
    assert!(app.get_webview_window(MAIN_WINDOW).is_none());
    app
}

fn wait_for_main_window(app: &App<MockRuntime>) -> tauri::WebviewWindow<MockRuntime> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
            return window;
        }
        assert!(
            Instant::now() < deadline,
            "show_main_window did not build the main window within 10 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn given_the_main_window_was_closed_when_open_hubkey_is_chosen_then_it_is_built_again_from_tauri_conf() {
    let app = app_whose_main_window_was_closed();

    // A tray click and a deep link arriving together.
    window::show_main_window(app.handle());
    window::show_main_window(app.handle());
    let window = wait_for_main_window(&app);

    assert_eq!(window.label(), MAIN_WINDOW);
    // Let the second call finish: it finds the first one's window instead of building another.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        app.webview_windows().keys().collect::<Vec<_>>(),
        vec![MAIN_WINDOW]
    );
}

#[test]
fn given_a_tray_when_the_last_window_is_gone_then_the_app_keeps_running_until_quit() {
    let app = app_whose_main_window_was_closed();
    app.manage(tray::TrayReady);

    // The runtime asks with no exit code when the last window has been destroyed.
    assert!(stays_in_tray(app.handle(), None));
    // Quit from the tray calls exit(0).
    assert!(!stays_in_tray(app.handle(), Some(0)));
}

#[test]
fn given_no_tray_when_the_last_window_is_gone_then_the_app_exits() {
    let app = app_whose_main_window_was_closed();

    assert!(!stays_in_tray(app.handle(), None));
}

#[test]
fn given_tauri_conf_then_the_main_window_is_built_by_setup_hidden_not_by_tauri_at_start() {
    // setup() builds it (unless --background), hidden; its page shows it (window.rs).
    let context = hubkey_desktop_lib::context::<MockRuntime>();
    let main = context
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN_WINDOW)
        .unwrap();
    assert!(!main.create, "Tauri must not build it before setup decides");
    assert!(!main.visible, "its page shows it once it has rendered");
}

#[test]
fn given_the_background_flag_then_hubkey_starts_in_the_tray_only() {
    let argv = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(wants_background(&argv(&[
        "/usr/bin/hubkey-desktop",
        "--background"
    ])));
    assert!(!wants_background(&argv(&["/usr/bin/hubkey-desktop"])));
    // The program name is not an argument, and a deep link is not the flag.
    assert!(!wants_background(&argv(&["--background"])));
    assert!(!wants_background(&argv(&[
        "hubkey-desktop",
        "hubkey://oauth/callback?x=--background"
    ])));
}
