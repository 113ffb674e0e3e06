//! HubSpot's OAuth endpoints: authorize URL, code exchange, refresh, introspection, revocation.
//!
//! [`HubSpotClient`] wraps Hubkey's `reqwest` clients ([`crate::http`]: rustls, redirects never
//! followed, connect and overall timeouts, a Hubkey user agent, no proxy for a plain-http sandbox) and uses the `oauth2` crate for what it covers: PKCE,
//! `state`, the code exchange and the refresh (`client_secret_post`), and introspection. The
//! pieces oauth2 cannot express are done here directly, each with the reason beside it.
//!
//! Every failure becomes a crate [`Error`] through [`classify_failure`]; no error value and no log
//! line ever holds a response body, a token, a code, a verifier or the client secret. Logs carry
//! the endpoint path (never a query), the HTTP status, the duration and the classification.

mod authorize;
mod classify;
mod discovery;
mod revoke;
mod transport;
mod wire;

pub use authorize::{check_redirect_uri, new_pkce, new_state, pkce_challenge_s256, AuthorizeRequest};
pub use classify::{classify_failure, parse_retry_after, Operation};
pub use wire::{
    HubSpotErrorResponse, HubSpotIntrospectionFields, HubSpotIntrospectionResponse, HubSpotTokenFields,
    HubSpotTokenResponse, SignedAccessToken,
};

