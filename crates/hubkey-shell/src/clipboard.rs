//! Copying a token to the clipboard, from Rust (design.md §2.7: the webview never sees the token), and
//! clearing it again after a delay — but only if the clipboard still holds what we put there (threat-model.md
//! S6). We keep a SHA-256 of the copied text for that comparison, not the text.
//!
//! The delay is `HUBKEY_CLIPBOARD_CLEAR_SECS`, else `clipboard_clear_secs` in `HUBKEY_HOME/settings.json`,
//! else 60 s; `0` turns clearing off.
//!
//! [`SystemClipboard`] is the real one, for the window's process and the tray's. Every copy is marked for the
//! clipboard managers to leave out of their history (docs/SECURITY.md, finding 11), through arboard:
//! * Linux (X11 and Wayland): the extra target `x-kde-passwordManagerHint` = `secret`, which KDE's Klipper,
//!   GNOME's clipboard-history extensions, CopyQ and others honour;
//! * Windows: `ExcludeClipboardContentFromMonitorProcessing` (no history, no cloud clipboard);
//! * macOS: `org.nspasteboard.ConcealedType`, the convention of clipboard managers there (macOS itself keeps
//!   no clipboard history).
//!
//! A manager that ignores these markers still sees the token until it is cleared.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hubkey_core::Secret;
use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;

pub const CLEAR_ENV: &str = "HUBKEY_CLIPBOARD_CLEAR_SECS";
pub const SETTINGS_FILE: &str = "settings.json";
pub const DEFAULT_CLEAR_AFTER: Duration = Duration::from_secs(60);

/// The system clipboard, as far as Hubkey uses it. Errors are plain text (no secrets in them).
pub trait Clipboard: Send + Sync + std::fmt::Debug {
    fn write_text(&self, text: &str) -> Result<(), String>;
    /// The current text, `None` when the clipboard holds no text.
    fn read_text(&self) -> Result<Option<String>, String>;
    fn clear(&self) -> Result<(), String>;
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// The clear-after delay from the environment and the settings file (see the module docs).
pub fn clear_after_from(env: Option<&str>, home: Option<&Path>) -> Option<Duration> {
    let secs = env
        .and_then(|v| v.trim().parse::<u64>().ok())
        .or_else(|| {
            let text = std::fs::read_to_string(home?.join(SETTINGS_FILE)).ok()?;
            let json: serde_json::Value = serde_json::from_str(&text).ok()?;
            json.get("clipboard_clear_secs")?.as_u64()
        })
        .unwrap_or(DEFAULT_CLEAR_AFTER.as_secs());
    (secs > 0).then(|| Duration::from_secs(secs))
}

/// Copies secrets and schedules their removal. One pending clear at a time: a new copy replaces it (the new
/// copy's own clear takes over).
#[derive(Debug, Default)]
pub struct ClipboardGuard {
    pending: Mutex<Option<JoinHandle<()>>>,
    /// The digest of the last value copied (never the value).
    last: Mutex<Option<[u8; 32]>>,
}

impl ClipboardGuard {
    /// Writes `value` to `clipboard` and, with `clear_after`, clears it after that delay if it still holds
    /// `value`. Must run inside a Tokio runtime. `value` is dropped (and zeroed) when this returns.
    pub fn copy(
        &self,
        clipboard: Arc<dyn Clipboard>,
        value: Secret,
        clear_after: Option<Duration>,
    ) -> Result<(), String> {
        clipboard.write_text(value.expose())?;
        let ours = digest(value.expose());
        drop(value);
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(ours);
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(previous) = pending.take() {
            previous.abort();
        }
        if let Some(after) = clear_after {
            *pending = Some(tokio::spawn(clear_later(clipboard, ours, after)));
        }
        Ok(())
    }
}

impl ClipboardGuard {
    /// Whether `clipboard` still holds the last value copied through this guard. On X11 a clipboard's content
    /// lives in the process that set it, so the desktop app does not replace its process while this is true.
    /// A clipboard that cannot be read counts as not holding it.
    pub fn holds_last_copy(&self, clipboard: &dyn Clipboard) -> bool {
        let Some(ours) = *self.last.lock().unwrap_or_else(|e| e.into_inner()) else {
            return false;
        };
        match clipboard.read_text() {
            Ok(Some(text)) => digest(&text) == ours,
            Ok(None) => false,
            Err(e) => {
                tracing::debug!("cannot read the clipboard ({e}); taking it as changed");
                false
            }
        }
    }
}

/// Waits `after`, then clears the clipboard if its text still hashes to `ours`.
pub async fn clear_later(clipboard: Arc<dyn Clipboard>, ours: [u8; 32], after: Duration) {
    tokio::time::sleep(after).await;
    match clipboard.read_text() {
        Ok(Some(text)) if digest(&text) == ours => match clipboard.clear() {
            Ok(()) => tracing::info!("cleared the copied token from the clipboard"),
            Err(e) => tracing::warn!("cannot clear the clipboard: {e}"),
        },
        Ok(_) => tracing::debug!("clipboard changed since the copy; left alone"),
        Err(e) => tracing::debug!("cannot read the clipboard ({e}); left alone"),
    }
}

/// The system clipboard through arboard. Opened at the first use: a process that never copies keeps no
/// clipboard connection. On X11 the copied text is served by this process, so the connection stays open once
/// made.
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
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(arboard::Clipboard::new().map_err(|e| e.to_string())?);
        }
        match slot.as_mut() {
            Some(clipboard) => f(clipboard).map_err(|e| e.to_string()),
            None => Err("the clipboard is not available".to_string()),
        }
    }
}

