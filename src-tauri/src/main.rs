// Keeps a console window from opening next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    // Before anything holds a secret: panic messages withheld, not dumpable, and no command line that
    // `std::env::args` (Tauri's plugins call it) would panic on (hubkey-shell's process.rs).
    if let Some(code) = hubkey_shell::process::at_start("hubkey-desktop") {
        return code;
    }
    // Before any thread exists (set_var is not thread-safe); the web process WebKit starts inherits them.
    #[cfg(target_os = "linux")]
    for (name, value) in
        hubkey_desktop_lib::startup::webkit_env_defaults(|name| std::env::var_os(name).is_some())
    {
        std::env::set_var(name, value);
    }
    match hubkey_desktop_lib::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The logger may not exist yet (it can be what failed): stderr is the one channel left.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("hubkey: {error}");
            }
            ExitCode::from(error.exit_code())
        }
    }
}