use crate::app::{AppConfig, AppKind};
use crate::config::{Endpoints, OAuthEndpoints};
use crate::error::{Error, Result};
use crate::secret::{AccessToken, AuthCode, ClientSecret, CsrfState, PkceVerifier, RefreshToken, Secret};
use crate::token::{Refreshed, TokenMetadata, TokenSet};
use authorize::check_endpoint_url;
use oauth2::basic::BasicTokenType;
use oauth2::http;
use oauth2::{
    AuthType, AuthorizationCode, ClientId, EndpointNotSet, EndpointSet, HttpRequest, HttpResponse,
    IntrospectionUrl, PkceCodeVerifier, RedirectUrl, RequestTokenError, StandardRevocableToken,
    TokenIntrospectionResponse, TokenResponse, TokenUrl,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use transport::Transport;
use url::Url;

/// Default time allowed to open a TCP+TLS connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for a whole request, body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The `User-Agent` Hubkey sends.
pub const USER_AGENT: &str = concat!(
    "Hubkey/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/hubkey/hubkey)"
);
/// Largest response body read from an OAuth endpoint (HubSpot's are well under 8 KiB).
const MAX_BODY: usize = 1 << 20;

/// oauth2's client, typed for HubSpot, with the endpoints a call needs set (built per call: cheap,
/// and the token host depends on the app kind).
type OAuthClient<HasIntrospection, HasToken> = oauth2::Client<
    HubSpotErrorResponse,
    HubSpotTokenResponse,
    HubSpotIntrospectionResponse,
    StandardRevocableToken,
    HubSpotErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    HasIntrospection,
    EndpointNotSet,
    HasToken,
>;

type OAuthError = RequestTokenError<Error, HubSpotErrorResponse>;

/// Builds a [`HubSpotClient`] with non-default timeouts (tests) or user agent.
#[derive(Debug, Clone)]
pub struct HubSpotClientBuilder {
    endpoints: Endpoints,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: String,
}

impl HubSpotClientBuilder {
    /// Time allowed to connect (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Time allowed for a whole request (default 30 s).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// The `User-Agent` header (default [`USER_AGENT`]).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Builds the client. The HTTP client inside is set up on the first request (see [`LazyHttp`]).
    pub fn build(self) -> Result<HubSpotClient> {
        Ok(HubSpotClient {
            endpoints: self.endpoints,
            mcp_endpoints: Arc::default(),
            http: LazyHttp {
                connect_timeout: self.connect_timeout,
                timeout: self.timeout,
                user_agent: self.user_agent,
                clients: Arc::default(),
            },
            timeout: self.timeout,
        })
    }
}

/// The HTTP clients ([`crate::http::HttpClients`]), built on the first request and then shared by every
/// clone. Building them loads the operating system's trusted roots (rustls-native-certs; on Debian one bundle
/// and ~290 files under /etc/ssl/certs), which most users of a [`HubSpotClient`] never need: `hubkey token`
/// with a fresh token, and the desktop app's start-up, make no request (docs/BENCHMARKS.md, finding 6).
#[derive(Debug, Clone)]
struct LazyHttp {
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: String,
    clients: Arc<OnceLock<std::result::Result<crate::http::HttpClients, String>>>,
}

impl LazyHttp {
    /// The client for a request to `url` (no proxy for plain http).
    fn for_url(&self, url: &Url) -> Result<&reqwest::Client> {
        self.clients
            .get_or_init(|| {
                crate::http::HttpClients::new(self.connect_timeout, self.timeout, &self.user_agent)
            })
            .as_ref()
            .map(|c| c.for_url(url))
            .map_err(|reason| Error::Config(reason.clone()))
    }
}

/// HubSpot's OAuth endpoints over one HTTP client.
#[derive(Debug, Clone)]
pub struct HubSpotClient {
    endpoints: Endpoints,
    /// The MCP host's endpoints once its metadata settled them ([`discovery`]), shared by clones.
    mcp_endpoints: Arc<tokio::sync::OnceCell<OAuthEndpoints>>,
    http: LazyHttp,
    timeout: Duration,
}

impl HubSpotClient {
    /// A client with the default timeouts.
    pub fn new(endpoints: Endpoints) -> Result<Self> {
        Self::builder(endpoints).build()
    }

    /// A builder, for non-default timeouts.
    pub fn builder(endpoints: Endpoints) -> HubSpotClientBuilder {
        HubSpotClientBuilder {
            endpoints,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            user_agent: USER_AGENT.to_owned(),
        }
    }

    /// The endpoints this client talks to.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The OAuth endpoints of an app kind. Standard apps: today's paths on the app and API hosts. MCP
    /// auth apps: what the MCP host's metadata says (RFC 9728, RFC 8414), read once per client, with
    /// today's paths as the fallback for anything it does not settle (see [`discovery`]).
    pub async fn oauth_endpoints(&self, kind: AppKind) -> OAuthEndpoints {
        if kind == AppKind::Standard {
            return self.endpoints.oauth_defaults(kind);
        }
        let Ok(http) = self.http.for_url(&self.endpoints.mcp_base) else {
            return self.endpoints.oauth_defaults(kind);
        };
        let settled = self
            .mcp_endpoints
            .get_or_try_init(|| async {
                match discovery::discover(http, &self.endpoints).await {
                    discovery::Discovery::Settled(e) => Ok(e),
                    discovery::Discovery::Temporary(e) => Err(e),
                }
            })
            .await;
        match settled {
            Ok(e) => e.clone(),
            Err(defaults) => defaults,
        }
    }

    /// As [`HubSpotClient::oauth_endpoints`] without asking anything: the MCP host's endpoints if
    /// they were settled already, else today's paths.
    pub fn known_oauth_endpoints(&self, kind: AppKind) -> OAuthEndpoints {
        match (kind, self.mcp_endpoints.get()) {
            (AppKind::Mcp, Some(e)) => e.clone(),
            _ => self.endpoints.oauth_defaults(kind),
        }
    }

    /// The authorize page of an app kind, with the preselected portal for standard apps (MCP auth
    /// apps: HubSpot picks the account, and redirects EU users to their region itself).
    fn authorize_page(&self, kind: AppKind, portal_id: Option<u64>) -> Url {
        match kind {
            AppKind::Mcp => self.known_oauth_endpoints(kind).authorize,
            AppKind::Standard => self.endpoints.authorize_url(kind, portal_id),
        }
    }

    /// Starts a sign-in: a fresh `state` and (when the app uses PKCE) a fresh S256 verifier, and
    /// the authorize URL carrying them. Refuses unsafe hosts, unservable redirect URLs and scope
    /// values that could smuggle parameters, before anything is built. The page is the one the
    /// client knows ([`HubSpotClient::known_oauth_endpoints`]): await
    /// [`HubSpotClient::oauth_endpoints`] first to read the MCP host's metadata
    /// ([`crate::Hubkey::login`] does).
    pub fn begin_authorization(&self, app: &AppConfig, portal_id: Option<u64>) -> Result<AuthorizeRequest> {
        let state = new_state();
        let (challenge, verifier) = match app.uses_pkce() {
            true => {
                let (c, v) = new_pkce();
                (Some(c), Some(v))
            }
            false => (None, None),
        };
        let url = self.authorize_url_with(app, &state, challenge.as_deref(), portal_id)?;
        Ok(AuthorizeRequest {
            url,
            state,
            pkce_verifier: verifier,
            redirect_uri: app.redirect_uri.clone(),
        })
    }

    /// The authorize URL for given `state` and S256 `challenge` (deterministic; for tests and for
    /// callers that manage their own values). `challenge` must be given exactly when the app uses
    /// PKCE.
    pub fn authorize_url_with(
        &self,
        app: &AppConfig,
        state: &CsrfState,
        challenge: Option<&str>,
        portal_id: Option<u64>,
    ) -> Result<Url> {
        authorize::build_authorize_url(self.authorize_page(app.kind, portal_id), app, state, challenge)
    }

    /// Exchanges an authorization code for tokens at the app kind's token endpoint (form body:
    /// `grant_type`, `code`, [`code_verifier`], `client_id`, `client_secret`, `redirect_uri`).
    /// `redirect_uri` is sent byte for byte as given: pass [`AuthorizeRequest::redirect_uri`].
    pub async fn exchange_code(
        &self,
        app: &AppConfig,
        client_secret: &ClientSecret,
        code: &AuthCode,
        redirect_uri: &str,
        pkce_verifier: Option<&PkceVerifier>,
        now: OffsetDateTime,
    ) -> Result<TokenSet> {
        let op = Operation::Exchange;
        check_redirect_uri(redirect_uri)?;
        if app.uses_pkce() && pkce_verifier.is_none() {
            return Err(Error::Config(format!(
                "the app {:?} uses PKCE but no verifier was given",
                app.name
            )));
        }
        let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| Error::UnservableRedirect {
            url: redirect_uri.to_owned(),
            reason: format!("not a URL ({e})"),
        })?;
        let client = self.token_client(app, client_secret).await?;
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.expose().to_owned()))
            .set_redirect_uri(std::borrow::Cow::Owned(redirect));
        if let Some(v) = pkce_verifier {
            request = request.set_pkce_verifier(PkceCodeVerifier::new(v.expose().to_owned()));
        }
        let send = Transport { client: self, op };
        let response = request
            .request_async(&send)
            .await
            .map_err(|e| self.map_oauth_error(op, e))?;
        let (tokens, _) = self.token_set(op, &response, None, now)?;
        Ok(tokens)
    }

    /// Refreshes the access token. When HubSpot returns no refresh token the old one is kept in
    /// the result; [`Refreshed::rotated`] says whether a different one came back.
    pub async fn refresh(
        &self,
        app: &AppConfig,
        client_secret: &ClientSecret,
        refresh_token: &RefreshToken,
        now: OffsetDateTime,
    ) -> Result<Refreshed> {
        let op = Operation::Refresh;
        let client = self.token_client(app, client_secret).await?;
        let rt = oauth2::RefreshToken::new(refresh_token.expose().to_owned());
        let send = Transport { client: self, op };
        let response = client
            .exchange_refresh_token(&rt)
            .request_async(&send)
            .await
            .map_err(|e| self.map_oauth_error(op, e))?;
        let (tokens, rotated) = self.token_set(op, &response, Some(refresh_token), now)?;
        Ok(Refreshed { tokens, rotated })
    }

    /// What HubSpot knows about an access token: POST form `token`, `token_type_hint=access_token`,
    /// `client_id`, `client_secret` (never the token in a URL, threat-model.md T16). `None` when
    /// HubSpot answers `{"active": false}` (unknown, expired or revoked).
    pub async fn introspect(
        &self,
        app: &AppConfig,
        client_secret: &ClientSecret,
        access_token: &AccessToken,
    ) -> Result<Option<TokenMetadata>> {
        self.introspect_as(app, client_secret, access_token.as_secret(), "access_token")
            .await
    }

    /// Introspection of `token` with this `token_type_hint` (`access_token` or `refresh_token`).
    async fn introspect_as(
        &self,
        app: &AppConfig,
        client_secret: &ClientSecret,
        token: &Secret,
        hint: &str,
    ) -> Result<Option<TokenMetadata>> {
        let op = Operation::Introspect;
        let url = self.oauth_endpoints(app.kind).await.introspect;
        check_endpoint_url(&url, "introspection endpoint")?;
        let client: OAuthClient<EndpointSet, EndpointNotSet> =
            oauth2::Client::new(ClientId::new(app.client_id.clone()))
                .set_client_secret(oauth2::ClientSecret::new(client_secret.expose().to_owned()))
                .set_auth_type(AuthType::RequestBody)
                .set_introspection_url(IntrospectionUrl::from_url(url));
        let token = oauth2::AccessToken::new(token.expose().to_owned());
        let send = Transport { client: self, op };
        let response = client
            .introspect(&token)
            .set_token_type_hint(hint)
            .request_async(&send)
            .await
            .map_err(|e| self.map_oauth_error(op, e))?;
        Ok(metadata(&response))
    }
    /// oauth2's client for the token endpoint of the app's kind, with `client_secret_post`.
    async fn token_client(
        &self,
        app: &AppConfig,
        client_secret: &ClientSecret,
    ) -> Result<OAuthClient<EndpointNotSet, EndpointSet>> {
        let url = self.oauth_endpoints(app.kind).await.token;
        check_endpoint_url(&url, "token endpoint")?;
        Ok(oauth2::Client::new(ClientId::new(app.client_id.clone()))
            .set_client_secret(oauth2::ClientSecret::new(client_secret.expose().to_owned()))
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(TokenUrl::from_url(url)))
    }
}

