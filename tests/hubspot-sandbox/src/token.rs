//! `POST /oauth/{v1|v3|2026-03|2026-09}/token` on the API listener and `/oauth/v3/token` on the
//! MCP listener (hubspot-oauth.md §2, §9 point 3).
//!
//! Checks run in HubSpot's observed order, and the first failure answers HTTP 400 with
//! `{"status","message","error","error_description","correlationId"}`:
//! form content type (else 415) → `client_id` (`BAD_CLIENT_ID`) → `client_secret`
//! (`BAD_CLIENT_SECRET`) → `grant_type` (`BAD_GRANT_TYPE`) → then per grant:
//! - `authorization_code`: `code` (`BAD_AUTH_CODE`; the code is consumed even if a later check
//!   fails) → `redirect_uri` (`BAD_REDIRECT_URI`) → `code_verifier` when a challenge was stored
//!   (`BAD_CODE_VERIFIER`). A verifier never replaces the secret. An app whose fixture says
//!   `rejects_pkce` refuses any `code_verifier` instead (`BAD_CODE_VERIFIER`, "PKCE (code_verifier)
//!   is not supported for this app").
//! - `refresh_token`: unknown, revoked or another app's token → `BAD_REFRESH_TOKEN`; the account
//!   was deleted → `BAD_HUB`.
//! - `client_credentials` (v3 and 2026-03 only): webhooks-journal developer scopes only, no refresh
//!   token; refused for user-level and MCP apps.
//!
//! Only v1 also reads `client_secret` and `refresh_token` from the query string (§2.1).
//!
//! UNCERTAIN choices: the exact `error`/`message` of `BAD_AUTH_CODE`, `BAD_REDIRECT_URI`,
//! `BAD_CLIENT_SECRET`, `BAD_GRANT_TYPE` and `BAD_CODE_VERIFIER` (§10 q4); an MCP app's code may also
//! be exchanged on the API listener (community saw MCP tokens accepted there); a verifier sent when
//! no challenge was stored is ignored.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::errors::{
    content_type, is_form, no_store, not_found, unsupported_media_type, FormData, OAuthError,
};
use crate::fixture::{AppFixture, AppKind};
use crate::scopes::{is_known_scope, split_scopes};
use crate::state::{new_access_token, Inner, Listener};
use crate::Ctx;

/// The OAuth API versions with a token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    V1,
    V3,
    V2026_03,
    V2026_09,
}

impl Version {
    /// Parses the path segment; the MCP listener only serves `v3`.
    pub(crate) fn parse(segment: &str, listener: Listener) -> Option<Version> {
        match (segment, listener) {
            ("v3", _) => Some(Version::V3),
            ("v1", Listener::Api) => Some(Version::V1),
            ("2026-03", Listener::Api) => Some(Version::V2026_03),
            ("2026-09", Listener::Api) => Some(Version::V2026_09),
            _ => None,
        }
    }
}

/// The request's client, authenticated by `client_id` + `client_secret` (`client_secret_post`).
pub(crate) fn authenticate_client(
    inner: &Inner,
    listener: Listener,
    form: &FormData,
    query_secret: Option<&str>,
) -> Result<AppFixture, OAuthError> {
    let app = inner
        .fixture
        .app(form.get("client_id").unwrap_or(""))
        // The MCP host only knows MCP auth apps.
        .filter(|a| listener == Listener::Api || a.kind == AppKind::Mcp)
        .ok_or(OAuthError::BAD_CLIENT_ID)?;
    let secret = form.non_empty("client_secret").or(query_secret);
    if secret != Some(app.client_secret.as_str()) {
        return Err(OAuthError::BAD_CLIENT_SECRET);
    }
    Ok(app.clone())
}

/// `code_verifier` check of RFC 7636 S256: `BASE64URL(SHA256(verifier)) == challenge`.
pub(crate) fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

/// The token endpoint.
pub(crate) async fn token(
    State(ctx): State<Ctx>,
    Path(segment): Path<String>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(version) = Version::parse(&segment, ctx.listener) else {
        return not_found();
    };
    if !is_form(&headers) {
        return unsupported_media_type(content_type(&headers));
    }
    let form = FormData::parse(&body);
    let query = FormData::parse(raw_query.as_deref().unwrap_or("").as_bytes());
    let v1_query = |name: &str| {
        if version == Version::V1 {
            query.non_empty(name)
        } else {
            None
        }
    };

    let mut inner = ctx.shared.lock();
    let result = authenticate_client(&inner, ctx.listener, &form, v1_query("client_secret")).and_then(
        |app| match form.get("grant_type") {
            Some("authorization_code") => exchange_code(&mut inner, &app, &form),
            Some("refresh_token") => {
                let refresh_token = form.non_empty("refresh_token").or(v1_query("refresh_token"));
                refresh(&mut inner, &app, refresh_token)
            }
            Some("client_credentials") if matches!(version, Version::V3 | Version::V2026_03) => {
                client_credentials(&mut inner, &app, &form)
            }
            _ => Err(OAuthError::BAD_GRANT_TYPE),
        },
    );
    drop(inner);
    match result {
        Ok(body) => (no_store(), Json(body)).into_response(),
        Err(err) => err.into_response(),
    }
}

