//! Hubkey desktop: the thin Tauri v2 host. It wires plugins, the tray, the window and the commands together;
//! HubSpot, token and keychain logic live in `hubkey-core` and `hubkey-keychain`.

use std::sync::Mutex;

use tauri::{AppHandle, Builder, Manager, RunEvent, Runtime, WindowEvent};
use tauri_plugin_deep_link::DeepLinkExt;
use url::Url;

pub mod commands;
pub mod error;
pub mod logging;
pub mod tray;

pub use error::{CommandError, Error};

/// Label of the one window; capabilities/default.json grants permissions to this label only.
pub const MAIN_WINDOW: &str = "main";

/// State shared by the commands.
#[derive(Debug)]
pub struct DesktopState {
    pub(crate) endpoints: hubkey_core::config::Endpoints,
}

/// `hubkey://` URLs that arrived before anything could consume them (a cold start, or no login in progress).
/// TODO(login-flow): hand them to hubkey-core's callback parser and the pending LoginFlow (design.md §2.1).
#[derive(Debug, Default)]
pub struct PendingDeepLinks(pub Mutex<Vec<Url>>);

/// Adds the state and the commands. Shared by [`run`] and the IPC tests (which use the mock runtime).
pub fn configure<R: Runtime>(builder: Builder<R>) -> Result<Builder<R>, Error> {
    let endpoints = hubkey_core::config::Endpoints::from_env()?;
    Ok(builder
        .manage(DesktopState { endpoints })
        .manage(PendingDeepLinks::default())
        .invoke_handler(tauri::generate_handler![commands::app_info]))
}

/// The context generated from tauri.conf.json, capabilities/ and (in release) the embedded ui/dist.
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}

/// Starts the app and blocks until it exits.
pub fn run() -> Result<(), Error> {
    let home = hubkey_core::config::home_dir()?;
    let log_path = logging::init(&home)?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), log = %log_path.display(), "Hubkey desktop starting");

    let builder = Builder::default();
    // Single-instance must be the first plugin, so a second launch (or a deep link on Linux/Windows, which
    // starts a new process) is forwarded to the running instance before anything else initialises.
    #[cfg(any(target_os = "macos", windows, target_os = "linux"))]
    let builder = builder.plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
        // argv may hold a hubkey:// URL with an authorization code: never log it.
        tracing::info!("second launch forwarded to the running instance");
        tray::show_main_window(app);
    }));
    let builder = builder
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_notification::init());

    let app = configure(builder)
        .inspect_err(|e| tracing::error!("{e}"))?
        .setup(|app| {
            setup(app.handle());
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window hides it to the tray; the app (and token refresh) keeps running. Without a
            // tray there would be no way back, so then the close goes through and the app exits.
            if let WindowEvent::CloseRequested { api, .. } = event {
                let has_tray = window
                    .app_handle()
                    .try_state::<tray::TrayStatus<tauri::Wry>>()
                    .is_some();
                if window.label() == MAIN_WINDOW && has_tray {
                    api.prevent_close();
                    if let Err(e) = window.hide() {
                        tracing::warn!("cannot hide the main window: {e}");
                    }
                }
            }
        })
        .build(context())
        .inspect_err(|e| tracing::error!("cannot start the desktop shell: {e}"))?;

    app.run(|app, event| {
        if let RunEvent::ExitRequested { code, api, .. } = &event {
            // `code` is None when the last window went away; keep running in the tray then.
            // Quit from the tray calls `exit(0)`, which has a code and goes through.
            if code.is_none() && app.try_state::<tray::TrayStatus<tauri::Wry>>().is_some() {
                api.prevent_exit();
            }
        }
        if let RunEvent::Exit = event {
            tracing::info!("Hubkey desktop exiting");
        }
    });
    Ok(())
}

/// Runs once the event loop exists. Failures here are logged, not fatal: the window is still useful.
fn setup<R: Runtime>(app: &AppHandle<R>) {
    if let Err(e) = tray::build(app) {
        tracing::warn!("no tray icon ({e}); closing the window will quit");
    }

    let deep_link = app.deep_link();
    // Installed bundles register `hubkey://` at install time; dev builds register themselves.
    #[cfg(all(debug_assertions, any(target_os = "linux", windows)))]
    if let Err(e) = deep_link.register_all() {
        tracing::warn!("cannot register the hubkey:// scheme for this dev build: {e}");
    }
    match deep_link.get_current() {
        Ok(Some(urls)) => urls.into_iter().for_each(|url| receive_deep_link(app, url)),
        Ok(None) => {}
        Err(e) => tracing::warn!("cannot read the launch URL: {e}"),
    }
    let handle = app.clone();
    deep_link.on_open_url(move |event| {
        for url in event.urls() {
            receive_deep_link(&handle, url);
        }
        tray::show_main_window(&handle);
    });
}

fn receive_deep_link<R: Runtime>(app: &AppHandle<R>, url: Url) {
    tracing::info!(url = %redact(&url), "deep link received");
    if let Some(pending) = app.try_state::<PendingDeepLinks>() {
        match pending.0.lock() {
            Ok(mut urls) => urls.push(url),
            Err(e) => tracing::warn!("deep link dropped: {e}"),
        }
    }
}

/// The URL without query values (they carry `code` and `state`): `hubkey://oauth/callback?code=…&state=…`.
pub fn redact(url: &Url) -> String {
    let mut shown = format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.path()
    );
    let names: Vec<String> = url.query_pairs().map(|(k, _)| format!("{k}=…")).collect();
    if !names.is_empty() {
        shown.push('?');
        shown.push_str(&names.join("&"));
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_keeps_names_drops_values() {
        let url = Url::parse("hubkey://oauth/callback?code=SECRETCODE&state=abc123").unwrap();
        let shown = redact(&url);
        assert_eq!(shown, "hubkey://oauth/callback?code=…&state=…");
        assert!(!shown.contains("SECRETCODE"));
        assert_eq!(redact(&Url::parse("hubkey://open").unwrap()), "hubkey://open");
    }
}
