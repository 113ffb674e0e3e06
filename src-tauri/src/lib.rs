//! Hubkey desktop: the thin Tauri v2 host. It wires plugins, the tray, the window and the commands together;
//! HubSpot, token and keychain logic live in `hubkey-core` and `hubkey-keychain`.

use tauri::{AppHandle, Builder, Manager, RunEvent, Runtime, WindowEvent};
use tauri_plugin_deep_link::DeepLinkExt;
use url::Url;

pub mod background;
pub mod clipboard;
pub mod error;
pub mod host;
pub mod ipc;
pub use hubkey_shell::localtime;
pub mod logging;
pub mod login_book;
pub mod relaunch;
pub mod startup;
pub mod tray;
pub mod update;
pub mod window;

pub use error::Error;
pub use host::{Browser, Host, HostExt};
pub use hubkey_core::view::CommandError;

/// Label of the one window; capabilities/default.json grants permissions to this label only.
pub const MAIN_WINDOW: &str = "main";

/// Adds the state (built from the environment) and the commands. Shared by [`run`] and the IPC tests.
pub fn configure<R: Runtime>(builder: Builder<R>) -> Result<Builder<R>, Error> {
    Ok(configure_with(builder, Host::from_env()?))
}

/// Adds the given state and the commands (the IPC tests pass a sandbox-backed [`Host`]).
pub fn configure_with<R: Runtime>(builder: Builder<R>, host: Host) -> Builder<R> {
    builder
        .manage(host)
        .on_window_event(|window, event| {
            // Until the next main window's page asks `login_state`, login results are also kept for it.
            if window.label() == MAIN_WINDOW && matches!(event, WindowEvent::Destroyed) {
                if let Some(host) = window.app_handle().host() {
                    host.logins().window_closed();
                }
            }
        })
        .invoke_handler(ipc::handler())
}

/// The context generated from tauri.conf.json, capabilities/ and (in release) the embedded ui/dist.
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}

/// Starts the app and blocks until it exits.
pub fn run() -> Result<(), Error> {
    startup::init();
    // Before any thread exists (see localtime).
    localtime::init();
    let home = hubkey_core::config::home_dir()?;
    let log_path = logging::init(&home)?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), log = %log_path.display(), "Hubkey desktop starting");
    let argv: Vec<String> = std::env::args().collect();
    relaunch::reap_inherited(&argv);
    if wants_background(&argv) {
        // Linux: the tray-only program, when installed, needs no WebKit (relaunch.rs).
        relaunch::background_to_tray(&argv);
    }

    let builder = Builder::default();
    // Single-instance must be the first plugin, so a second launch (or a deep link on Linux/Windows, which
    // starts a new process) is forwarded to the running instance before anything else initialises.
    #[cfg(any(target_os = "macos", windows, target_os = "linux"))]
    let builder = builder.plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
        // argv may hold a hubkey:// URL with an authorization code: never log it.
        tracing::info!("second launch forwarded to the running instance");
        if let Some(url) = first_deep_link_arg(&argv) {
            deliver_deep_link(app, url);
        }
        if !wants_background(&argv) {
            window::show_main_window(app);
        }
    }));
    let builder = builder
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        // Signed auto-update (update.rs): checked from Rust; none of its commands is in a capability.
        .plugin(tauri_plugin_updater::Builder::new().build())
        // The window's size and position across close, reopen and restart (window.rs, KEPT_STATE).
        .plugin(
            tauri_plugin_window_state::Builder::new()
                .with_state_flags(window::KEPT_STATE)
                .build(),
        );

    let app = configure(builder)
        .inspect_err(|e| tracing::error!("{e}"))?
        .setup(|app| {
            setup(app.handle());
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window really closes it: its webview and WebKitWebProcess (two thirds of the
            // memory, BENCHMARKS.md finding 3) go away, and window::show_main_window builds a new one from
            // tauri.conf.json. The app keeps running as long as the tray does ([`stays_in_tray`]).
            if window.label() == MAIN_WINDOW && matches!(event, WindowEvent::Destroyed) {
                // On disk now: the process may be replaced by the tray process (relaunch.rs) before it exits.
                use tauri_plugin_window_state::AppHandleExt;
                if let Err(e) = window.app_handle().save_window_state(window::KEPT_STATE) {
                    tracing::warn!("cannot save the window's size and position: {e}");
                }
                if window.app_handle().try_state::<tray::TrayReady>().is_some() {
                    tracing::info!("main window closed; its webview is freed, Hubkey stays in the tray");
                    relaunch::schedule(window.app_handle());
                } else {
                    tracing::info!("main window closed and there is no tray; Hubkey exits");
                }
            }
        })
        .build(context())
        .inspect_err(|e| tracing::error!("cannot start the desktop shell: {e}"))?;

    app.run(|app, event| {
        if let RunEvent::ExitRequested { code, api, .. } = &event {
            if stays_in_tray(app, *code) {
                api.prevent_exit();
            }
        }
        // macOS: a click on the Dock icon while no window is open.
        #[cfg(target_os = "macos")]
        if let RunEvent::Reopen {
            has_visible_windows: false,
            ..
        } = event
        {
            window::show_main_window(app);
        }
        if let RunEvent::Exit = event {
            tracing::info!("Hubkey desktop exiting");
        }
    });
    Ok(())
}

