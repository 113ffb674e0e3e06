//! What every command needs, built from the environment (design.md §5): the HubSpot endpoints
//! (`HUBKEY_*_BASE_URL`), the index folder (`HUBKEY_HOME`) and the keychain namespace
//! (`HUBKEY_KEYCHAIN_SERVICE`).
//!
//! Building the context touches neither the network nor the keychain: `status` and `app list`
//! read only the index, so they work even when the keychain is locked.

use hubkey_core::client::HubSpotClient;
use hubkey_core::clock::SystemClock;
use hubkey_core::config::{self, Endpoints};
use hubkey_core::refresher::{RefreshPolicy, Refresher};
use hubkey_core::store::TokenStore;
use hubkey_core::Result;
use hubkey_keychain::KeyringStore;
use std::sync::Arc;

/// The endpoints, the HubSpot client and the token store of this run.
#[derive(Debug, Clone)]
pub struct Context {
    pub client: HubSpotClient,
    pub store: TokenStore,
}

impl Context {
    /// Reads the environment.
    pub fn from_env() -> Result<Self> {
        let endpoints = Endpoints::from_env()?;
        if !endpoints.is_hubspot() {
            tracing::info!(
                app = %endpoints.app_base,
                api = %endpoints.api_base,
                mcp = %endpoints.mcp_base,
                "using overridden HubSpot endpoints"
            );
        }
        let client = HubSpotClient::new(endpoints)?;
        let secrets = KeyringStore::new(config::keychain_service())?;
        let store = TokenStore::new(Arc::new(secrets), config::home_dir()?);
        Ok(Self { client, store })
    }

    /// The refresher `token` and `refresh` go through: single-flight in this process, the
    /// cross-process refresh lock and a re-read, so concurrent `hubkey token` runs cause one
    /// refresh (threat-model.md T10).
    pub fn refresher(&self) -> Refresher {
        Refresher::new(
            self.client.clone(),
            self.store.clone(),
            Arc::new(SystemClock),
            RefreshPolicy::default(),
        )
    }
}
