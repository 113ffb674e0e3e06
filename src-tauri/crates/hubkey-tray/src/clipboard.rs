//! The system clipboard through arboard (what tauri-plugin-clipboard-manager uses in hubkey-desktop). Opened
//! at the first copy: a tray that never copies keeps no clipboard connection. On X11 the copied text is served
//! by this process, so the connection stays open once made.

use std::sync::{Mutex, MutexGuard};

use hubkey_shell::clipboard::Clipboard;

#[derive(Default)]
pub struct SystemClipboard(Mutex<Option<arboard::Clipboard>>);

impl std::fmt::Debug for SystemClipboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SystemClipboard")
    }
}

impl SystemClipboard {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut arboard::Clipboard) -> Result<T, arboard::Error>,
    ) -> Result<T, String> {
        let mut slot: MutexGuard<'_, Option<arboard::Clipboard>> =
            self.0.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(arboard::Clipboard::new().map_err(|e| e.to_string())?);
        }
        match slot.as_mut() {
            Some(clipboard) => f(clipboard).map_err(|e| e.to_string()),
            None => Err("the clipboard is not available".to_string()),
        }
    }
}

impl Clipboard for SystemClipboard {
    fn write_text(&self, text: &str) -> Result<(), String> {
        self.with(|c| c.set_text(text))
    }
    fn read_text(&self) -> Result<Option<String>, String> {
        // arboard reports "no text" (empty clipboard, an image…) as an error; for us that is "not ours".
        Ok(self.with(|c| c.get_text()).ok())
    }
    fn clear(&self) -> Result<(), String> {
        self.with(|c| c.clear())
    }
}
