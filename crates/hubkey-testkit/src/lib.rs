//! What Hubkey's test suites share, so that each suite reads as its specification: throw-away homes, unique
//! names (keychain services run in parallel), free loopback ports, the sandbox's endpoints and demo apps, and
//! waiting for a private Secret Service to come up. Dev-only: no shipped crate depends on it.
//!
//! Failing loudly is the point here: a helper that cannot do its job panics, and the test fails with why.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hubkey_core::app::{AppConfig, AppKind};
use hubkey_core::client::HubSpotClient;
use hubkey_core::config::Endpoints;
use hubspot_sandbox::{Fixture, SandboxHandle, DEMO_MCP_CLIENT_ID, DEMO_STANDARD_CLIENT_ID};
use url::Url;

/// A TCP port free on 127.0.0.1 right now (bound, then released), and on ::1 where the machine has IPv6.
///
/// Picked at random from 20000–32767, below Linux's ephemeral range (32768–60999), not by binding port 0: a
/// port the kernel hands out for `:0` comes from the same range as the source ports of every outgoing
/// connection, so a port a test freed could be taken by some other test's client connection before the
/// test binds it again (seen in CI as `doctor` finding a test app's redirect port busy).
pub fn free_port() -> u16 {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    loop {
        let port = rng.gen_range(20_000..32_768);
        let Ok(v4) = std::net::TcpListener::bind(("127.0.0.1", port)) else {
            continue;
        };
        match std::net::TcpListener::bind(("::1", port)) {
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
            _ => {}
        }
        drop(v4);
        return port;
    }
}

/// A loopback URL on which nothing listens (a [`free_port`], not bound): `(url, "127.0.0.1:port")`.
pub fn closed_port_url() -> (Url, String) {
    let port = free_port();
    (
        Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
        format!("127.0.0.1:{port}"),
    )
}

static SEQ: AtomicU64 = AtomicU64::new(0);

/// `{tag}-{pid}-{n}-{random}`: a name no other test of any process uses (keychain services, folders).
pub fn unique(tag: &str) -> String {
    format!(
        "{tag}-{}-{}-{:08x}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst),
        rand::random::<u32>()
    )
}

/// A throw-away Hubkey home folder under the system's temp folder, not created yet (Hubkey creates it, as it
/// would on a first run), removed on drop.
#[derive(Debug)]
pub struct TempHome(PathBuf);

impl TempHome {
    pub fn new(tag: &str) -> Self {
        Self(
            std::env::temp_dir()
                .join(unique(&format!("hubkey-{tag}")))
                .join("home"),
        )
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Every file name in the home folder (not recursive), sorted.
    pub fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = match std::fs::read_dir(&self.0) {
            Ok(rd) => rd
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        };
        v.sort();
        v
    }
}

impl Drop for TempHome {
    fn drop(&mut self) {
        if let Some(parent) = self.0.parent() {
            let _ = std::fs::remove_dir_all(parent);
        }
    }
}

/// The sandbox's endpoints, as `HUBKEY_*_BASE_URL` would point Hubkey at them.
pub fn endpoints(s: &SandboxHandle) -> Endpoints {
    Endpoints {
        app_base: Url::parse(&s.base_url()).unwrap(),
        api_base: Url::parse(&s.base_url()).unwrap(),
        mcp_base: Url::parse(&s.mcp_base_url()).unwrap(),
    }
}

/// A client of the sandbox, with a 10 s request timeout.
pub fn client(s: &SandboxHandle) -> HubSpotClient {
    HubSpotClient::builder(endpoints(s))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Makes the fixture app `client_id` accept `redirect` too (tests run in parallel, each on its own port).
pub fn accept_redirect(fixture: &mut Fixture, client_id: &str, redirect: &str) {
    fixture
        .apps
        .iter_mut()
        .find(|a| a.client_id == client_id)
        .unwrap_or_else(|| panic!("no fixture app {client_id}"))
        .redirect_urls
        .push(redirect.to_string());
}

/// The demo fixture, its standard app accepting `http://localhost:{port}/callback` too.
pub fn demo_fixture_on(port: u16) -> Fixture {
    let mut fixture = Fixture::demo();
    accept_redirect(
        &mut fixture,
        DEMO_STANDARD_CLIENT_ID,
        &format!("http://localhost:{port}/callback"),
    );
    fixture
}

/// The sandbox's demo MCP auth app (`Hubkey MCP`), as Hubkey registers it.
pub fn mcp_app() -> AppConfig {
    AppConfig {
        name: "mcp".into(),
        client_id: DEMO_MCP_CLIENT_ID.into(),
        redirect_uri: "http://localhost:53683/callback".into(),
        scopes: Vec::new(),
        optional_scopes: Vec::new(),
        kind: AppKind::Mcp,
        pkce: true,
    }
}

/// Waits until the Secret Service (`org.freedesktop.secrets`) has an owner on the session bus at `address`
/// (`None`: the session bus of the environment); panics after `within`.
pub fn wait_for_secret_service(address: Option<&str>, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let bus = match address {
            Some(a) => format!("--bus={a}"),
            None => "--session".to_string(),
        };
        let out = Command::new("dbus-send")
            .arg(bus)
            .args([
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&out.stdout).contains("boolean true") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "gnome-keyring did not take org.freedesktop.secrets"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