/// What [`HubSpotClient::revoke`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// HubSpot revoked the refresh token.
    Revoked,
    /// HubSpot no longer accepted it (already revoked, uninstalled or unknown): just as dead.
    AlreadyInvalid,
}

/// What one revocation endpoint said.
enum Answer {
    /// It revoked the token.
    Revoked,
    /// The token was already dead there (`invalid_grant`).
    Dead,
    /// HubSpot's generic `VALIDATION_ERROR`: dead, or a bad request (see [`HubSpotClient::revoke`]).
    Unclear(Error),
}

/// The introspection answer as [`TokenMetadata`]; `None` when the token is not active.
fn metadata(r: &HubSpotIntrospectionResponse) -> Option<TokenMetadata> {
    if !r.active() {
        return None;
    }
    let extra = r.extra_fields();
    let signed = extra.signed_access_token.clone().unwrap_or_default();
    let scopes = clean_list(
        extra
            .scopes
            .clone()
            .or_else(|| r.scopes().map(|s| s.iter().map(|s| s.to_string()).collect()))
            .unwrap_or_default(),
    );
    // Every text HubSpot sends is stored in the index and shown in terminals: no control characters.
    let clean = crate::text::strip_controls_opt;
    Some(TokenMetadata {
        hub_id: extra.hub_id,
        hub_domain: clean(extra.hub_domain.clone()),
        user: clean(extra.user.clone().or_else(|| r.username().map(str::to_owned))),
        user_id: extra.user_id,
        app_id: extra.app_id,
        client_id: clean(r.client_id().map(|c| c.as_str().to_owned())),
        scopes,
        expires_in: extra.expires_in,
        token_type: clean(r.token_type().map(|t| t.as_ref().to_ascii_lowercase())),
        token_use: clean(extra.token_use.clone()),
        is_user_level: signed.is_user_level,
        installing_user_id: signed.installing_user_id,
        hublet: clean(signed.hublet),
        is_private_distribution: extra.is_private_distribution,
    })
}

/// Scope names without control characters (empty ones dropped).
fn clean_list(v: Vec<String>) -> Vec<String> {
    v.into_iter()
        .filter_map(|s| crate::text::strip_controls_opt(Some(s)))
        .filter(|s| !s.trim().is_empty())
        .collect()
}

/// True for a non-empty string of printable ASCII without spaces: HubSpot's token alphabet.
pub fn is_token_text(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests;