fn exchange_code(
    inner: &mut Inner,
    app: &AppFixture,
    form: &FormData,
) -> Result<serde_json::Value, OAuthError> {
    let code_value = form.non_empty("code").ok_or(OAuthError::BAD_AUTH_CODE)?;
    // Consumed here, whatever happens next: a code is good for one attempt.
    let code = inner.codes.remove(code_value).ok_or(OAuthError::BAD_AUTH_CODE)?;
    if code.grant.client_id != app.client_id {
        return Err(OAuthError::BAD_AUTH_CODE);
    }
    if inner.now_ms() >= code.expires_at_ms {
        return Err(OAuthError::EXPIRED_AUTH_CODE);
    }
    if form.get("redirect_uri") != Some(code.redirect_uri.as_str()) {
        return Err(OAuthError::BAD_REDIRECT_URI);
    }
    if app.rejects_pkce {
        // A HubSpot that refuses PKCE on this app: any verifier is refused, the stored challenge ignored.
        if form.non_empty("code_verifier").is_some() {
            return Err(OAuthError::PKCE_NOT_SUPPORTED);
        }
    } else if let Some(challenge) = &code.code_challenge {
        let verifier = form
            .non_empty("code_verifier")
            .ok_or(OAuthError::BAD_CODE_VERIFIER)?;
        if !verifier_matches(verifier, challenge) {
            return Err(OAuthError::BAD_CODE_VERIFIER);
        }
    }
    if !inner.portal_alive(code.grant.hub_id) {
        return Err(OAuthError::BAD_HUB);
    }
    let tokens = inner.mint_tokens(&code.grant);
    Ok(serde_json::to_value(tokens).unwrap_or_default())
}

fn refresh(
    inner: &mut Inner,
    app: &AppFixture,
    refresh_token: Option<&str>,
) -> Result<serde_json::Value, OAuthError> {
    let refresh_token = refresh_token.ok_or(OAuthError::BAD_REFRESH_TOKEN)?;
    let grant = inner
        .refresh
        .get(refresh_token)
        .filter(|g| g.client_id == app.client_id)
        .cloned()
        .ok_or(OAuthError::BAD_REFRESH_TOKEN)?;
    if !inner.portal_alive(grant.hub_id) {
        return Err(OAuthError::BAD_HUB);
    }
    let tokens = if inner.switches.rotate_refresh_tokens {
        inner.refresh.remove(refresh_token);
        inner.mint_tokens(&grant)
    } else {
        inner.tokens_for(&grant, refresh_token.to_owned())
    };
    Ok(serde_json::to_value(tokens).unwrap_or_default())
}

/// `client_credentials` is only for the Webhooks Journal API (§2.2). The token is not tied to an
/// account, so the sandbox does not store it: the protected API stub answers 401 for it.
fn client_credentials(
    inner: &mut Inner,
    app: &AppFixture,
    form: &FormData,
) -> Result<serde_json::Value, OAuthError> {
    if app.is_user_level || app.kind == AppKind::Mcp {
        return Err(OAuthError::USER_LEVEL_CLIENT_CREDENTIALS_NOT_SUPPORTED);
    }
    let scopes = split_scopes(form.get("scope").unwrap_or(""));
    if scopes.is_empty()
        || scopes
            .iter()
            .any(|s| !s.starts_with("developer.") || !is_known_scope(s))
    {
        return Err(OAuthError::BAD_SCOPES);
    }
    Ok(json!({
        "token_type": "bearer",
        "access_token": new_access_token(),
        "expires_in": inner.switches.access_token_ttl_secs,
        "scopes": scopes,
        "token_use": "client_credentials",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        assert!(verifier_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!verifier_matches(
            "wrong",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
    }

    #[test]
    fn mcp_listener_serves_only_v3() {
        assert_eq!(Version::parse("v3", Listener::Mcp), Some(Version::V3));
        assert_eq!(Version::parse("v1", Listener::Mcp), None);
        assert_eq!(Version::parse("2026-09", Listener::Api), Some(Version::V2026_09));
        assert_eq!(Version::parse("v2", Listener::Api), None);
    }
}
