//! The one way a token reaches the clipboard, for both desktop processes (the window's, from the
//! card's Copy button and its tray menu, and the tray-only one): [`TokenCopier::copy`] asks
//! [`Hubkey::token`] for a valid token (refreshed first when due, refused for a connection that
//! needs a new login), writes it (or its `Authorization` line) through the [`ClipboardGuard`], and
//! remembers which connection it copied, so a hand-over between the two processes can copy it again
//! ([`TokenCopier::recopy`]). The value never leaves Rust.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hubkey_core::{ConnectionKey, CopyAs, Error, Hubkey, Result};

use crate::clipboard::{clear_after_from, Clipboard, ClipboardGuard, SystemClipboard, CLEAR_ENV};
use crate::handoff::Recopy;

/// What the last copy left on the clipboard (no value: which connection, how, when).
#[derive(Debug, Clone)]
struct LastCopy {
    key: ConnectionKey,
    how: CopyAs,
    at: Instant,
}

/// Copies tokens and clears them again (see the module docs).
#[derive(Debug)]
pub struct TokenCopier {
    clipboard: Arc<dyn Clipboard>,
    guard: ClipboardGuard,
    clear_after: Option<Duration>,
    last: Mutex<Option<LastCopy>>,
}

impl TokenCopier {
    /// Over `clipboard`, clearing a copy after `clear_after` (`None`: never).
    pub fn new(clipboard: Arc<dyn Clipboard>, clear_after: Option<Duration>) -> Self {
        Self {
            clipboard,
            guard: ClipboardGuard::default(),
            clear_after,
            last: Mutex::new(None),
        }
    }

    /// The system clipboard, with the delay from `HUBKEY_CLIPBOARD_CLEAR_SECS` or `home`'s
    /// settings file.
    pub fn from_env(home: &Path) -> Self {
        let clear_after = clear_after_from(std::env::var(CLEAR_ENV).ok().as_deref(), Some(home));
        Self::new(Arc::new(SystemClipboard::default()), clear_after)
    }

    /// The clipboard copies go to (the redirect-URL copy writes plain text to it).
    pub fn clipboard(&self) -> &Arc<dyn Clipboard> {
        &self.clipboard
    }

    /// How long a copy stays on the clipboard (`None`: until something else replaces it).
    pub fn clear_after(&self) -> Option<Duration> {
        self.clear_after
    }

    /// Copies the connection's token (refreshed first when due), cleared after the delay if the
    /// clipboard still holds it. Must run inside a Tokio runtime. Never logs or returns the value.
    pub async fn copy(&self, hubkey: &Hubkey, key: &ConnectionKey, how: CopyAs) -> Result<()> {
        self.copy_clearing_after(hubkey, key, how, self.clear_after).await
    }

    /// As [`TokenCopier::copy`], cleared after `clear_after` instead (what was left of the delay of
    /// a copy the other process made before it handed over).
    pub async fn copy_clearing_after(
        &self,
        hubkey: &Hubkey,
        key: &ConnectionKey,
        how: CopyAs,
        clear_after: Option<Duration>,
    ) -> Result<()> {
        let token = hubkey.token(key).await?;
        self.guard
            .copy(
                Arc::clone(&self.clipboard),
                token.clipboard_text(how),
                clear_after,
            )
            .map_err(Error::Clipboard)?;
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(LastCopy {
            key: key.clone(),
            how,
            at: Instant::now(),
        });
        tracing::info!(app = %key.app, hub_id = key.hub_id, as_header = how.is_header(), "token copied to the clipboard");
        Ok(())
    }

    /// Whether the clipboard still holds the last copy (the window process then keeps running on
    /// X11, where the copying process serves the clipboard).
    pub fn holds_last_copy(&self) -> bool {
        self.guard.holds_last_copy(self.clipboard.as_ref())
    }

    /// The copy to make again after a hand-over: the last one, while the clipboard still holds it,
    /// with what is left of its delay.
    pub fn recopy(&self) -> Option<Recopy> {
        let last = self.last.lock().unwrap_or_else(|e| e.into_inner()).clone()?;
        if !self.holds_last_copy() {
            return None;
        }
        Some(Recopy {
            app: last.key.app,
            hub_id: last.key.hub_id,
            as_header: last.how.is_header(),
            clear_after: self.clear_after.map(|d| d.saturating_sub(last.at.elapsed())),
        })
    }

    /// Copies again what the other process had copied before it handed over ([`Recopy`]).
    /// Logged, not shown.
    pub async fn copy_again(&self, hubkey: &Hubkey, recopy: Recopy) {
        let key = ConnectionKey::new(recopy.app, recopy.hub_id);
        let how = CopyAs::from_header_flag(recopy.as_header);
        match self
            .copy_clearing_after(hubkey, &key, how, recopy.clear_after)
            .await
        {
            Ok(()) => {
                tracing::info!(app = %key.app, hub_id = key.hub_id, "the token the tray copied is on the clipboard again")
            }
            Err(e) => {
                tracing::warn!(app = %key.app, hub_id = key.hub_id, code = e.code().as_str(), "cannot copy the tray's token again: {e}")
            }
        }
    }
}
