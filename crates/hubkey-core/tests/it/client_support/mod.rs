//! Shared helpers of the `client_*` integration tests: a sandbox, the demo apps as Hubkey sees
//! them, and the browser leg of a sign-in (auto-granted by the sandbox).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hubkey_core::app::{AppConfig, AppKind};
use hubkey_core::client::{AuthorizeRequest, HubSpotClient};
use hubkey_core::token::TokenSet;
use hubkey_core::{AuthCode, ClientSecret, ExposeSecret};
use hubspot_sandbox::{Fixture, Sandbox, SandboxHandle, DEMO_STANDARD_CLIENT_ID};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use url::Url;

/// A sandbox with `auto_grant` on (authorize answers 302 with a code at once).
pub async fn sandbox() -> SandboxHandle {
    let s = Sandbox::start(Fixture::demo()).await.expect("sandbox starts");
    s.update_switches(|sw| sw.auto_grant = true);
    s
}

pub use hubkey_testkit::{client, endpoints};

/// A client whose whole-request timeout is `timeout`.
pub fn client_with_timeout(s: &SandboxHandle, timeout: Duration) -> HubSpotClient {
    HubSpotClient::builder(endpoints(s))
        .timeout(timeout)
        .build()
        .unwrap()
}

/// The demo standard app (`Hubkey Demo`).
pub fn standard_app() -> AppConfig {
    AppConfig {
        name: "demo".into(),
        client_id: DEMO_STANDARD_CLIENT_ID.into(),
        redirect_uri: "http://localhost:3000/oauth-callback".into(),
        scopes: vec!["oauth".into(), "crm.objects.contacts.read".into()],
        optional_scopes: vec![
            "crm.objects.deals.read".into(),
            "automation".into(),
            "crm.objects.owners.read".into(),
        ],
        kind: AppKind::Standard,
        pkce: true,
    }
}

/// The demo MCP auth app (`Hubkey MCP`).
pub use hubkey_testkit::mcp_app;

/// The fixture's client secret of an app.
pub fn secret_of(s: &SandboxHandle, app: &AppConfig) -> ClientSecret {
    ClientSecret::new(s.fixture().app(&app.client_id).unwrap().client_secret.clone())
}

/// The browser leg: opens the authorize URL (sandbox auto-grants) and returns the code from the
/// 302, after checking the echoed `state`.
pub async fn authorize(
    client: &HubSpotClient,
    app: &AppConfig,
    portal: Option<u64>,
) -> (AuthorizeRequest, AuthCode) {
    let req = client.begin_authorization(app, portal).unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = browser.get(req.url.clone()).send().await.unwrap();
    assert_eq!(
        resp.status().as_u16(),
        302,
        "authorize should redirect: {}",
        resp.text().await.unwrap_or_default()
    );
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let loc = Url::parse(&location).unwrap();
    assert!(location.starts_with(&req.redirect_uri), "{location}");
    let q: Vec<(String, String)> = loc.query_pairs().into_owned().collect();
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("state").as_deref(), Some(req.state.expose()), "state echoed");
    let code = AuthCode::new(get("code").expect("a code"));
    (req, code)
}

/// A full sign-in: authorize, then exchange.
pub async fn sign_in(
    s: &SandboxHandle,
    client: &HubSpotClient,
    app: &AppConfig,
    portal: Option<u64>,
) -> TokenSet {
    let (req, code) = authorize(client, app, portal).await;
    client
        .exchange_code(
            app,
            &secret_of(s, app),
            &code,
            &req.redirect_uri,
            req.pkce_verifier.as_ref(),
            now(),
        )
        .await
        .unwrap()
}

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Asserts that none of `secrets` appears in `shown`.
pub fn assert_hidden(shown: &str, secrets: &[&dyn ExposeSecret]) {
    for s in secrets {
        assert!(
            !shown.contains(s.expose_secret()),
            "a secret leaked into: {shown}"
        );
    }
}

/// Captures `hubkey*` tracing output at TRACE, process-wide, into one shared buffer. Global
/// rather than `set_default`: tracing caches callsite interest across threads, so a thread-local
/// subscriber misses events when tests run in parallel. Every test in the binary writes into the
/// buffer, which only makes "no secret in the logs" checks stricter.
pub fn capture_logs() -> Arc<Mutex<Vec<u8>>> {
    static BUF: std::sync::OnceLock<Arc<Mutex<Vec<u8>>>> = std::sync::OnceLock::new();
    BUF.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = BufWriter(Arc::clone(&buf));
        let targets: tracing_subscriber::filter::Targets =
            "hubkey=trace,hubkey_core=trace".parse().expect("valid targets");
        let subscriber = tracing_subscriber::layer::SubscriberExt::with(
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .finish(),
            targets,
        );
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
        buf
    })
    .clone()
}

#[derive(Clone)]
struct BufWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for BufWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