/// Whether the app refuses an exit request and keeps running in the tray. The runtime asks with no `exit_code`
/// when the last window has been destroyed (the user closed the main window); that exit is refused while a tray
/// exists, since the tray is the way back. Quit from the tray calls `exit(0)`, which has a code and goes
/// through. Without a tray, closing the window quits.
pub fn stays_in_tray<R: Runtime>(app: &AppHandle<R>, exit_code: Option<i32>) -> bool {
    exit_code.is_none() && app.try_state::<tray::TrayReady>().is_some()
}

/// `--background` starts Hubkey in the tray, without its window (for starting at login).
pub use hubkey_shell::handoff::{wants_background, BACKGROUND_FLAG};

/// Runs once the event loop exists. Failures here are logged, not fatal: the window is still useful.
fn setup<R: Runtime>(app: &AppHandle<R>) {
    // The window first: its web process then starts while the rest is set up. Built hidden; its page shows it.
    let argv: Vec<String> = std::env::args().collect();
    if wants_background(&argv) {
        tracing::info!("started in the background: the tray only, no window");
    } else if let Err(e) = window::build_main_window(app) {
        tracing::error!("cannot build the main window: {e}");
    }
    if let Some(recopy) = hubkey_shell::handoff::Recopy::from_argv(&argv) {
        if let Some(host) = app.host() {
            let (hubkey, copier) = (host.hubkey().clone(), std::sync::Arc::clone(host.copier()));
            tauri::async_runtime::spawn(async move { copier.copy_again(&hubkey, recopy).await });
        }
    }
    if let Err(e) = tray::build(app) {
        tracing::warn!("no tray icon ({e}); closing the window will quit");
    }
    background::start(app);
    update::start(app);

    let deep_link = app.deep_link();
    // The .deb, .rpm, .msi and NSIS installers register `hubkey://` at install time. An AppImage is never
    // installed, and dev builds are not either: they register themselves (a .desktop file in the user's data
    // dir pointing at the AppImage's path, and `xdg-mime default`), as Tauri's deep-link guide advises.
    #[cfg(any(target_os = "linux", windows))]
    if registers_scheme_at_runtime(cfg!(debug_assertions), appimage(app)) {
        if let Err(e) = deep_link.register_all() {
            tracing::warn!("cannot register the hubkey:// scheme for this build: {e}");
        }
    }
    // Cold start: a fresh process has no pending login, so a launch URL can only be stale or forged. It is
    // still handed over (and refused as `no_pending_login`, logged without its query by hubkey-core), so that
    // every hubkey:// URL takes the one path through LoginFlow::deliver.
    match deep_link.get_current() {
        Ok(Some(urls)) => urls.iter().for_each(|url| {
            deliver_deep_link(app, url.as_str());
        }),
        Ok(None) => {}
        Err(e) => tracing::warn!("cannot read the launch URL: {e}"),
    }
    // Warm start (macOS open-URL events; on Linux/Windows the single-instance callback above).
    let handle = app.clone();
    deep_link.on_open_url(move |event| {
        if let Some(url) = event.urls().first() {
            deliver_deep_link(&handle, url.as_str());
        }
    });
}

