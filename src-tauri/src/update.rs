//! Signed auto-update (issue 16, point 2), through Tauri's official `tauri-plugin-updater`.
//!
//! The check runs in Rust, never in the webview: at start and then once a day [`start`] asks the release's
//! `latest.json` (tauri.conf.json `plugins.updater.endpoints`, or [`UPDATE_URL_ENV`]) whether a newer version
//! exists, downloads it and has the plugin verify its minisign signature against the public key compiled into
//! the app (`plugins.updater.pubkey`). Only a verified build is offered: it is kept in memory
//! ([`PendingUpdate`]), the window is told with the [`UPDATE_AVAILABLE_EVENT`] event, and nothing is installed
//! until the user asks ([`install`]). A build with a wrong signature is refused with a clear log line and never
//! offered. There is no JavaScript updater API in the webview: the plugin's own commands are not in any
//! capability.
//!
//! Overrides follow the other `HUBKEY_*` ones (docs/design.md §5): https anywhere, plain http only to a
//! loopback address (a test's local server). The plugin itself refuses http in release builds, so a release
//! build accepts only an https override.

use std::sync::Mutex;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_updater::{Update, UpdaterExt};
use url::Url;

/// Replaces the update endpoint (tests, a staging channel): `https://…`, or `http://` to a loopback address.
pub const UPDATE_URL_ENV: &str = "HUBKEY_UPDATE_URL";

/// Emitted to the window when a verified update is ready to install (payload: `UpdateView`).
/// The IPC table's `UPDATE_AVAILABLE` (src/ipc/mod.rs), spelled here so that this module does not depend on the
/// IPC layer that calls it; tests/it/bindings.rs holds the two equal.
pub const UPDATE_AVAILABLE_EVENT: &str = "update-available";

/// How often a running app checks again.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);

/// A newer, verified build (what the window shows; no URL, no signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Available {
    /// The newer version.
    pub version: String,
    /// The running version.
    pub current_version: String,
    /// The release notes of `latest.json`, if any.
    pub notes: Option<String>,
}

/// The verified build waiting for the user's "Install" (managed state).
#[derive(Default)]
pub struct PendingUpdate(Mutex<Option<Found>>);

/// What the window shows of the pending verified update.
pub fn pending<R: Runtime>(app: &AppHandle<R>) -> Option<hubkey_core::view::UpdateView> {
    let state = app.try_state::<PendingUpdate>()?;
    let slot = state.0.lock().ok()?;
    slot.as_ref().map(|(a, _, _)| view(a))
}

fn view(a: &Available) -> hubkey_core::view::UpdateView {
    hubkey_core::view::UpdateView {
        version: a.version.clone(),
        current_version: a.current_version.clone(),
        notes: a.notes.clone(),
    }
}

impl std::fmt::Debug for PendingUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingUpdate")
    }
}

/// The endpoint [`UPDATE_URL_ENV`] names, if set. Refuses anything but https and loopback http.
pub fn endpoint_override() -> Result<Option<Url>, String> {
    match std::env::var(UPDATE_URL_ENV) {
        Ok(raw) if !raw.trim().is_empty() => parse_endpoint(raw.trim()).map(Some),
        _ => Ok(None),
    }
}

/// `url` if it is https, or http to a loopback address.
pub fn parse_endpoint(url: &str) -> Result<Url, String> {
    let parsed = Url::parse(url).map_err(|e| format!("{UPDATE_URL_ENV} is not a URL ({e})"))?;
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if loopback => Ok(parsed),
        _ => Err(format!(
            "{UPDATE_URL_ENV} must be an https URL, or http to a loopback address (got {})",
            parsed.scheme()
        )),
    }
}

/// Where [`find`] looks and what it trusts. The default is the configured endpoint and release key, and the
/// running program as what an install replaces (on Linux: the AppImage, or the package a .deb or .rpm build
/// came from, which the plugin installs through `pkexec`).
#[derive(Debug, Clone, Default)]
pub struct UpdateSource {
    /// Another `latest.json` (None: the configured endpoint, or [`UPDATE_URL_ENV`] for [`check_now`]).
    pub endpoint: Option<Url>,
    /// Another public key (None: the one compiled in).
    pub pubkey: Option<String>,
    /// Another program to replace when installing (tests: a stand-in for the installed AppImage).
    pub installed_at: Option<std::path::PathBuf>,
}

/// A verified update: what the window is told, the plugin's handle, and the downloaded bytes.
pub type Found = (Available, Update, Vec<u8>);