/// Marks a copy as one that clipboard managers must not keep (see the module docs).
fn out_of_history(set: arboard::Set<'_>) -> arboard::Set<'_> {
    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "android", target_os = "emscripten"))
    ))]
    let set = arboard::SetExtLinux::exclude_from_history(set);
    #[cfg(windows)]
    let set = arboard::SetExtWindows::exclude_from_monitoring(set);
    #[cfg(target_os = "macos")]
    let set = arboard::SetExtApple::exclude_from_history(set);
    set
}

impl Clipboard for SystemClipboard {
    fn write_text(&self, text: &str) -> Result<(), String> {
        self.with(|c| out_of_history(c.set()).text(text.to_owned()))
    }
    fn read_text(&self) -> Result<Option<String>, String> {
        // arboard reports "no text" (empty clipboard, an image…) as an error; for us that is "not ours".
        Ok(self.with(|c| c.get_text()).ok())
    }
    fn clear(&self) -> Result<(), String> {
        self.with(|c| c.clear())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clipboard in memory that counts clears.
    #[derive(Debug, Default)]
    pub struct FakeClipboard {
        text: Mutex<Option<String>>,
        clears: Mutex<u32>,
    }

    impl FakeClipboard {
        fn text(&self) -> Option<String> {
            self.text.lock().unwrap().clone()
        }
        fn clears(&self) -> u32 {
            *self.clears.lock().unwrap()
        }
    }

    impl Clipboard for FakeClipboard {
        fn write_text(&self, text: &str) -> Result<(), String> {
            *self.text.lock().unwrap() = Some(text.to_string());
            Ok(())
        }
        fn read_text(&self) -> Result<Option<String>, String> {
            Ok(self.text())
        }
        fn clear(&self) -> Result<(), String> {
            *self.text.lock().unwrap() = None;
            *self.clears.lock().unwrap() += 1;
            Ok(())
        }
    }

    async fn settle() {
        for _ in 0..5 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn s6_cleared_after_the_delay_when_still_ours() {
        let clip = Arc::new(FakeClipboard::default());
        let guard = ClipboardGuard::default();
        guard
            .copy(
                clip.clone(),
                Secret::new("at-secret-1"),
                Some(Duration::from_secs(60)),
            )
            .unwrap();
        assert_eq!(clip.text().as_deref(), Some("at-secret-1"));
        tokio::time::sleep(Duration::from_secs(59)).await;
        settle().await;
        assert_eq!(clip.text().as_deref(), Some("at-secret-1"), "not before 60 s");
        tokio::time::sleep(Duration::from_secs(2)).await;
        settle().await;
        assert_eq!(clip.text(), None);
        assert_eq!(clip.clears(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn given_a_copied_token_then_the_clipboard_holds_it_until_cleared_or_replaced() {
        let clip = Arc::new(FakeClipboard::default());
        let guard = ClipboardGuard::default();
        assert!(!guard.holds_last_copy(clip.as_ref()), "nothing copied yet");

        guard
            .copy(
                clip.clone(),
                Secret::new("at-secret-1"),
                Some(Duration::from_secs(60)),
            )
            .unwrap();
        assert!(guard.holds_last_copy(clip.as_ref()));
        tokio::time::sleep(Duration::from_secs(61)).await;
        settle().await;
        assert!(!guard.holds_last_copy(clip.as_ref()), "cleared after 60 s");

        // Clearing turned off: ours until the user copies something else.
        guard
            .copy(clip.clone(), Secret::new("at-secret-2"), None)
            .unwrap();
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert!(guard.holds_last_copy(clip.as_ref()));
        clip.write_text("the user's own text").unwrap();
        assert!(!guard.holds_last_copy(clip.as_ref()));
    }

    #[tokio::test(start_paused = true)]
    async fn s6_left_alone_when_the_user_copied_something_else() {
        let clip = Arc::new(FakeClipboard::default());
        let guard = ClipboardGuard::default();
        guard
            .copy(
                clip.clone(),
                Secret::new("at-secret-1"),
                Some(Duration::from_secs(60)),
            )
            .unwrap();
        clip.write_text("the user's own text").unwrap();
        tokio::time::sleep(Duration::from_secs(120)).await;
        settle().await;
        assert_eq!(clip.text().as_deref(), Some("the user's own text"));
        assert_eq!(clip.clears(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn s6_a_second_copy_restarts_the_clock_and_only_it_is_cleared() {
        let clip = Arc::new(FakeClipboard::default());
        let guard = ClipboardGuard::default();
        guard
            .copy(clip.clone(), Secret::new("first"), Some(Duration::from_secs(60)))
            .unwrap();
        tokio::time::sleep(Duration::from_secs(40)).await;
        guard
            .copy(clip.clone(), Secret::new("second"), Some(Duration::from_secs(60)))
            .unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        settle().await;
        assert_eq!(
            clip.text().as_deref(),
            Some("second"),
            "the first clear was cancelled"
        );
        tokio::time::sleep(Duration::from_secs(31)).await;
        settle().await;
        assert_eq!(clip.text(), None);
        assert_eq!(clip.clears(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn s6_no_clearing_when_turned_off() {
        let clip = Arc::new(FakeClipboard::default());
        let guard = ClipboardGuard::default();
        guard.copy(clip.clone(), Secret::new("kept"), None).unwrap();
        tokio::time::sleep(Duration::from_secs(3600)).await;
        settle().await;
        assert_eq!(clip.text().as_deref(), Some("kept"));
    }

    #[test]
    fn clear_delay_from_env_then_settings_file_then_default() {
        let home = std::env::temp_dir().join(format!("hubkey-clip-{}", std::process::id()));
        std::fs::create_dir_all(&home).unwrap();
        assert_eq!(clear_after_from(None, Some(&home)), Some(DEFAULT_CLEAR_AFTER));
        std::fs::write(home.join(SETTINGS_FILE), r#"{"clipboard_clear_secs": 15}"#).unwrap();
        assert_eq!(clear_after_from(None, Some(&home)), Some(Duration::from_secs(15)));
        assert_eq!(
            clear_after_from(Some("30"), Some(&home)),
            Some(Duration::from_secs(30))
        );
        assert_eq!(clear_after_from(Some("0"), Some(&home)), None);
        assert_eq!(
            clear_after_from(Some("junk"), Some(&home)),
            Some(Duration::from_secs(15))
        );
        std::fs::remove_dir_all(&home).unwrap();
    }
}
