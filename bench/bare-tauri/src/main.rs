//! The smallest Tauri v2 app: one window showing one static page (dist/index.html), nothing else. scripts/bench.sh
//! measures it beside Hubkey, in the same run and under the same Xvfb, as the floor of this stack: what any
//! Tauri window costs before an app adds anything.

fn main() {
    // The same WebKitGTK settings as Hubkey's host on Linux (src-tauri's startup.rs), so the figures compare the
    // apps, not the settings: the bench passes them in the environment.
    if let Err(e) = tauri::Builder::default().run(tauri::generate_context!()) {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("bare-tauri: {e}");
        }
        std::process::exit(1);
    }
}