/// Checks the source's endpoint, and when a newer version exists, downloads it and verifies its signature
/// against the source's key. `Ok(None)`: up to date. A build whose signature does not verify is an error that
/// says so; it is never returned.
pub async fn find<R: Runtime>(app: &AppHandle<R>, source: UpdateSource) -> Result<Option<Found>, String> {
    let mut builder = app.updater_builder();
    if let Some(url) = source.endpoint {
        builder = builder
            .endpoints(vec![url])
            .map_err(|e| format!("the update endpoint is refused: {e}"))?;
    }
    if let Some(key) = source.pubkey {
        builder = builder.pubkey(key);
    }
    if let Some(path) = source.installed_at {
        builder = builder.executable_path(path);
    }
    let updater = builder
        .build()
        .map_err(|e| format!("cannot check for updates: {e}"))?;
    let Some(update) = updater
        .check()
        .await
        .map_err(|e| format!("cannot check for updates: {e}"))?
    else {
        return Ok(None);
    };
    let bytes = update.download(|_, _| {}, || {}).await.map_err(|e| match e {
        tauri_plugin_updater::Error::Minisign(_) | tauri_plugin_updater::Error::Base64(_) | tauri_plugin_updater::Error::SignatureUtf8(_) => format!(
            "the update to {} was refused: it is not signed by Hubkey's release key ({e}); nothing was installed",
            update.version
        ),
        other => format!("the update to {} could not be downloaded ({other}); nothing was installed", update.version),
    })?;
    let available = Available {
        version: update.version.clone(),
        current_version: update.current_version.clone(),
        notes: update.body.clone(),
    };
    Ok(Some((available, update, bytes)))
}

/// One check: a verified update is kept for [`install`] and announced to the window.
pub async fn check_now<R: Runtime>(app: &AppHandle<R>) -> Result<Option<Available>, String> {
    let source = UpdateSource {
        endpoint: endpoint_override()?,
        ..UpdateSource::default()
    };
    let Some(found) = find(app, source).await? else {
        return Ok(None);
    };
    Ok(Some(offer(app, found)))
}

/// Keeps a verified update for [`install`] and tells the window; returns what it shows.
pub fn offer<R: Runtime>(app: &AppHandle<R>, (available, update, bytes): Found) -> Available {
    if let Some(pending) = app.try_state::<PendingUpdate>() {
        if let Ok(mut slot) = pending.0.lock() {
            *slot = Some((available.clone(), update, bytes));
        }
    }
    let _ = app.emit(UPDATE_AVAILABLE_EVENT, view(&available));
    available
}

/// Checks at start and then every [`CHECK_INTERVAL`]; failures are logged and retried at the next check.
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    app.manage(PendingUpdate::default());
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match check_now(&app).await {
                Ok(Some(a)) => tracing::info!(version = %a.version, "a verified update is available"),
                Ok(None) => tracing::info!("Hubkey is up to date"),
                Err(e) => tracing::warn!("{e}"),
            }
            tokio::time::sleep(CHECK_INTERVAL).await;
        }
    });
}

/// Installs the verified update the last check found (on the user's request). The app must be restarted
/// afterwards; on Windows the installer restarts it.
pub fn install<R: Runtime>(app: &AppHandle<R>) -> Result<(), String> {
    let pending = app
        .try_state::<PendingUpdate>()
        .ok_or_else(|| "no update has been checked yet".to_string())?;
    let taken = pending
        .0
        .lock()
        .map_err(|_| "the update state is unusable".to_string())?
        .take();
    let (_, update, bytes) = taken.ok_or_else(|| "no verified update is waiting".to_string())?;
    update
        .install(bytes)
        .map_err(|e| format!("the update to {} could not be installed: {e}", update.version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_update_url_overrides_then_only_https_and_loopback_http_are_accepted() {
        assert!(parse_endpoint("https://example.com/latest.json").is_ok());
        assert!(parse_endpoint("http://127.0.0.1:8080/latest.json").is_ok());
        assert!(parse_endpoint("http://[::1]:8080/latest.json").is_ok());
        assert!(parse_endpoint("http://localhost/latest.json").is_ok());
        let e = parse_endpoint("http://example.com/latest.json").unwrap_err();
        assert!(e.contains("https"), "{e}");
        assert!(parse_endpoint("file:///tmp/latest.json").is_err());
        assert!(parse_endpoint("not a url").is_err());
    }
}
