//! The browser leg: `GET /oauth/authorize`, `/oauth/{portalId}/authorize` (app host) and
//! `/oauth/authorize/user` (MCP host), the consent form post, and the redirect with the code
//! (hubspot-oauth.md §1, §9 point 2).
//!
//! Checks run in this order, each failure an HTML page that never redirects:
//! client_id → response_type (MCP only) → redirect_uri (shape, then exact registration) → retired
//! install link → PKCE → scope rules (§1.3: invalid name, insufficient, mismatch; MCP ignores
//! `scope`) → signed-in user and account (picker when several) → install rights → account tier →
//! governance/AUP. Then the consent page, or with `auto_grant` an immediate 302.
//!
//! The EU data centre (hubspot-oauth.md §5.4 and the corrections of 2026-12-02): on the MCP host,
//! once the account is known, an account whose hublet is not `na1` is sent on with a 302 to its
//! regional host, `mcp-<hublet>…/oauth/<hub_id>/authorize/user`, keeping the query string; the
//! browser follows it and the flow goes on there. On loopback the regional host is emulated by a
//! path prefix on the same listener: `{mcp}/mcp-eu1/oauth/<hub_id>/authorize/user?…`. Codes and
//! tokens work on the main hosts, as at HubSpot.
//!
//! The consent form posts only a server-side pending id; the parameters stay on the server, so a
//! tampered form cannot widen the grant.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::errors::FormData;
use crate::fixture::{AppFixture, AppKind, InstallBlock, PortalFixture, UserFixture};
use crate::pages::{self, AuthorizeError, ConsentView, PickerEntry};
use crate::scopes::{is_known_scope, split_scopes};
use crate::state::{new_hublet_id, new_opaque_id, AuthCode, Grant, Inner, Listener, PendingConsent};
use crate::Ctx;

/// How long a consent page stays usable (sandbox time).
const CONSENT_TTL_MS: u64 = 30 * 60 * 1000;

/// `GET /oauth/authorize` (API listener) and `GET /oauth/authorize/user` (MCP listener).
pub(crate) async fn authorize(State(ctx): State<Ctx>, RawQuery(query): RawQuery) -> Response {
    begin(&ctx, None, None, query.as_deref().unwrap_or(""))
}

/// `GET /oauth/{portalId}/authorize` and `GET /oauth/{hubId}/authorize/user`.
pub(crate) async fn authorize_for_portal(
    State(ctx): State<Ctx>,
    Path(portal): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    begin(&ctx, Some(&portal), None, query.as_deref().unwrap_or(""))
}

/// `GET /mcp-{hublet}/oauth/{hubId}/authorize/user` (MCP listener): the regional MCP host.
pub(crate) async fn authorize_regional(
    State(ctx): State<Ctx>,
    Path((region, portal)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(hublet) = region.strip_prefix("mcp-").filter(|h| !h.is_empty()) else {
        return crate::errors::not_found();
    };
    begin(&ctx, Some(&portal), Some(hublet), query.as_deref().unwrap_or(""))
}

/// The path of the regional MCP host's authorize page for an account (see the module docs).
pub(crate) fn regional_path(hublet: &str, hub_id: u64) -> String {
    format!("/mcp-{hublet}/oauth/{hub_id}/authorize/user")
}

/// `POST /oauth/authorize/grant` (and `/oauth/authorize/user/grant` on the MCP listener): the
/// consent form.
pub(crate) async fn grant(State(ctx): State<Ctx>, body: axum::body::Bytes) -> Response {
    let form = FormData::parse(&body);
    let pending_id = form.get("pending_id").unwrap_or("");
    let mut inner = ctx.shared.lock();
    let now = inner.now_ms();
    let pending = match inner.pending.remove(pending_id) {
        Some(p) if p.listener == ctx.listener && p.expires_at_ms > now => p,
        _ => return pages::error_page(&AuthorizeError::ConsentExpired),
    };
    if form.get("decision") == Some("cancel") {
        let app_name = inner
            .fixture
            .app(&pending.grant.client_id)
            .map(|a| a.name.clone())
            .unwrap_or_default();
        return pages::cancelled_page(&app_name);
    }
    finish(&mut inner, pending)
}

/// Issues the code (or, in deny mode, the error) and redirects to the app.
fn finish(inner: &mut Inner, pending: PendingConsent) -> Response {
    let mut params: Vec<(&str, String)> = Vec::new();
    if inner.switches.deny {
        params.push(("error", "access_denied".to_owned()));
        params.push((
            "error_description",
            "The user denied access to the app".to_owned(),
        ));
    } else {
        let code = new_hublet_id(&pending.grant.hublet);
        let expires_at_ms = inner
            .now_ms()
            .saturating_add(inner.switches.code_ttl_secs.saturating_mul(1000));
        inner.codes.insert(
            code.clone(),
            AuthCode {
                grant: pending.grant,
                redirect_uri: pending.redirect_uri.clone(),
                code_challenge: pending.code_challenge,
                expires_at_ms,
            },
        );
        params.push(("code", code));
    }
    if let Some(state) = pending.state {
        params.push(("state", state));
    }
    redirect(&append_query(&pending.redirect_uri, &params))
}

fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => {
            let mut response = StatusCode::FOUND.into_response();
            response.headers_mut().insert(header::LOCATION, value);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        // Unreachable in practice: registered URLs and percent-encoded values are ASCII.
        Err(_) => pages::error_page(&AuthorizeError::RedirectMismatch(location.to_owned())),
    }
}

