// Keeps a console window from opening next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
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
