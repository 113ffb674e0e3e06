//! The sandbox's mutable world: switches, clock, pending consents, codes, tokens and the request log.
//!
//! Everything lives behind one `std::sync::Mutex` that is never held across an `.await`: handlers
//! lock, read or change what they need, and unlock before building the response. One lock keeps the
//! rules easy to reason about (a code is consumed exactly once, a rotation is atomic) and the
//! emulator is nowhere near lock-bound.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::faults::{FaultPlan, FaultRng};
use crate::fixture::{AppFixture, AppKind, Fixture, PortalFixture, UserFixture};
use crate::log::LoggedRequest;

/// Behaviour knobs, changeable at run time ([`crate::SandboxHandle::set_switches`] or
/// `PUT /_sandbox/switches`). Every field has a default, so a JSON object may name only some.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Switches {
    /// Issue a new refresh token on every refresh and invalidate the old one. Default `false`,
    /// matching what the community observed on v1 and 2026-03 (hubspot-oauth.md §2.4).
    pub rotate_refresh_tokens: bool,
    /// `expires_in` of new access tokens. Default 1800 (§5.1).
    pub access_token_ttl_secs: u64,
    /// Lifetime of authorization codes. Default 300 (§1.7: "short window", ≤ 5 min assumed).
    pub code_ttl_secs: u64,
    /// Skip the consent page: authorize answers 302 to the redirect with a code at once, as the
    /// `login_as` user on the preselected portal (or the user's first portal). For API-level tests.
    pub auto_grant: bool,
    /// E-mail of the "signed-in" HubSpot user; `None` means the first user of the first portal.
    pub login_as: Option<String>,
    /// The consent step answers with `error=access_denied` instead of a code. HubSpot documents no
    /// such redirect (§1.6: "no request will be sent"), so this mode is UNCERTAIN by design.
    pub deny: bool,
    /// Faults for the token, introspect and revoke endpoints.
    pub faults: FaultPlan,
    /// Protected-API limit per hub per rolling 10 s (§5.3; 110 for Marketplace OAuth apps). 0 disables.
    pub api_rate_limit_per_10s: u32,
    /// What the MCP host's OAuth metadata documents look like (RFC 9728, RFC 8414).
    pub mcp_metadata: McpMetadata,
    /// What revoking a refresh token HubSpot does not know (unknown or already revoked) answers.
    pub revoke_dead_token: RevokeDeadToken,
}

/// How the MCP host serves `/.well-known/oauth-protected-resource` and
/// `/.well-known/oauth-authorization-server`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McpMetadata {
    /// As HubSpot's (hubspot-oauth.md, Corrections of 2026-12-02): the host is its own authorization
    /// server, with today's paths. The default.
    #[default]
    Served,
    /// Both documents answer 404.
    Missing,
    /// Both documents answer 200 with a body that is not JSON.
    Malformed,
    /// The authorization-server document points every endpoint at `http://mcp.example.invalid`
    /// (plain http, not loopback): a client must not use them.
    Unsafe,
    /// The protected resource names the authorization server `{mcp}/relocated`, whose document
    /// (`/.well-known/oauth-authorization-server/relocated`, RFC 8414 §3.1) lists endpoints under
    /// `{mcp}/relocated/oauth/…`, which the MCP listener also serves: a client that reads the
    /// metadata calls those.
    Relocated,
}

/// The answer of `…/token/revoke` for a refresh token that is unknown or already revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeDeadToken {
    /// 200, as RFC 7009 §2.2 asks (the default; UNCERTAIN for HubSpot).
    #[default]
    Ok,
    /// 400 `invalid_grant` / `BAD_REFRESH_TOKEN`, HubSpot's token-endpoint shape (§2.6).
    InvalidGrant,
    /// 400 with the generic `VALIDATION_ERROR` body of HubSpot's revoke reference (§4.3).
    ValidationError,
}

impl Default for Switches {
    fn default() -> Self {
        Switches {
            rotate_refresh_tokens: false,
            access_token_ttl_secs: 1800,
            code_ttl_secs: 300,
            auto_grant: false,
            login_as: None,
            deny: false,
            faults: FaultPlan::default(),
            api_rate_limit_per_10s: 110,
            mcp_metadata: McpMetadata::Served,
            revoke_dead_token: RevokeDeadToken::Ok,
        }
    }
}

/// Tokens as returned by the token endpoint (hubspot-oauth.md §2.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    /// Always `"bearer"` (lowercase) in token responses.
    pub token_type: String,
    /// Opaque bearer token.
    pub access_token: String,
    /// `{hublet}-xxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The installing account.
    pub hub_id: u64,
    /// Granted scopes, including the granted optional ones.
    pub scopes: Vec<String>,
    /// Always `"access_token"`.
    pub token_use: String,
    /// The installing user.
    pub user_id: u64,
}

