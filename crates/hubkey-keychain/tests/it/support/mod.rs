//! Shared harness for the in-process end-to-end tests: a HubSpot sandbox, a throw-away
//! HUBKEY_HOME, the REAL keychain under a unique service name, and a "browser" that follows
//! HubSpot's redirect to Hubkey's loopback listener.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use hubkey_core::app::{AppConfig, AppKind};
use hubkey_core::client::HubSpotClient;
use hubkey_core::config::Endpoints;
use hubkey_core::store::{SecretKey, SecretStore, TokenStore};
use hubkey_core::ClientSecret;
use hubkey_core::Hubkey;
use hubkey_keychain::KeyringStore;
use hubspot_sandbox::{Fixture, Sandbox, SandboxHandle, DEMO_MCP_CLIENT_ID, DEMO_STANDARD_CLIENT_ID};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub const HOW_TO_RUN: &str = "these tests use the real OS keychain; on Linux run them via \
     `scripts/with-keyring.sh cargo test -p hubkey-keychain`";

pub use hubkey_testkit::free_port;

/// What the "browser" saw in HubSpot's redirect.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    pub location: String,
    pub code: String,
    pub state: String,
    pub page_status: u16,
    pub page_body: String,
}

pub struct World {
    pub sandbox: SandboxHandle,
    pub home: PathBuf,
    pub service: String,
    pub keychain: Arc<KeyringStore>,
    pub store: TokenStore,
    pub client: HubSpotClient,
    pub connector: Hubkey,
    pub standard_redirect: String,
    pub mcp_redirect: String,
}

impl World {
    /// A sandbox whose demo apps also accept a redirect URL on a free port (tests run in
    /// parallel), with auto-grant on: the authorize request answers with the redirect at once.
    pub async fn start(tag: &str) -> World {
        let standard_redirect = format!("http://localhost:{}/callback", free_port());
        let mcp_redirect = format!("http://localhost:{}/oauth/callback", free_port());
        let mut fixture = Fixture::demo();
        for app in &mut fixture.apps {
            if app.client_id == DEMO_STANDARD_CLIENT_ID {
                app.redirect_urls.push(standard_redirect.clone());
            }
            if app.client_id == DEMO_MCP_CLIENT_ID {
                app.redirect_urls.push(mcp_redirect.clone());
            }
        }
        let sandbox = Sandbox::start(fixture).await.unwrap();
        sandbox.update_switches(|s| s.auto_grant = true);
        let home = std::env::temp_dir().join(hubkey_testkit::unique(&format!("hubkey-e2e-{tag}")));
        let service = hubkey_testkit::unique(&format!("hubkey-test-{tag}"));
        let keychain =
            Arc::new(KeyringStore::new(service.clone()).unwrap_or_else(|e| panic!("{HOW_TO_RUN}: {e}")));
        keychain
            .self_test()
            .unwrap_or_else(|e| panic!("{HOW_TO_RUN}: {e}"));
        let store = TokenStore::new(keychain.clone(), home.clone());
        let endpoints = Endpoints::from_lookup(|k| match k {
            "HUBKEY_APP_BASE_URL" | "HUBKEY_API_BASE_URL" => Some(sandbox.base_url()),
            "HUBKEY_MCP_BASE_URL" => Some(sandbox.mcp_base_url()),
            _ => None,
        })
        .unwrap();
        let client = HubSpotClient::new(endpoints).unwrap();
        let connector = Hubkey::builder(client.clone(), store.clone()).build();
        World {
            sandbox,
            home,
            service,
            keychain,
            store,
            client,
            connector,
            standard_redirect,
            mcp_redirect,
        }
    }

    pub fn standard_app(&self) -> (AppConfig, ClientSecret) {
        let app = AppConfig {
            name: "demo".into(),
            client_id: DEMO_STANDARD_CLIENT_ID.into(),
            redirect_uri: self.standard_redirect.clone(),
            scopes: vec!["oauth".into(), "crm.objects.contacts.read".into()],
            optional_scopes: vec!["crm.objects.deals.read".into(), "automation".into()],
            kind: AppKind::Standard,
            pkce: true,
        };
        (
            app,
            ClientSecret::new(self.fixture_secret(DEMO_STANDARD_CLIENT_ID)),
        )
    }

    pub fn mcp_app(&self) -> (AppConfig, ClientSecret) {
        let app = AppConfig {
            name: "mcp".into(),
            client_id: DEMO_MCP_CLIENT_ID.into(),
            redirect_uri: self.mcp_redirect.clone(),
            scopes: vec![],
            optional_scopes: vec![],
            kind: AppKind::Mcp,
            pkce: true,
        };
        (app, ClientSecret::new(self.fixture_secret(DEMO_MCP_CLIENT_ID)))
    }

    pub fn fixture_secret(&self, client_id: &str) -> String {
        self.sandbox
            .fixture()
            .app(client_id)
            .unwrap()
            .client_secret
            .clone()
    }

    /// Removes every keychain entry the world may have written, and the home folder.
    pub async fn cleanup(self) {
        if let Ok(index) = self.store.index().await {
            for c in &index.connections {
                for g in 0..=index.last_generation {
                    let _ = self.keychain.delete(&SecretKey::AccessToken {
                        app: c.app.clone(),
                        hub_id: c.hub_id,
                        generation: g,
                    });
                    let _ = self.keychain.delete(&SecretKey::RefreshToken {
                        app: c.app.clone(),
                        hub_id: c.hub_id,
                        generation: g,
                    });
                }
            }
            for a in &index.apps {
                let _ = self
                    .keychain
                    .delete(&SecretKey::ClientSecret { app: a.name.clone() });
            }
        }
        let _ = std::fs::remove_dir_all(&self.home);
        self.sandbox.shutdown().await;
    }
}

/// A browser stand-in: opens the authorize URL without following redirects, checks that HubSpot
/// (the sandbox) redirected to the app's redirect URL, records code and state, then follows the
/// redirect to Hubkey's loopback listener and records the page it answered.
pub fn browser(seen: Arc<Mutex<Seen>>) -> impl FnOnce(&url::Url) -> hubkey_core::Result<()> {
    move |authorize: &url::Url| {
        let authorize = authorize.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let res = http.get(authorize.as_str()).send().await.unwrap();
            assert_eq!(
                res.status().as_u16(),
                302,
                "the sandbox should grant and redirect"
            );
            let location = res.headers()["location"].to_str().unwrap().to_string();
            let url = url::Url::parse(&location).unwrap();
            let get = |k: &str| {
                url.query_pairs()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            let (code, state) = (get("code"), get("state"));
            let page = http.get(&location).send().await.unwrap();
            let page_status = page.status().as_u16();
            let page_body = page.text().await.unwrap();
            *seen.lock().unwrap() = Seen {
                location,
                code,
                state,
                page_status,
                page_body,
            };
        });
        Ok(())
    }
}

/// Every file below `dir`, recursively, as bytes.
pub fn all_files(dir: &std::path::Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(all_files(&p));
            } else if let Ok(bytes) = std::fs::read(&p) {
                out.push((p, bytes));
            }
        }
    }
    out
}
