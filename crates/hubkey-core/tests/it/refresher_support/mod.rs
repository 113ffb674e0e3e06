//! Shared set-up of the `refresher_*` tests: the HubSpot sandbox over real HTTP, the in-memory
//! keychain double with a temporary Hubkey home, a manual clock, and a connection made from
//! tokens the sandbox mints directly (the browser leg is tested elsewhere).
#![allow(dead_code)]

use hubkey_core::app::{AppConfig, AppKind};
use hubkey_core::clock::{Clock, ManualClock};
use hubkey_core::refresher::{ConnectionEvent, RefreshPolicy, Refresher, Sleeper};
use hubkey_core::store::{Connection, ConnectionState, MemoryStore, TokenStore};
use hubkey_core::token::TokenSet;
use hubkey_core::ConnectionKey;
use hubkey_core::{AccessToken, ClientSecret, ExposeSecret, RefreshToken};
use hubspot_sandbox::{Fixture, Sandbox, SandboxHandle, DEMO_STANDARD_CLIENT_ID};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The demo Professional portal.
pub const PRO: u64 = hubspot_sandbox::DEMO_PRO_HUB_ID;
/// The demo Starter portal.
pub const STARTER: u64 = hubspot_sandbox::DEMO_STARTER_HUB_ID;

/// The app's name in Hubkey.
pub const APP: &str = "demo";

pub use hubkey_testkit::TempHome;

/// Everything a refresher test needs. The sandbox is the only HubSpot.
#[derive(Debug)]
pub struct Env {
    pub sandbox: SandboxHandle,
    pub mem: Arc<MemoryStore>,
    pub store: TokenStore,
    pub home: TempHome,
    pub clock: Arc<ManualClock>,
    pub app: AppConfig,
}

pub fn app() -> AppConfig {
    AppConfig {
        name: APP.into(),
        client_id: DEMO_STANDARD_CLIENT_ID.into(),
        redirect_uri: "http://localhost:3000/oauth-callback".into(),
        scopes: vec!["oauth".into(), "crm.objects.contacts.read".into()],
        optional_scopes: vec!["crm.objects.deals.read".into()],
        kind: AppKind::Standard,
        pkce: true,
    }
}

/// Starts a sandbox and registers the demo app (with its real client secret) in a fresh store.
pub async fn env(tag: &str) -> Env {
    env_with(tag, Fixture::demo()).await
}

/// The demo fixture plus `n` more portals like the Professional one; returns their hub ids too.
pub fn fixture_with_portals(n: u64) -> (Fixture, Vec<u64>) {
    let mut fixture = Fixture::demo();
    let pro = fixture.portal(PRO).unwrap().clone();
    let ids: Vec<u64> = (1..=n).map(|i| 90_000_000 + i).collect();
    for &hub_id in &ids {
        fixture.portals.push(hubspot_sandbox::PortalFixture {
            hub_id,
            hub_domain: format!("portal-{hub_id}.example"),
            ..pro.clone()
        });
    }
    (fixture, ids)
}

/// [`env`] over another fixture (it must hold the demo standard app).
pub async fn env_with(tag: &str, fixture: Fixture) -> Env {
    let sandbox = Sandbox::start(fixture).await.expect("sandbox starts");
    let mem = Arc::new(MemoryStore::new());
    let home = TempHome::new(tag);
    let store = TokenStore::new(mem.clone(), home.path());
    let app = app();
    store.save_app(&app, &client_secret(&sandbox)).await.unwrap();
    Env {
        sandbox,
        mem,
        store,
        home,
        clock: Arc::new(ManualClock::starting_now()),
        app,
    }
}

pub fn client_secret(s: &SandboxHandle) -> ClientSecret {
    ClientSecret::new(
        s.fixture()
            .app(DEMO_STANDARD_CLIENT_ID)
            .unwrap()
            .client_secret
            .clone(),
    )
}

pub use hubkey_testkit::{client, endpoints};

/// A policy for tests: real margin (5 min), tiny backoff, no jitter, no pacing (the manual clock
/// stands still unless a test moves it; refresher_burst.rs tests the pace with a moving one).
pub fn quick_policy() -> RefreshPolicy {
    RefreshPolicy {
        pace: Duration::ZERO,
        max_attempts: 4,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        jitter: 0.0,
        max_retry_after: Duration::from_millis(5),
        lock_timeout: Duration::from_secs(20),
        ..RefreshPolicy::default()
    }
}

impl Env {
    /// A refresher over this env's store and clock.
    pub fn refresher(&self, policy: RefreshPolicy) -> Refresher {
        self.refresher_on(self.store.clone(), policy)
    }

