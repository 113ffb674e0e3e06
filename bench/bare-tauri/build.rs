//! Tauri's build step (the context `generate_context!` embeds: tauri.conf.json and dist/).
fn main() {
    tauri_build::build();
}
