//! Declares the app's own commands so that capability files control them (threat-model.md S5.1): without an
//! app manifest, Tauri lets every local window call every app command.
//!
//! The commands are read from the one IPC table (`src/ipc/mod.rs`, `ipc_table!`): a line
//! `module::command => tsName(…) -> …;` per command. A command missing there is neither registered nor granted.

/// The command names of the IPC table.
fn commands(table: &str) -> Vec<String> {
    let Some(start) = table.find("commands {") else {
        return Vec::new();
    };
    let Some(end) = table[start..].find("events {") else {
        return Vec::new();
    };
    table[start..start + end]
        .lines()
        .filter_map(|line| {
            let (path, _) = line.trim().split_once(" => ")?;
            let (_, name) = path.split_once("::")?;
            Some(name.to_string())
        })
        .collect()
}

fn main() {
    println!("cargo:rerun-if-changed=src/ipc/mod.rs");
    let table = std::fs::read_to_string("src/ipc/mod.rs").unwrap_or_default();
    let names: &'static [&'static str] = Box::leak(
        commands(&table)
            .into_iter()
            .map(|n| &*Box::leak(n.into_boxed_str()))
            .collect::<Vec<&'static str>>()
            .into_boxed_slice(),
    );
    let attributes =
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(names));
    // A build script reports failure by panicking; there is no other channel.
    #[allow(clippy::panic)]
    if names.is_empty() {
        panic!("build.rs found no command in src/ipc/mod.rs's ipc_table!");
    }
    if let Err(error) = tauri_build::try_build(attributes) {
        #[allow(clippy::panic)]
        {
            panic!("tauri-build failed: {error:#}");
        }
    }
}