/// Which listener (and so which authorize flow) something belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Listener {
    /// The app + API listener (`base_url`).
    Api,
    /// The MCP listener (`mcp_base_url`).
    Mcp,
}

/// What an installation granted: the facts every code and token of that install carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    pub client_id: String,
    pub app_id: u64,
    pub hub_id: u64,
    pub hub_domain: String,
    pub hublet: String,
    pub user_id: u64,
    pub user_email: String,
    pub scopes: Vec<String>,
    pub is_user_level: bool,
    pub is_private_distribution: bool,
}

impl Grant {
    pub(crate) fn new(
        app: &AppFixture,
        portal: &PortalFixture,
        user: &UserFixture,
        scopes: Vec<String>,
    ) -> Grant {
        Grant {
            client_id: app.client_id.clone(),
            app_id: app.app_id,
            hub_id: portal.hub_id,
            hub_domain: portal.hub_domain.clone(),
            hublet: portal.hublet.clone(),
            user_id: user.user_id,
            user_email: user.email.clone(),
            scopes,
            is_user_level: app.is_user_level || app.kind == AppKind::Mcp,
            is_private_distribution: app.is_private_distribution(),
        }
    }
}

/// A consent page waiting for its "Grant access" click. Kept server-side so the form carries only
/// an id, never the request parameters.
#[derive(Debug, Clone)]
pub(crate) struct PendingConsent {
    pub listener: Listener,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub grant: Grant,
    pub expires_at_ms: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct AuthCode {
    pub grant: Grant,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub expires_at_ms: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct AccessRecord {
    pub grant: Grant,
    pub expires_at_ms: u64,
}

/// Result of looking up a bearer access token.
#[derive(Debug)]
pub(crate) enum AccessLookup {
    Valid(AccessRecord),
    /// Expired this many milliseconds ago.
    Expired(u64),
    Unknown,
}

/// The shared state of one running sandbox.
#[derive(Debug)]
pub(crate) struct Shared {
    inner: Mutex<Inner>,
    /// `http://127.0.0.1:PORT` of the app + API listener.
    pub base_url: String,
    /// `http://127.0.0.1:PORT` of the MCP listener.
    pub mcp_base_url: String,
}

impl Shared {
    pub(crate) fn new(fixture: Fixture, base_url: String, mcp_base_url: String) -> Shared {
        let switches = Switches::default();
        Shared {
            inner: Mutex::new(Inner {
                fault_rng: FaultRng::for_plan(&switches.faults),
                switches,
                fixture,
                clock_offset_ms: 0,
                pending: HashMap::new(),
                codes: HashMap::new(),
                access: HashMap::new(),
                refresh: HashMap::new(),
                deleted_portals: HashSet::new(),
                log: Vec::new(),
                rate_windows: HashMap::new(),
                last_sweep_ms: 0,
            }),
            base_url,
            mcp_base_url,
        }
    }

    /// Locks the state. A poisoned lock is taken over: the data is plain maps, always consistent
    /// between statements, and a test helper that panicked must not wedge the whole sandbox.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub fixture: Fixture,
    pub switches: Switches,
    pub fault_rng: FaultRng,
    clock_offset_ms: u64,
    pub pending: HashMap<String, PendingConsent>,
    pub codes: HashMap<String, AuthCode>,
    pub access: HashMap<String, AccessRecord>,
    pub refresh: HashMap<String, Grant>,
    pub deleted_portals: HashSet<u64>,
    pub log: Vec<LoggedRequest>,
    rate_windows: HashMap<u64, VecDeque<u64>>,
    last_sweep_ms: u64,
}

impl Inner {
    /// Sandbox time: wall-clock time plus everything [`Inner::advance_clock`] added.
    pub(crate) fn now_ms(&self) -> u64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        wall.saturating_add(self.clock_offset_ms)
    }

    pub(crate) fn advance_clock(&mut self, secs: u64) {
        self.clock_offset_ms = self.clock_offset_ms.saturating_add(secs.saturating_mul(1000));
    }

    pub(crate) fn set_switches(&mut self, switches: Switches) {
        self.fault_rng = FaultRng::for_plan(&switches.faults);
        self.switches = switches;
    }

    /// The fault for the current faultable request, if any.
    pub(crate) fn take_fault(&mut self) -> Option<crate::faults::Fault> {
        let Inner {
            fault_rng, switches, ..
        } = self;
        fault_rng.take(&mut switches.faults)
    }

    pub(crate) fn portal_alive(&self, hub_id: u64) -> bool {
        !self.deleted_portals.contains(&hub_id) && self.fixture.portal(hub_id).is_some()
    }

    /// Mints an access token for a grant.
    pub(crate) fn mint_access(&mut self, grant: &Grant) -> (String, u64) {
        let ttl = self.switches.access_token_ttl_secs;
        let token = new_access_token();
        let expires_at_ms = self.now_ms().saturating_add(ttl.saturating_mul(1000));
        self.access.insert(
            token.clone(),
            AccessRecord {
                grant: grant.clone(),
                expires_at_ms,
            },
        );
        (token, ttl)
    }

    /// Mints a fresh access + refresh token pair (a completed install).
    pub(crate) fn mint_tokens(&mut self, grant: &Grant) -> Tokens {
        let refresh_token = new_hublet_id(&grant.hublet);
        self.refresh.insert(refresh_token.clone(), grant.clone());
        self.tokens_for(grant, refresh_token)
    }

    /// The token response for a grant and an existing refresh token (mints a new access token).
    pub(crate) fn tokens_for(&mut self, grant: &Grant, refresh_token: String) -> Tokens {
        let (access_token, expires_in) = self.mint_access(grant);
        Tokens {
            token_type: "bearer".to_owned(),
            access_token,
            refresh_token,
            expires_in,
            hub_id: grant.hub_id,
            scopes: grant.scopes.clone(),
            token_use: "access_token".to_owned(),
            user_id: grant.user_id,
        }
    }

    pub(crate) fn lookup_access(&self, token: &str) -> AccessLookup {
        match self.access.get(token) {
            Some(record) if self.portal_alive(record.grant.hub_id) => {
                let now = self.now_ms();
                if now >= record.expires_at_ms {
                    AccessLookup::Expired(now - record.expires_at_ms)
                } else {
                    AccessLookup::Valid(record.clone())
                }
            }
            _ => AccessLookup::Unknown,
        }
    }

    /// Revokes every refresh token of an install (app uninstalled from an account).
    pub(crate) fn uninstall(&mut self, client_id: &str, hub_id: u64) -> usize {
        let before = self.refresh.len();
        self.refresh
            .retain(|_, grant| !(grant.client_id == client_id && grant.hub_id == hub_id));
        before - self.refresh.len()
    }

    /// Counts one protected-API call against the hub's rolling 10-second window. Returns the number
    /// of calls left, or `None` when the limit is exceeded.
    pub(crate) fn rate_limit(&mut self, hub_id: u64) -> Option<u32> {
        let limit = self.switches.api_rate_limit_per_10s;
        if limit == 0 {
            return Some(u32::MAX);
        }
        let now = self.now_ms();
        let window = self.rate_windows.entry(hub_id).or_default();
        while window.front().is_some_and(|t| now.saturating_sub(*t) >= 10_000) {
            window.pop_front();
        }
        let used = u32::try_from(window.len()).unwrap_or(u32::MAX);
        if used >= limit {
            return None;
        }
        window.push_back(now);
        Some(limit - used - 1)
    }

    /// Drops codes, pending consents and access tokens that expired over a day ago (until then they
    /// answer "expired", not "unknown"), so long-running sandboxes such as benchmarks do not grow.
    /// Runs at most once per sandbox minute.
    pub(crate) fn sweep(&mut self) {
        const EVERY_MS: u64 = 60_000;
        const KEEP_EXPIRED_MS: u64 = 24 * 3600 * 1000;
        let now = self.now_ms();
        if now.saturating_sub(self.last_sweep_ms) < EVERY_MS {
            return;
        }
        self.last_sweep_ms = now;
        let keep = |expires_at_ms: u64| expires_at_ms.saturating_add(KEEP_EXPIRED_MS) > now;
        self.codes.retain(|_, c| keep(c.expires_at_ms));
        self.pending.retain(|_, p| keep(p.expires_at_ms));
        self.access.retain(|_, a| keep(a.expires_at_ms));
    }
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

/// `{hublet}-xxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (lowercase hex): the shape of codes and refresh
/// tokens (§1.5, §2.3).
pub(crate) fn new_hublet_id(hublet: &str) -> String {
    let hex: String = random_bytes::<14>().iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{hublet}-{}-{}-{}-{}-{}",
        &hex[0..4],
        &hex[4..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..28]
    )
}

/// An opaque access token: base64url, ~220 characters, starting like HubSpot's (`C…`).
pub(crate) fn new_access_token() -> String {
    format!("CK{}", URL_SAFE_NO_PAD.encode(random_bytes::<160>()))
}

/// An opaque random id (pending consents, MCP sessions).
pub(crate) fn new_opaque_id() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<24>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hublet_ids_have_hubspot_shape() {
        let id = new_hublet_id("eu1");
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            vec![3, 4, 4, 4, 4, 12]
        );
        assert_eq!(parts[0], "eu1");
        assert!(id[4..].chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
    }

    #[test]
    fn access_tokens_are_opaque_base64url_of_plausible_length() {
        let t = new_access_token();
        assert!((150..=300).contains(&t.len()), "{}", t.len());
        assert!(t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(t, new_access_token());
    }
}
