//! The clipboard of tauri-plugin-clipboard-manager, for copying tokens from Rust (design.md §2.7). Copying and
//! clearing are hubkey-shell's ([`ClipboardGuard`]), shared with the tray process.

use tauri::{AppHandle, Manager, Runtime};

pub use hubkey_shell::clipboard::*;

/// The clipboard of tauri-plugin-clipboard-manager (arboard underneath).
pub struct PluginClipboard<R: Runtime>(pub AppHandle<R>);

impl<R: Runtime> std::fmt::Debug for PluginClipboard<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PluginClipboard")
    }
}

impl<R: Runtime> PluginClipboard<R> {
    fn plugin(&self) -> Result<tauri::State<'_, tauri_plugin_clipboard_manager::Clipboard<R>>, String> {
        self.0
            .try_state::<tauri_plugin_clipboard_manager::Clipboard<R>>()
            .ok_or_else(|| "the clipboard plugin is not loaded".to_string())
    }
}

impl<R: Runtime> Clipboard for PluginClipboard<R> {
    fn write_text(&self, text: &str) -> Result<(), String> {
        self.plugin()?.write_text(text).map_err(|e| e.to_string())
    }
    fn read_text(&self) -> Result<Option<String>, String> {
        // arboard reports "no text" (empty clipboard, an image…) as an error; for us that is "not ours".
        Ok(self.plugin()?.read_text().ok())
    }
    fn clear(&self) -> Result<(), String> {
        self.plugin()?.clear().map_err(|e| e.to_string())
    }
}
