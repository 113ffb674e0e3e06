//! A faithful local emulator of HubSpot's OAuth surface, run as a real HTTP server on loopback.
//!
//! Hubkey's OAuth client must cope with everything HubSpot does: HTML error pages that never
//! redirect, exact redirect-URL matching, scope-set rules, single-use codes, token-endpoint error
//! bodies, refresh-token revocation, 429s and dropped connections. Testing that against the real
//! HubSpot is slow, flaky and needs accounts, so this crate implements `docs/hubspot-oauth.md`
//! §9 ("Emulator blueprint") as a server with two listeners:
//!
//! - the **base** listener ([`SandboxHandle::base_url`]) plays both `app.hubspot.com` (authorize,
//!   account picker, consent page) and `api.hubapi.com` (token, introspect, revoke, v1 metadata,
//!   a protected-API stub), plus the `/_sandbox/` control API (see [`control`]);
//! - the **MCP** listener ([`SandboxHandle::mcp_base_url`]) plays `mcp.hubspot.com`.
//!
//! It serves three audiences: hubkey-core integration tests (in-process, through
//! [`SandboxHandle`]), CLI and WebDriver e2e tests in other processes (through `/_sandbox/`), and
//! people trying Hubkey without a HubSpot account (the `hubspot-sandbox` binary).
//!
//! Where the spec is UNCERTAIN, the module docs say which behaviour was picked.
//!
//! ```no_run
//! # async fn demo() -> Result<(), hubspot_sandbox::SandboxError> {
//! use hubspot_sandbox::{Fixture, Sandbox};
//! let sandbox = Sandbox::start(Fixture::demo()).await?;
//! let base = sandbox.base_url(); // HUBKEY_APP_BASE_URL and HUBKEY_API_BASE_URL
//! sandbox.update_switches(|s| s.auto_grant = true);
//! // … drive a client, then:
//! assert_eq!(sandbox.count("/token", Some("refresh_token")), 0);
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

mod api;
mod authorize;
pub mod control;
mod errors;
mod faults;
mod fixture;
mod introspect;
mod log;
mod mcp;
mod net;
mod pages;
mod scopes;
mod state;
mod token;

pub use faults::{Fault, FaultPlan, RandomFaults};
pub use fixture::{
    AppFixture, AppKind, Fixture, InstallBlock, PortalFixture, UserFixture, DEMO_EU_USER, DEMO_MCP_CLIENT_ID,
    DEMO_PRO_HUB_ID, DEMO_STANDARD_CLIENT_ID, DEMO_STARTER_HUB_ID, DEMO_USER_LEVEL_CLIENT_ID,
};
pub use log::LoggedRequest;
pub use mcp::MCP_PROTOCOL_VERSION;
pub use scopes::{is_known_scope, known_scopes};
pub use state::{Listener, McpMetadata, RevokeDeadToken, Switches, Tokens};

use net::{ConnHandle, KillableListener};
use state::Shared;

/// Errors of starting or driving a sandbox.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// A listener could not be bound.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// Refused to bind anything but a loopback address.
    #[error("refusing to listen on non-loopback address {0}: the sandbox holds no real secrets but must stay local")]
    NotLoopback(SocketAddr),
    /// The fixture file could not be read.
    #[error("cannot read fixture {path}: {source}")]
    FixtureIo {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The fixture file is not valid fixture JSON.
    #[error("invalid fixture JSON in {path}: {source}")]
    FixtureJson {
        /// The file.
        path: String,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The fixture breaks a rule HubSpot enforces on configuration.
    #[error("invalid fixture: {0}")]
    InvalidFixture(String),
    /// No app with this client id.
    #[error("unknown app {0}")]
    UnknownApp(String),
    /// No (live) portal with this hub id.
    #[error("unknown portal {0}")]
    UnknownPortal(u64),
    /// No user with this e-mail in the portal.
    #[error("unknown user {0:?}")]
    UnknownUser(String),
}

/// Router state: the shared world plus which listener a request arrived on.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub shared: Arc<Shared>,
    pub listener: Listener,
}