/// Appends percent-encoded pairs to a URL without otherwise touching it (no normalisation: the
/// app receives exactly its registered URL). Spaces become `%20`.
fn append_query(uri: &str, params: &[(&str, String)]) -> String {
    let mut out = uri.to_owned();
    let mut sep = if uri.contains('?') { '&' } else { '?' };
    for (name, value) in params {
        out.push(sep);
        out.push_str(&percent_encode(name));
        out.push('=');
        out.push_str(&percent_encode(value));
        sep = '&';
    }
    out
}

/// Minimal RFC 3986 percent-encoding of everything but unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Result of the checks, rendered after the lock is released.
enum Outcome {
    Error(AuthorizeError),
    Picker {
        app_name: String,
        user_email: String,
        entries: Vec<PickerEntry>,
    },
    Consent {
        pending_id: String,
        app_name: String,
        portal: PortalFixture,
        user_email: String,
        scopes: Vec<String>,
        disabled: Vec<String>,
    },
    Redirect(Response),
}

fn begin(ctx: &Ctx, portal_segment: Option<&str>, region: Option<&str>, raw_query: &str) -> Response {
    let outcome = {
        let mut inner = ctx.shared.lock();
        let request = Request {
            listener: ctx.listener,
            portal_segment,
            region,
            raw_query,
            mcp_base: &ctx.shared.mcp_base_url,
        };
        decide(&mut inner, &request)
    };
    match outcome {
        Outcome::Error(err) => pages::error_page(&err),
        Outcome::Picker {
            app_name,
            user_email,
            entries,
        } => pages::picker_page(&app_name, &user_email, &entries),
        Outcome::Consent {
            pending_id,
            app_name,
            portal,
            user_email,
            scopes,
            disabled,
        } => {
            let form_action = match ctx.listener {
                Listener::Api => "/oauth/authorize/grant",
                Listener::Mcp => "/oauth/authorize/user/grant",
            };
            pages::consent_page(&ConsentView {
                form_action,
                pending_id: &pending_id,
                app_name: &app_name,
                portal_name: if portal.name.is_empty() {
                    &portal.hub_domain
                } else {
                    &portal.name
                },
                hub_id: portal.hub_id,
                hub_domain: &portal.hub_domain,
                user_email: &user_email,
                scopes: &scopes,
                disabled_scopes: &disabled,
            })
        }
        Outcome::Redirect(response) => response,
    }
}

/// Whether a redirect URL has an acceptable shape: https, or http on `localhost`; a domain, never
/// an IP literal (§1.8 rules 1-2). Custom schemes are refused.
fn redirect_shape_allowed(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Domain(domain)) => match url.scheme() {
            "https" => true,
            "http" => domain.eq_ignore_ascii_case("localhost"),
            _ => false,
        },
        // IP literals (v4 and v6) and host-less URLs.
        _ => false,
    }
}

/// RFC 7636 §4.2: a challenge is 43-128 unreserved characters (S256 gives exactly 43).
fn challenge_well_formed(challenge: &str) -> bool {
    (43..=128).contains(&challenge.len())
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Applies the §1.3 rules to `scope` / `optional_scope` of a standard app. Returns the requested
/// required-or-conditional scopes and the requested optional scopes.
fn check_scopes(app: &AppFixture, query: &FormData) -> Result<(Vec<String>, Vec<String>), AuthorizeError> {
    let scope = split_scopes(query.get("scope").unwrap_or(""));
    let optional = split_scopes(query.get("optional_scope").unwrap_or(""));
    // Rule 3: a name HubSpot does not know.
    if scope.iter().chain(&optional).any(|s| !is_known_scope(s)) {
        return Err(AuthorizeError::InvalidScopeName);
    }
    // Rule 1: every required scope must be in `scope` (being in `optional_scope` does not count).
    if app.required_scopes.iter().any(|r| !scope.contains(r)) {
        return Err(AuthorizeError::InsufficientScopes);
    }
    // Rule 2: `scope` may hold only required and conditionally required scopes (an optional or
    // unconfigured one is a mismatch); `optional_scope` only configured optional scopes.
    let scope_ok = scope
        .iter()
        .all(|s| app.required_scopes.contains(s) || app.conditionally_required_scopes.contains(s));
    let optional_ok = optional.iter().all(|s| app.optional_scopes.contains(s));
    if !scope_ok || !optional_ok {
        return Err(AuthorizeError::ScopeMismatch);
    }
    Ok((scope, optional))
}

/// What arrived: on which listener, for which preselected account and region, with which query.
struct Request<'a> {
    listener: Listener,
    portal_segment: Option<&'a str>,
    /// The hublet of the regional MCP host the request arrived at, if any.
    region: Option<&'a str>,
    raw_query: &'a str,
    mcp_base: &'a str,
}

