//! [`Hubkey`]: the use cases, behind one facade, and the one composition root.
//!
//! The desktop app (`src-tauri`), the tray process (`hubkey-tray`) and the CLI (`hubkey-cli`) each
//! build one [`Hubkey`] with [`Hubkey::from_env`], handing it their keychain
//! (`hubkey_keychain::KeyringStore`), and call its methods; tests build it with
//! [`Hubkey::builder`] over the sandbox and a [`crate::store::MemoryStore`] or the real keychain.
//! Whatever a front end keeps besides it is its own: a clipboard, a browser opener, a window.
//!
//! It owns the HubSpot client, the token store, the clock, the [`Refresher`] (one per process, so
//! the UI, the tray and the background share single-flight refreshes) and the [`LoginFlow`] (one
//! per process, so a deep link reaches the pending login). Cheap to clone: an `Arc` inside.
//!
//! The use cases, by module:
//! - [`apps`]: validating and registering an app (the registration rules of [`crate::draft`]);
//! - [`login`]: connecting a portal, end to end (preflight, authorize URL, redirect, exchange,
//!   introspection, storage), and signing out of one;
//! - [`tokens`]: handing out a valid token (refreshing first when due, refusing `needs_reauth`),
//!   refreshing now, the MCP server check;
//! - [`changes`]: what changed ([`Change`]), on one stream ([`Hubkey::subscribe`]);
//! - [`views`]: the window's views of apps, connections and a sign-in about to start;
//! - [`diagnostics`]: preflight, doctor, the install guide, scope suggestions.

pub mod apps;
pub mod changes;
pub mod diagnostics;
pub mod login;
pub mod tokens;
pub mod views;

pub use apps::RegisteredApp;
pub use changes::{Change, Changes};
pub use login::{connection_from, LoginOptions, SignOutReport};

use crate::app::AppConfig;
use crate::client::HubSpotClient;
use crate::clock::{Clock, SystemClock};
use crate::config::Endpoints;
use crate::error::{Error, Result};
use crate::ids::ConnectionKey;
use crate::login::LoginFlow;
use crate::refresher::{RefreshPolicy, Refresher, Sleeper};
use crate::store::{Connection, SecretStore, TokenStore};
use std::sync::Arc;

/// The use cases of Hubkey (see the module docs). Cheap to clone; clones share everything.
#[derive(Debug, Clone)]
pub struct Hubkey {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: HubSpotClient,
    store: TokenStore,
    clock: Arc<dyn Clock>,
    refresher: Refresher,
    logins: LoginFlow,
    changes: tokio::sync::broadcast::Sender<Change>,
}

impl Hubkey {
    /// The one composition root: the endpoints (`HUBKEY_*_BASE_URL`, real HubSpot by default), the
    /// home folder (`HUBKEY_HOME`), the wall clock and the default refresh policy, over `secrets`
    /// (the OS keychain). Touches neither the network nor the keychain: listing apps and
    /// connections reads only the index, so it works while the keychain is locked.
    pub fn from_env(secrets: Arc<dyn SecretStore>) -> Result<Hubkey> {
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
        let store = TokenStore::open_default(secrets)?;
        Ok(Hubkey::builder(client, store).build())
    }

    /// A builder over a client and a store (tests, benchmarks): the wall clock and the default
    /// refresh policy unless told otherwise.
    pub fn builder(client: HubSpotClient, store: TokenStore) -> HubkeyBuilder {
        HubkeyBuilder {
            client,
            store,
            clock: Arc::new(SystemClock),
            policy: RefreshPolicy::default(),
            sleeper: None,
        }
    }

    /// The HubSpot client.
    pub fn client(&self) -> &HubSpotClient {
        &self.inner.client
    }

    /// The endpoints this Hubkey talks to.
    pub fn endpoints(&self) -> &Endpoints {
        self.inner.client.endpoints()
    }

    /// The token store (keychain and index).
    pub fn store(&self) -> &TokenStore {
        &self.inner.store
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The refresher (its background scheduler, its events, whether it is busy).
    pub fn refresher(&self) -> &Refresher {
        &self.inner.refresher
    }

    /// The pending logins.
    pub fn logins(&self) -> &LoginFlow {
        &self.inner.logins
    }

    // ----- apps and connections ---------------------------------------------------------------

    /// The registered apps.
    pub async fn apps(&self) -> Result<Vec<AppConfig>> {
        self.store().apps().await
    }

    /// The app called `name` ([`Error::NotFound`] when there is none).
    pub async fn app(&self, name: &str) -> Result<AppConfig> {
        self.store().app(name).await
    }

    /// Every connection.
    pub async fn connections(&self) -> Result<Vec<Connection>> {
        self.store().connections().await
    }

    /// The connection `key` names ([`Error::NotFound`] when there is none).
    pub async fn connection(&self, key: &ConnectionKey) -> Result<Connection> {
        self.store().connection(key).await?.ok_or_else(|| {
            Error::NotFound(format!(
                "no connection of app {:?} to portal {}",
                key.app, key.hub_id
            ))
        })
    }
}

impl Hubkey {
    // ----- the default connection (`hubkey use`) ----------------------------------------------

    /// The default connection stored in the index, if it is set and still names a connection
    /// (one logged out since is ignored, never an error).
    pub async fn default_connection(&self) -> Result<Option<ConnectionKey>> {
        let index = self.store().index().await?;
        Ok(index
            .default_connection
            .as_ref()
            .filter(|d| index.connection(&d.app, d.hub_id).is_some())
            .map(|d| ConnectionKey::new(&d.app, d.hub_id)))
    }

    /// Makes `key` the default connection (one atomic index write). [`Error::NotFound`] when no
    /// such connection exists; the index is then left as it was.
    pub async fn set_default_connection(&self, key: &ConnectionKey) -> Result<()> {
        let (app, hub_id) = (key.app.clone(), key.hub_id);
        self.store()
            .modify_index(move |ix| {
                if ix.connection(&app, hub_id).is_none() {
                    return Err(Error::NotFound(format!(
                        "no connection of app {app:?} to portal {hub_id}"
                    )));
                }
                ix.default_connection = Some(crate::store::DefaultConnection { app, hub_id });
                Ok(())
            })
            .await
    }
}

/// Builds a [`Hubkey`] (see [`Hubkey::builder`]).
#[derive(Debug)]
pub struct HubkeyBuilder {
    client: HubSpotClient,
    store: TokenStore,
    clock: Arc<dyn Clock>,
    policy: RefreshPolicy,
    sleeper: Option<Arc<dyn Sleeper>>,
}

impl HubkeyBuilder {
    /// The clock (default: the wall clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The refresh policy (default: [`RefreshPolicy::default`]).
    pub fn policy(mut self, policy: RefreshPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// What the refresher sleeps with between attempts (tests).
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = Some(sleeper);
        self
    }

    /// The [`Hubkey`].
    pub fn build(self) -> Hubkey {
        let mut refresher = Refresher::new(
            self.client.clone(),
            self.store.clone(),
            self.clock.clone(),
            self.policy,
        );
        if let Some(sleeper) = self.sleeper {
            refresher = refresher.with_sleeper(sleeper);
        }
        Hubkey {
            inner: Arc::new(Inner {
                logins: LoginFlow::new(self.clock.clone()),
                client: self.client,
                store: self.store,
                clock: self.clock,
                refresher,
                changes: tokio::sync::broadcast::channel(changes::CHANGE_CAPACITY).0,
            }),
        }
    }
}