    /// A refresher over another store (e.g. a second "process" on the same home and keychain).
    pub fn refresher_on(&self, store: TokenStore, policy: RefreshPolicy) -> Refresher {
        let clock: Arc<dyn Clock> = self.clock.clone();
        Refresher::new(client(&self.sandbox), store, clock, policy)
    }

    /// A second `TokenStore` on the same home and the same keychain, as another process has.
    pub fn other_process_store(&self) -> TokenStore {
        TokenStore::new(self.mem.clone(), self.home.path())
    }

    /// Connects `hub_id` as a login would: tokens minted by the sandbox, stored with the expiry
    /// computed from `expires_in` on the manual clock. Returns the stored token set.
    pub async fn connect(&self, hub_id: u64) -> TokenSet {
        let t = self
            .sandbox
            .issue_tokens_directly(DEMO_STANDARD_CLIENT_ID, hub_id, None)
            .unwrap();
        let now = self.clock.now();
        let expires_in = i64::try_from(t.expires_in).unwrap();
        let tokens = TokenSet {
            access_token: AccessToken::new(t.access_token),
            refresh_token: RefreshToken::new(t.refresh_token),
            expires_at: now + time::Duration::seconds(expires_in),
            scopes: t.scopes.clone(),
            hub_id: Some(t.hub_id),
            user_id: Some(t.user_id),
        };
        let conn = Connection {
            user_id: Some(t.user_id),
            scopes: t.scopes,
            is_user_level: Some(false),
            ..Connection::new(APP, hub_id, tokens.expires_at, now)
        };
        self.store.save_connection(conn, &tokens).await.unwrap();
        tokens
    }

    pub async fn conn(&self, hub_id: u64) -> Connection {
        self.store
            .connection(&ConnectionKey::new(APP, hub_id))
            .await
            .unwrap()
            .unwrap()
    }

    pub async fn tokens(&self, hub_id: u64) -> TokenSet {
        self.store
            .load_tokens(&ConnectionKey::new(APP, hub_id))
            .await
            .unwrap()
    }

    /// Refresh requests HubSpot received (any outcome).
    pub fn refreshes(&self) -> usize {
        self.sandbox.count("/token", Some("refresh_token"))
    }

    /// Refresh requests HubSpot answered with 200.
    pub fn successful_refreshes(&self) -> usize {
        self.sandbox
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/token") && r.grant_type.as_deref() == Some("refresh_token"))
            .filter(|r| r.status == 200)
            .count()
    }

    /// The manual clock's time.
    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// Moves our clock (and the sandbox's, when forward) by `secs`.
    pub fn advance(&self, secs: i64) {
        self.clock.advance(time::Duration::seconds(secs));
        if secs > 0 {
            self.sandbox.advance_clock(u64::try_from(secs).unwrap());
        }
    }

    /// Calls a protected API stub with `token`; returns the HTTP status.
    pub async fn api_status(&self, token: &AccessToken) -> u16 {
        reqwest::Client::new()
            .get(format!("{}/account-info/v3/details", self.sandbox.base_url()))
            .bearer_auth(token.expose())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

/// Secret equality for assertions (the values never appear in a message).
pub fn same<T: ExposeSecret>(a: &T, b: &T) -> bool {
    hubkey_core::Secret::new(a.expose_secret()).eq_secret(&hubkey_core::Secret::new(b.expose_secret()))
}

/// A [`Sleeper`] that records the requested waits and returns at once.
#[derive(Debug, Default)]
pub struct RecordingSleeper(pub Mutex<Vec<Duration>>);

impl RecordingSleeper {
    pub fn waits(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.0.lock().unwrap().push(duration);
        Box::pin(async {})
    }
}

/// Events received so far (non-blocking).
pub fn drain(rx: &mut tokio::sync::broadcast::Receiver<ConnectionEvent>) -> Vec<ConnectionEvent> {
    let mut v = Vec::new();
    while let Ok(e) = rx.try_recv() {
        v.push(e);
    }
    v
}

/// Waits (up to 10 s) for an event matching `pred`; returns the events seen up to and including it.
pub async fn wait_for(
    rx: &mut tokio::sync::broadcast::Receiver<ConnectionEvent>,
    pred: impl Fn(&ConnectionEvent) -> bool,
) -> Vec<ConnectionEvent> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let e = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no matching event within 10 s; saw {seen:?}"))
            .unwrap();
        let hit = pred(&e);
        seen.push(e);
        if hit {
            return seen;
        }
    }
}

/// The states of `events`, in order.
pub fn states(events: &[ConnectionEvent]) -> Vec<ConnectionState> {
    events.iter().map(|e| e.state).collect()
}