/// Starts sandboxes.
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// Starts a sandbox on two ephemeral loopback ports (`127.0.0.1:0`).
    pub async fn start(fixture: Fixture) -> Result<SandboxHandle, SandboxError> {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        Sandbox::start_on(any, any, fixture).await
    }

    /// Starts a sandbox on the given loopback addresses (port 0 picks a free port).
    pub async fn start_on(
        api_addr: SocketAddr,
        mcp_addr: SocketAddr,
        fixture: Fixture,
    ) -> Result<SandboxHandle, SandboxError> {
        fixture.validate()?;
        let api_listener = bind(api_addr).await?;
        let mcp_listener = bind(mcp_addr).await?;
        let local = |l: &TcpListener, addr| {
            l.local_addr()
                .map_err(|source| SandboxError::Bind { addr, source })
        };
        let api_addr = local(&api_listener, api_addr)?;
        let mcp_addr = local(&mcp_listener, mcp_addr)?;
        let shared = Arc::new(Shared::new(
            fixture,
            format!("http://{api_addr}"),
            format!("http://{mcp_addr}"),
        ));

        let (stop_tx, stop_rx) = watch::channel(());
        let tasks = vec![
            serve(api_listener, api_router(&shared), stop_rx.clone()),
            serve(mcp_listener, mcp_router(&shared), stop_rx),
        ];
        tracing::info!(%api_addr, %mcp_addr, "hubspot sandbox listening");
        Ok(SandboxHandle {
            shared,
            api_addr,
            mcp_addr,
            stop: Some(stop_tx),
            tasks,
        })
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, SandboxError> {
    if !addr.ip().is_loopback() {
        return Err(SandboxError::NotLoopback(addr));
    }
    TcpListener::bind(addr)
        .await
        .map_err(|source| SandboxError::Bind { addr, source })
}

fn serve(listener: TcpListener, router: Router, mut stop: watch::Receiver<()>) -> JoinHandle<()> {
    let service = router.into_make_service_with_connect_info::<ConnHandle>();
    let server = axum::serve(KillableListener(listener), service).with_graceful_shutdown(async move {
        // Resolves when the handle sends or is dropped.
        let _ = stop.changed().await;
    });
    tokio::spawn(async move {
        if let Err(err) = server.into_future().await {
            tracing::warn!("sandbox listener stopped: {err}");
        }
    })
}

fn api_router(shared: &Arc<Shared>) -> Router {
    let ctx = Ctx {
        shared: Arc::clone(shared),
        listener: Listener::Api,
    };
    Router::new()
        .route("/", get(index))
        // App host: authorize and consent.
        .route("/oauth/authorize", get(authorize::authorize))
        .route("/oauth/{segment}/authorize", get(authorize::authorize_for_portal))
        .route("/oauth/authorize/grant", post(authorize::grant))
        // API host: OAuth endpoints.
        .route("/oauth/{segment}/token", post(token::token))
        .route("/oauth/{segment}/token/introspect", post(introspect::introspect))
        .route("/oauth/{segment}/token/revoke", post(introspect::revoke))
        .route(
            "/oauth/v1/access-tokens/{token}",
            get(introspect::v1_access_token),
        )
        .route(
            "/oauth/v1/refresh-tokens/{token}",
            get(introspect::v1_refresh_token).delete(introspect::v1_delete_refresh_token),
        )
        // API host: protected API stub.
        .route("/account-info/{version}/details", get(api::account_details))
        .route("/crm/v3/objects/contacts", get(api::contacts))
        .route("/crm/v3/owners", get(api::owners))
        .route(
            "/appinstalls/{version}/external-install",
            axum::routing::delete(api::external_uninstall),
        )
        .merge(control::routes())
        .fallback(fallback)
        .layer(axum::middleware::from_fn_with_state(ctx.clone(), log::record))
        .with_state(ctx)
}

/// The MCP host's OAuth routes (authorize, consent, token, introspect, revoke), served at the root
/// and again under [`mcp::RELOCATED`] (for the `relocated` metadata switch).
fn mcp_oauth_routes() -> Router<Ctx> {
    Router::new()
        .route("/oauth/authorize/user", get(authorize::authorize))
        .route(
            "/oauth/{segment}/authorize/user",
            get(authorize::authorize_for_portal),
        )
        .route("/oauth/authorize/user/grant", post(authorize::grant))
        .route("/oauth/{segment}/token", post(token::token))
        .route("/oauth/{segment}/token/introspect", post(introspect::introspect))
        .route("/oauth/{segment}/token/revoke", post(introspect::revoke))
        // The regional MCP host (`mcp-eu1…`), emulated by a path prefix (authorize.rs).
        .route(
            "/{region}/oauth/{segment}/authorize/user",
            get(authorize::authorize_regional),
        )
}

fn mcp_router(shared: &Arc<Shared>) -> Router {
    let ctx = Ctx {
        shared: Arc::clone(shared),
        listener: Listener::Mcp,
    };
    Router::new()
        .route("/", post(mcp::endpoint))
        .route(
            "/.well-known/oauth-authorization-server",
            get(mcp::authorization_server),
        )
        .route(
            "/.well-known/oauth-authorization-server/relocated",
            get(mcp::relocated_authorization_server),
        )
        .route(
            "/.well-known/oauth-protected-resource",
            get(mcp::protected_resource),
        )
        .merge(mcp_oauth_routes())
        .nest(mcp::RELOCATED, mcp_oauth_routes())
        .fallback(fallback)
        .layer(axum::middleware::from_fn_with_state(ctx.clone(), log::record))
        .with_state(ctx)
}

async fn fallback() -> axum::response::Response {
    errors::not_found()
}

async fn index(axum::extract::State(ctx): axum::extract::State<Ctx>) -> axum::response::Response {
    let inner = ctx.shared.lock();
    let apps: Vec<pages::IndexApp> = inner
        .fixture
        .apps
        .iter()
        .map(|a| {
            let redirect = a.redirect_urls.first().cloned().unwrap_or_default();
            let try_href = (a.kind == AppKind::Standard).then(|| {
                let query = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("client_id", &a.client_id)
                    .append_pair("redirect_uri", &redirect)
                    .append_pair("scope", &a.required_scopes.join(" "))
                    .finish();
                format!("/oauth/authorize?{query}")
            });
            pages::IndexApp {
                name: a.name.clone(),
                client_id: a.client_id.clone(),
                kind: format!("{:?}", a.kind),
                redirect_urls: a.redirect_urls.clone(),
                try_href,
            }
        })
        .collect();
    pages::index_page(&ctx.shared.base_url, &ctx.shared.mcp_base_url, &apps)
}

/// A running sandbox. Dropping it stops the servers; [`SandboxHandle::shutdown`] also waits.
#[derive(Debug)]
pub struct SandboxHandle {
    shared: Arc<Shared>,
    api_addr: SocketAddr,
    mcp_addr: SocketAddr,
    stop: Option<watch::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT`: both the app host (authorize, consent) and the API host (token,
    /// introspect, revoke, v1, protected stub). Set `HUBKEY_APP_BASE_URL` and
    /// `HUBKEY_API_BASE_URL` to it.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// `http://127.0.0.1:PORT` of the listener emulating `mcp.hubspot.com`.
    pub fn mcp_base_url(&self) -> String {
        self.shared.mcp_base_url.clone()
    }

    /// The bound address of the base listener.
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// The bound address of the MCP listener.
    pub fn mcp_addr(&self) -> SocketAddr {
        self.mcp_addr
    }

    /// The fixture the sandbox runs with.
    pub fn fixture(&self) -> Fixture {
        self.shared.lock().fixture.clone()
    }

    /// The current switches.
    pub fn switches(&self) -> Switches {
        self.shared.lock().switches.clone()
    }

    /// Replaces the switches (re-seeds random faults).
    pub fn set_switches(&self, switches: Switches) {
        self.shared.lock().set_switches(switches);
    }

    /// Changes the switches in place, e.g. `h.update_switches(|s| s.rotate_refresh_tokens = true)`.
    pub fn update_switches(&self, change: impl FnOnce(&mut Switches)) {
        let mut inner = self.shared.lock();
        let mut switches = inner.switches.clone();
        change(&mut switches);
        inner.set_switches(switches);
    }

    /// Every request received so far (except `/_sandbox/` ones), oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.lock().log.clone()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.shared.lock().log.clear();
    }

    /// How many logged requests have a path ending with `path_suffix` and, if given, this
    /// `grant_type`. E.g. `count("/token", Some("refresh_token"))` counts refreshes on all versions.
    pub fn count(&self, path_suffix: &str, grant_type: Option<&str>) -> usize {
        control::count(&self.shared, path_suffix, grant_type)
    }

    /// Moves sandbox time forward: codes and access tokens expire, rate-limit windows roll.
    pub fn advance_clock(&self, secs: u64) {
        self.shared.lock().advance_clock(secs);
    }

    /// The user uninstalls the app from the account: all its refresh tokens there stop working
    /// (`BAD_REFRESH_TOKEN`). Access tokens already issued keep working until they expire
    /// (UNCERTAIN; consistent with revoke). Returns how many refresh tokens were revoked.
    pub fn uninstall(&self, client_id: &str, hub_id: u64) -> usize {
        self.shared.lock().uninstall(client_id, hub_id)
    }

    /// The account is deleted: refreshes answer `BAD_HUB`/`access_denied`, its access tokens
    /// become unknown (401), introspection says `active:false`, and it leaves the account picker.
    pub fn delete_portal(&self, hub_id: u64) {
        control::delete_portal(&self.shared, hub_id);
    }

    /// Mints tokens without the browser, as if `user_email` (default: the account's first user) had
    /// installed the app. Grants the app's required and optional scopes, minus those the account
    /// (and, for user-level apps, the user) lacks.
    pub fn issue_tokens_directly(
        &self,
        client_id: &str,
        hub_id: u64,
        user_email: Option<&str>,
    ) -> Result<Tokens, SandboxError> {
        control::issue_tokens(&self.shared, client_id, hub_id, user_email)
    }

    /// Stops both listeners and waits (up to 5 s) for them to finish.
    pub async fn shutdown(mut self) {
        drop(self.stop.take());
        for task in std::mem::take(&mut self.tasks) {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task).await.is_err() {
                abort.abort();
            }
        }
    }
}