fn decide(inner: &mut Inner, request: &Request<'_>) -> Outcome {
    match decide_inner(inner, request) {
        Ok(outcome) => outcome,
        Err(err) => Outcome::Error(err),
    }
}

fn decide_inner(inner: &mut Inner, request: &Request<'_>) -> Result<Outcome, AuthorizeError> {
    let Request {
        listener,
        portal_segment,
        region,
        raw_query,
        mcp_base,
    } = *request;
    let query = FormData::parse(raw_query.as_bytes());
    let expected_kind = match listener {
        Listener::Api => AppKind::Standard,
        Listener::Mcp => AppKind::Mcp,
    };
    let app = inner
        .fixture
        .app(query.get("client_id").unwrap_or(""))
        .filter(|a| a.kind == expected_kind)
        .cloned()
        .ok_or(AuthorizeError::InvalidClientId)?;

    // MCP clients send `response_type=code` (§7.3); standard apps' page tolerates whatever is sent.
    if listener == Listener::Mcp {
        if let Some(rt) = query.get("response_type").filter(|rt| *rt != "code") {
            return Err(AuthorizeError::UnsupportedResponseType(rt.to_owned()));
        }
    }

    // redirect_uri. On MCP apps "the first redirect URL will be used as the default" (§1.8 rule 4,
    // UNCERTAIN): a missing one falls back to it. Standard apps must send it.
    let redirect_uri = match (query.get("redirect_uri"), listener) {
        (Some(uri), _) => uri.to_owned(),
        (None, Listener::Mcp) => app.redirect_urls.first().cloned().unwrap_or_default(),
        (None, Listener::Api) => String::new(),
    };
    if !redirect_uri.is_empty() && !redirect_shape_allowed(&redirect_uri) {
        return Err(AuthorizeError::RedirectNotAllowed(redirect_uri));
    }
    if !app.redirect_urls.contains(&redirect_uri) {
        return Err(AuthorizeError::RedirectMismatch(redirect_uri));
    }

    if app.install_block == Some(InstallBlock::InstallLinkRetired) {
        return Err(AuthorizeError::InstallLinkRetired);
    }

    // PKCE (§1.4): required on MCP; optional on standard apps, but S256 only when given.
    let code_challenge = query.non_empty("code_challenge").map(str::to_owned);
    let method = query.non_empty("code_challenge_method");
    match (&code_challenge, listener) {
        (None, Listener::Mcp) => return Err(AuthorizeError::PkceRequired),
        (Some(challenge), _) if method != Some("S256") || !challenge_well_formed(challenge) => {
            return Err(AuthorizeError::PkceInvalid)
        }
        _ => {}
    }

    // Scopes. MCP apps ignore `scope` and get their configured bundle (§7.3).
    let (requested, requested_optional) = match listener {
        Listener::Api => check_scopes(&app, &query)?,
        Listener::Mcp => (app.required_scopes.clone(), app.optional_scopes.clone()),
    };

    // The signed-in user and the accounts they belong to.
    let login = inner
        .switches
        .login_as
        .clone()
        .or_else(|| inner.fixture.default_login().map(str::to_owned))
        .unwrap_or_default();
    let memberships: Vec<(PortalFixture, UserFixture)> = inner
        .fixture
        .portals
        .iter()
        .filter(|p| !inner.deleted_portals.contains(&p.hub_id))
        .filter_map(|p| p.user_by_email(&login).map(|u| (p.clone(), u.clone())))
        .collect();
    if memberships.is_empty() {
        return Err(AuthorizeError::UnknownLogin(login));
    }
    let (portal, user) = match portal_segment {
        Some(segment) => memberships
            .iter()
            .find(|(p, _)| segment.parse::<u64>().ok() == Some(p.hub_id))
            .cloned()
            .ok_or_else(|| AuthorizeError::UnknownPortal(segment.to_owned()))?,
        None if memberships.len() > 1 && !inner.switches.auto_grant => {
            let path = match listener {
                Listener::Api => "authorize",
                Listener::Mcp => "authorize/user",
            };
            let entries = memberships
                .iter()
                .map(|(p, _)| PickerEntry {
                    href: format!("/oauth/{}/{path}?{raw_query}", p.hub_id),
                    name: p.name.clone(),
                    hub_id: p.hub_id,
                    hub_domain: p.hub_domain.clone(),
                    tier: p.tier.clone(),
                })
                .collect();
            return Ok(Outcome::Picker {
                app_name: app.name.clone(),
                user_email: login,
                entries,
            });
        }
        None => memberships
            .first()
            .cloned()
            .ok_or_else(|| AuthorizeError::UnknownLogin(login.clone()))?,
    };

    // The MCP host sends an account of another data centre to its regional host (module docs).
    if listener == Listener::Mcp {
        match region {
            None if portal.hublet != "na1" => {
                let path = regional_path(&portal.hublet, portal.hub_id);
                return Ok(Outcome::Redirect(redirect(&format!(
                    "{mcp_base}{path}?{raw_query}"
                ))));
            }
            Some(r) if r != portal.hublet => {
                return Err(AuthorizeError::UnknownPortal(portal.hub_id.to_string()))
            }
            _ => {}
        }
    }

    // Install rights (§1.9): account-level apps need a Super Admin or App Marketplace Access;
    // on user-level and MCP apps each user installs for themselves.
    let user_level = app.is_user_level || app.kind == AppKind::Mcp;
    if !user_level && !user.can_install() {
        return Err(AuthorizeError::NoInstallPermission);
    }

    // Tier (§1.3 rule 4): required and requested conditional scopes must all be available.
    // Optional scopes the account lacks are silently dropped. MCP bundles are trimmed instead.
    let unavailable = |s: &String| portal.unavailable_scopes.contains(s);
    let lacking: Vec<String> = requested.iter().filter(|s| unavailable(s)).cloned().collect();
    if !lacking.is_empty() && listener == Listener::Api {
        return Err(AuthorizeError::AccountLacksScopes(lacking));
    }

    match app.install_block {
        Some(InstallBlock::GovernanceUnapproved) => {
            return Err(AuthorizeError::GovernanceUnapproved(requested.clone()))
        }
        Some(InstallBlock::AupUnsigned) => return Err(AuthorizeError::AupUnsigned),
        _ => {}
    }

    let mut scopes: Vec<String> = Vec::new();
    for s in requested.iter().chain(&requested_optional) {
        if !unavailable(s) && !scopes.contains(s) {
            scopes.push(s.clone());
        }
    }
    // User-level apps: scopes the user has no permission for are shown disabled and left out (§6.3).
    let mut disabled = Vec::new();
    if user_level {
        disabled = scopes
            .iter()
            .filter(|s| portal.user_lacks(user.user_id, s))
            .cloned()
            .collect();
        scopes.retain(|s| !disabled.contains(s));
    }

    let now = inner.now_ms();
    let pending = PendingConsent {
        listener,
        redirect_uri,
        state: query.get("state").map(str::to_owned),
        code_challenge,
        grant: Grant::new(&app, &portal, &user, scopes.clone()),
        expires_at_ms: now.saturating_add(CONSENT_TTL_MS),
    };
    if inner.switches.auto_grant {
        return Ok(Outcome::Redirect(finish(inner, pending)));
    }
    let pending_id = new_opaque_id();
    inner.pending.insert(pending_id.clone(), pending);
    Ok(Outcome::Consent {
        pending_id,
        app_name: app.name.clone(),
        portal,
        user_email: user.email.clone(),
        scopes,
        disabled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_shapes() {
        assert!(redirect_shape_allowed("http://localhost:53682/callback"));
        assert!(redirect_shape_allowed("https://relay.example.com/x.html"));
        assert!(!redirect_shape_allowed("http://relay.example.com/x.html"));
        assert!(!redirect_shape_allowed("http://127.0.0.1:53682/callback"));
        assert!(!redirect_shape_allowed("https://[::1]:53682/callback"));
        assert!(!redirect_shape_allowed("hubkey://callback"));
        assert!(!redirect_shape_allowed("not a url"));
    }

    #[test]
    fn append_query_percent_encodes_and_keeps_existing_query() {
        let params = [("code", "na1-a".to_owned()), ("state", "a b&c=d/é".to_owned())];
        assert_eq!(
            append_query("http://localhost:3000/cb", &params),
            "http://localhost:3000/cb?code=na1-a&state=a%20b%26c%3Dd%2F%C3%A9"
        );
        assert_eq!(
            append_query("https://x.example/cb?app=1", &params[..1]),
            "https://x.example/cb?app=1&code=na1-a"
        );
    }

    #[test]
    fn challenge_format() {
        assert!(challenge_well_formed(&"a".repeat(43)));
        assert!(!challenge_well_formed(&"a".repeat(42)));
        assert!(!challenge_well_formed(&format!("{}=", "a".repeat(43))));
    }
}
