// Keeps a console window from opening next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    // Not dumpable before anything holds a secret (hubkey-shell's process.rs).
    hubkey_shell::process::not_dumpable();
    // Before Tauri's plugins read the command line, which would panic on it.
    if let Some(why) = hubkey_shell::process::unusable_args() {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("hubkey-desktop: {why}");
        }
        return ExitCode::from(2);
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
