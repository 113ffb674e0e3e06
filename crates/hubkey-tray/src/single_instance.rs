//! The single-instance D-Bus name, served the way tauri-plugin-single-instance serves it in hubkey-desktop: a
//! second launch (the app's icon, `hubkey-desktop --background` at login, a `hubkey://` link) calls
//! `ExecuteCallback(argv, cwd)` on it and exits. Here that call asks for the window, unless it came with
//! `--background`.

use std::sync::Arc;

use hubkey_shell::handoff::{SINGLE_INSTANCE_NAME, SINGLE_INSTANCE_PATH};

use crate::app::Tray;

struct SingleInstance {
    tray: Arc<Tray>,
}

#[zbus::interface(name = "org.SingleInstance.DBus")]
impl SingleInstance {
    fn execute_callback(&self, argv: Vec<String>, _cwd: String) {
        // argv may hold a hubkey:// URL with an authorization code: never log it.
        tracing::info!("second launch forwarded to the tray");
        let tray = Arc::clone(&self.tray);
        gtk::glib::MainContext::default().invoke(move || tray.second_launch(&argv));
    }
}

/// Owns the name, or `None` when another Hubkey already does.
pub fn own(tray: Arc<Tray>) -> Result<Option<zbus::blocking::Connection>, zbus::Error> {
    let built = zbus::blocking::connection::Builder::session()?
        .name(SINGLE_INSTANCE_NAME)?
        .replace_existing_names(false)
        .allow_name_replacements(false)
        .serve_at(SINGLE_INSTANCE_PATH, SingleInstance { tray })?
        .build();
    match built {
        Ok(connection) => Ok(Some(connection)),
        Err(zbus::Error::NameTaken) => Ok(None),
        Err(e) => Err(e),
    }
}