/// Whether this build must register `hubkey://` itself when it starts: a dev build, or an AppImage (nothing
/// installs it, so nothing else tells the desktop which program opens the scheme). Installed bundles do not:
/// their installer registered the scheme, and re-registering would point it at whatever binary ran last.
pub fn registers_scheme_at_runtime(debug_build: bool, appimage: bool) -> bool {
    debug_build || appimage
}

/// Whether this process runs from an AppImage (its runtime sets `APPIMAGE` to the image's path).
#[cfg(any(target_os = "linux", windows))]
fn appimage<R: Runtime>(app: &AppHandle<R>) -> bool {
    #[cfg(target_os = "linux")]
    return app.env().appimage.is_some();
    #[cfg(not(target_os = "linux"))]
    {
        let _ = app;
        false
    }
}

/// The first argument of a second launch that is a `hubkey:` URL (the program name is skipped). Only the first
/// one counts; more are ignored.
pub fn first_deep_link_arg(argv: &[String]) -> Option<&str> {
    argv.iter()
        .skip(1)
        .map(String::as_str)
        .find(|a| a.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("hubkey:")))
}

/// Hands a `hubkey://` URL to the pending login. Every URL is untrusted (threat-model.md §4.1): hubkey-core checks
/// scheme, host, path and `state`, accepts a callback once, and logs refusals without the query; this function
/// logs nothing itself. Returns whether a login accepted it (then the window comes to the front).
pub fn deliver_deep_link<R: Runtime>(app: &AppHandle<R>, url: &str) -> bool {
    let Some(host) = app.host() else {
        return false;
    };
    match host.hubkey().deliver(url) {
        Ok(_) => {
            window::show_main_window(app);
            true
        }
        Err(_) => false,
    }
}

/// What may be logged of a `hubkey:` URL: its scheme and length only (hubkey-core's `redact_url`; a path is the
/// sender's text as much as the query, docs/SECURITY.md finding 2).
pub fn redact(url: &Url) -> String {
    hubkey_core::callback::redact_url(url.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_keeps_only_scheme_and_length() {
        let url = Url::parse("hubkey://oauth/callback?code=SECRETCODE&state=abc123").unwrap();
        let shown = redact(&url);
        assert_eq!(shown, format!("hubkey: URL, {} bytes", url.as_str().len()));
        assert!(!shown.contains("SECRETCODE") && !shown.contains("callback"));
    }

    #[test]
    fn given_an_appimage_or_a_dev_build_then_hubkey_registers_its_scheme_itself_and_installed_bundles_do_not()
    {
        assert!(registers_scheme_at_runtime(false, true), "AppImage");
        assert!(registers_scheme_at_runtime(true, false), "dev build");
        assert!(
            !registers_scheme_at_runtime(false, false),
            "installed .deb/.rpm/.msi"
        );
    }

    #[test]
    fn c5_only_the_first_hubkey_argument_of_a_second_launch_counts() {
        let argv = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(first_deep_link_arg(&argv(&["/usr/bin/hubkey-desktop"])), None);
        assert_eq!(
            first_deep_link_arg(&argv(&[
                "hubkey://x",
                "--flag",
                "HUBKEY://oauth/callback?a=1",
                "hubkey://second"
            ])),
            Some("HUBKEY://oauth/callback?a=1")
        );
        assert_eq!(
            first_deep_link_arg(&argv(&["bin", "https://hubkey.example", "hubkeyx:"])),
            None
        );
    }
}
