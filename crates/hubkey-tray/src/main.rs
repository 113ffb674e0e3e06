//! `hubkey-tray`: Hubkey's tray on Linux, in a process that never loads WebKit.
//!
//! The window's process (`hubkey-desktop`) links WebKitGTK, and linking it is what a tray-only Hubkey paid for:
//! 187 libraries, their relocations and Mesa, 58 MiB PSS with no window at all. This program links GTK, the
//! AppIndicator tray and hubkey-core, and nothing of WebKit (docs/BENCHMARKS.md finding 8). The two replace each
//! other in place (exec: the same PID and environment; hubkey-shell's handoff.rs):
//!
//! - hubkey-desktop becomes hubkey-tray once its window has been closed and nothing is at work
//!   (hubkey-desktop's relaunch.rs), and at once when started with `--background`;
//! - hubkey-tray becomes hubkey-desktop when the window is wanted: "Open Hubkey" in the menu, or a second
//!   launch (the app's icon, a `hubkey://` link), which reaches it through the single-instance D-Bus name both
//!   programs own.
//!
//! Meanwhile it does what the tray of hubkey-desktop does, with the same code where it is not Tauri's: the
//! status line and "Copy token" items (hubkey-shell's tray_menu), copying and clearing the clipboard, the
//! refresher, one notification per connection that needs re-authorization.
//!
//! On macOS and Windows there is nothing to hand over to: the webview's memory goes with its window there, so
//! hubkey-desktop keeps its tray itself, and this program only says so.

#[cfg(target_os = "linux")]
mod app;
#[cfg(target_os = "linux")]
mod menu;
#[cfg(target_os = "linux")]
mod single_instance;

use std::process::ExitCode;

fn main() -> ExitCode {
    #[cfg(target_os = "linux")]
    {
        // Before anything holds a secret: panic messages withheld, not dumpable, and no command line that
        // `std::env::args` (Tauri's plugins call it) would panic on (hubkey-shell's process.rs).
        if let Some(code) = hubkey_shell::process::at_start("hubkey-tray") {
            return code;
        }
        // Nothing here draws with GL: GTK need not probe GLX when it opens the display, which would load Mesa
        // and LLVM (~30 MiB). Before any thread exists (set_var is not thread-safe). hubkey-desktop sets the
        // same when it starts one (its startup.rs), but this program may be started on its own.
        if std::env::var_os("GDK_GL").is_none() {
            std::env::set_var("GDK_GL", "disable");
        }
        match app::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                tracing::error!("{error}");
                // The log file may be what failed: stderr is the one channel left.
                #[allow(clippy::print_stderr)]
                {
                    eprintln!("hubkey-tray: {error}");
                }
                ExitCode::FAILURE
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("hubkey-tray runs on Linux only; elsewhere hubkey-desktop keeps its tray itself.");
        }
        ExitCode::from(2)
    }
}
