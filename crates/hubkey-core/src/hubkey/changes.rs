//! Changes, as events from the core: what a front end that shows state (the desktop's window, its
//! tray, the tray-only process) must react to. The store writes made through [`Hubkey`] (an app
//! registered or removed, a portal connected or signed out) and the refresher's connection states
//! arrive on one stream, [`Hubkey::subscribe`]; each front end fans them out in one place
//! (`src-tauri/src/background.rs`, hubkey-tray's app.rs). Nothing here carries a secret.

use super::Hubkey;
use crate::ids::ConnectionKey;
use crate::refresher::ConnectionEvent;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

/// How many changes a slow subscriber may fall behind before it is told it lagged.
pub(super) const CHANGE_CAPACITY: usize = 256;

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// An app was registered, replaced or removed.
    AppsChanged,
    /// A portal was connected (a sign-in stored its tokens): a needs-reauth incident of it is over.
    Connected(ConnectionKey),
    /// A portal was signed out of.
    SignedOut(ConnectionKey),
    /// A connection's state or expiry changed (refresh started, succeeded, failed, needs re-auth).
    Connection(ConnectionEvent),
}

impl Change {
    /// Whether the set of apps or connections changed (a window reloads its lists, a tray its menu).
    pub fn changes_the_lists(&self) -> bool {
        !matches!(self, Change::Connection(_))
    }
}

/// The changes from the moment [`Hubkey::subscribe`] was called.
#[derive(Debug)]
pub struct Changes {
    own: broadcast::Receiver<Change>,
    refresher: broadcast::Receiver<ConnectionEvent>,
}

impl Changes {
    /// The next change. [`RecvError::Lagged`] when changes were missed (reload everything);
    /// [`RecvError::Closed`] once the [`Hubkey`] is gone.
    pub async fn recv(&mut self) -> Result<Change, RecvError> {
        tokio::select! {
            change = self.own.recv() => change,
            event = self.refresher.recv() => event.map(Change::Connection),
        }
    }
}

impl Hubkey {
    /// Every change from now on (see the module docs).
    pub fn subscribe(&self) -> Changes {
        Changes {
            own: self.inner.changes.subscribe(),
            refresher: self.refresher().subscribe(),
        }
    }

    /// Publishes a change (no subscriber is fine: the CLI never subscribes).
    pub(super) fn publish(&self, change: Change) {
        let _ = self.inner.changes.send(change);
    }
}
