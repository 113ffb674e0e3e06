//! The single-instance D-Bus name, served the way tauri-plugin-single-instance serves it in hubkey-desktop: a
//! second launch (the app's icon, `hubkey-desktop --background` at login, a `hubkey://` link) calls
//! `ExecuteCallback(argv, cwd)` on it and exits. Here that call asks for the window, unless it came with
//! `--background`.

use std::sync::Arc;

use hubkey_shell::handoff::{SINGLE_INSTANCE_NAME, SINGLE_INSTANCE_PATH};

/// What a second launch's argv is handed to, on the GTK thread.
pub type OnSecondLaunch = Arc<dyn Fn(&[String]) + Send + Sync>;

struct SingleInstance {
    on_second_launch: OnSecondLaunch,
}

#[zbus::interface(name = "org.SingleInstance.DBus")]
impl SingleInstance {
    fn execute_callback(&self, argv: Vec<String>, _cwd: String) {
        // argv may hold a hubkey:// URL with an authorization code: never log it.
        tracing::info!("second launch forwarded to the tray");
        let on_second_launch = Arc::clone(&self.on_second_launch);
        gtk::glib::MainContext::default().invoke(move || on_second_launch(&argv));
    }
}

/// Owns the name, or `None` when another Hubkey already does. A second launch calls `on_second_launch`.
pub fn own(on_second_launch: OnSecondLaunch) -> Result<Option<zbus::blocking::Connection>, zbus::Error> {
    let built = zbus::blocking::connection::Builder::session()?
        .name(SINGLE_INSTANCE_NAME)?
        .replace_existing_names(false)
        .allow_name_replacements(false)
        .serve_at(SINGLE_INSTANCE_PATH, SingleInstance { on_second_launch })?
        .build();
    match built {
        Ok(connection) => Ok(Some(connection)),
        Err(zbus::Error::NameTaken) => Ok(None),
        Err(e) => Err(e),
    }
}
