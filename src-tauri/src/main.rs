// Keeps a console window from opening next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    // WebKitGTK composites on the GPU; on software GL (VMs, remote desktops, Xvfb: llvmpipe) that makes the first
    // paint slow and every repaint costly (BENCHMARKS.md finding 2: first paint 1622 → 915 ms, idle CPU with
    // countdowns 45 → 18 % of a core, −90 MiB PSS). This UI needs no accelerated compositing. A user who wants it
    // sets WEBKIT_DISABLE_COMPOSITING_MODE=0. Set before any thread exists (set_var is not thread-safe), and
    // inherited by the web process WebKit starts.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
        // Nothing draws with GL then, so GTK need not probe GLX when it opens the display: that probe loads
        // Mesa and LLVM (~30 MiB resident) into a process that may never show a window (BENCHMARKS.md finding 8).
        if std::env::var_os("GDK_GL").is_none() {
            std::env::set_var("GDK_GL", "disable");
        }
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
