//! The clipboard, for copying tokens from Rust (design.md §2.7): hubkey-shell's [`SystemClipboard`] (arboard,
//! each copy marked to stay out of clipboard managers' history), shared with the tray process. Copying and
//! clearing are hubkey-shell's ([`ClipboardGuard`]). tauri-plugin-clipboard-manager is not used: it cannot mark
//! a copy, and the UI never touches the clipboard.

pub use hubkey_shell::clipboard::*;
