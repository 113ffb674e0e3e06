//! What every command needs: the one [`Hubkey`], built by hubkey-core's composition root
//! ([`Hubkey::from_env`]: the HubSpot endpoints `HUBKEY_*_BASE_URL`, the index folder `HUBKEY_HOME`,
//! design.md §5) over the OS keychain (`HUBKEY_KEYCHAIN_SERVICE`), exactly as the desktop app and
//! the tray build theirs.
//!
//! Building it touches neither the network nor the keychain: `status` and `app list` read only
//! the index, so they work even when the keychain is locked. `token` and `refresh` go through its
//! refresher: single-flight in this process, the cross-process refresh lock and a re-read, so
//! concurrent `hubkey token` runs cause one refresh (threat-model.md T10).

use hubkey_core::{Hubkey, Result};
use hubkey_keychain::KeyringStore;
use std::sync::Arc;

/// Reads the environment.
pub fn from_env() -> Result<Hubkey> {
    Hubkey::from_env(Arc::new(KeyringStore::from_env()?))
}
