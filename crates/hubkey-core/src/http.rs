//! Every HTTP client Hubkey makes (the OAuth endpoints in [`crate::client`], the MCP check and doctor in
//! [`crate::mcp`] and [`crate::doctor`]): redirects never followed, connect and overall timeouts, rustls with
//! the operating system's roots, and proxies only where they cannot read a secret.
//!
//! * **https** goes through the proxy the system names: `HTTPS_PROXY` / `ALL_PROXY` / `NO_PROXY`, and on
//!   macOS and Windows the system proxy settings (reqwest's `system-proxy`). A company proxy sees only a
//!   TLS tunnel (`CONNECT host:443`); one that inspects TLS must have its CA in the system store, which
//!   rustls-native-certs trusts.
//! * **plain http** (only ever a loopback sandbox: [`crate::config::parse_base_url`] refuses plain http
//!   anywhere else) never goes through any proxy. An `HTTP_PROXY` would otherwise receive each refresh's
//!   client secret and refresh token in clear (docs/SECURITY.md, finding 5).
//!
//! So there are two clients, chosen per request by [`HttpClients::for_url`]; the direct one loads no TLS
//! roots (it never speaks TLS), so it costs next to nothing to build.

use std::time::Duration;
use url::Url;

/// The two clients behind every request (see the module docs). Cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpClients {
    /// For https: system proxies.
    proxied: reqwest::Client,
    /// For plain http (loopback): no proxy, ever.
    direct: reqwest::Client,
}

impl HttpClients {
    /// Builds both clients. `Err` is the reason (for [`crate::Error::Config`]).
    pub fn new(connect_timeout: Duration, timeout: Duration, user_agent: &str) -> Result<Self, String> {
        let base = || {
            reqwest::Client::builder()
                // A 3xx from an OAuth endpoint is an error, never followed (threat-model.md T2, SSRF).
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(connect_timeout)
                .timeout(timeout)
                .user_agent(user_agent)
                .use_rustls_tls()
        };
        let err = |e: reqwest::Error| format!("could not set up HTTPS ({})", e.without_url());
        Ok(Self {
            // No `.proxy(…)`/`.no_proxy()`: reqwest then asks the system (env variables, and the OS settings
            // with the `system-proxy` feature).
            proxied: base().build().map_err(err)?,
            direct: base()
                .no_proxy()
                .tls_built_in_root_certs(false)
                .build()
                .map_err(err)?,
        })
    }

    /// The client for `url`: direct for plain http, through the system's proxy for anything else.
    pub fn for_url(&self, url: &Url) -> &reqwest::Client {
        if url.scheme() == "http" {
            &self.direct
        } else {
            &self.proxied
        }
    }

    /// A GET of `url` on [`HttpClients::for_url`]'s client.
    pub fn get(&self, url: Url) -> reqwest::RequestBuilder {
        self.for_url(&url).get(url)
    }

    /// A POST to `url` on [`HttpClients::for_url`]'s client.
    pub fn post(&self, url: Url) -> reqwest::RequestBuilder {
        self.for_url(&url).post(url)
    }
}

/// The `Authorization` header for `token` (`Bearer …`, from [`AccessToken::bearer_header`]), marked
/// sensitive so that HTTP debug output never shows it. A token with bytes a header cannot carry
/// (never one HubSpot issued: the client refuses those, `is_token_text`) becomes a placeholder the
/// server refuses.
pub fn bearer(token: &crate::secret::AccessToken) -> reqwest::header::HeaderValue {
    let mut value = reqwest::header::HeaderValue::from_str(token.bearer_header().expose())
        .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static("Bearer invalid"));
    value.set_sensitive(true);
    value
}
