//! Token metadata and revocation: `POST …/token/introspect`, `POST …/token/revoke` and the legacy
//! v1 metadata endpoints (hubspot-oauth.md §3, §4, §9 points 4-6).
//!
//! - Introspect needs `client_id` + `client_secret` (token-endpoint errors otherwise) and takes the
//!   token as `token` (spec, SDK) or as `access_token` / `refresh_token` (v3 guide prose). A token
//!   that is unknown, expired, revoked, of a deleted account or of another app → `200 {"active":false}`.
//! - Revoke deletes a refresh token; access tokens minted from it stay valid until they expire.
//!   Bad input (no form, bad client credentials, no token, an access token or another app's
//!   token) → 400 generic `VALIDATION_ERROR`. UNCERTAIN: an unknown or already revoked refresh
//!   token answers 200 by default, as RFC 7009 asks, so a double logout is harmless; the
//!   `revoke_dead_token` switch makes it answer `invalid_grant` or `VALIDATION_ERROR` instead.
//! - v1 `GET /oauth/v1/access-tokens/{t}`: `token_type: "access"`; unknown → 404, expired → 401
//!   `EXPIRED_AUTHENTICATION` (both UNCERTAIN, §3.1). `GET`/`DELETE /oauth/v1/refresh-tokens/{t}`:
//!   `token_type: "refresh"` (UNCERTAIN, §4.1); DELETE → 204; unknown → 404.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::api::expired_message;
use crate::errors::{
    api_error, content_type, is_form, no_store, not_found, unsupported_media_type, validation_error,
    FormData, OAuthError,
};
use crate::state::{AccessLookup, AccessRecord, Grant, Inner, RevokeDeadToken};
use crate::token::{authenticate_client, Version};
use crate::Ctx;

/// A short deterministic base64 value standing in for HubSpot's opaque bitmaps and signatures.
fn opaque(label: &str, input: &str, len: usize) -> String {
    let digest = Sha256::digest(format!("{label}:{input}").as_bytes());
    STANDARD.encode(&digest[..len.min(digest.len())])
}

/// `signed_access_token` (§3.1).
fn signed_access_token(token: &str, record: &AccessRecord) -> Value {
    let g = &record.grant;
    json!({
        "expiresAt": record.expires_at_ms,
        "scopes": opaque("scopes", &g.scopes.join(" "), 7),
        "hubId": g.hub_id,
        "userId": g.user_id,
        "appId": g.app_id,
        "signature": opaque("signature", token, 20),
        "scopeToScopeGroupPks": opaque("groups", &g.scopes.join(" "), 40),
        "newSignature": opaque("newSignature", token, 20),
        "hublet": g.hublet,
        "trialScopes": "",
        "trialScopeToScopeGroupPks": "",
        "isUserLevel": g.is_user_level,
        "isPrivateDistribution": g.is_private_distribution,
        "isServiceAccount": false,
        "installingUserId": g.user_id,
    })
}

fn remaining_secs(inner: &Inner, record: &AccessRecord) -> u64 {
    record.expires_at_ms.saturating_sub(inner.now_ms()) / 1000
}

/// The introspection shape of an access token (`PublicAccessTokenInfoResponse`, §3.2).
fn access_info(inner: &Inner, token: &str, record: &AccessRecord) -> Value {
    let g = &record.grant;
    json!({
        "active": true,
        "token": token,
        "hub_id": g.hub_id,
        "user_id": g.user_id,
        "client_id": g.client_id,
        "app_id": g.app_id,
        "user": g.user_email,
        "hub_domain": g.hub_domain,
        "scopes": g.scopes,
        "signed_access_token": signed_access_token(token, record),
        "expires_in": remaining_secs(inner, record),
        "is_private_distribution": g.is_private_distribution,
        "token_use": "access_token",
        "token_type": "Bearer",
    })
}

/// The introspection shape of a refresh token (`PublicRefreshTokenInfoResponse`, §3.2).
fn refresh_info(token: &str, g: &Grant) -> Value {
    json!({
        "active": true,
        "token": token,
        "hub_id": g.hub_id,
        "user_id": g.user_id,
        "client_id": g.client_id,
        "app_id": g.app_id,
        "user": g.user_email,
        "hub_domain": g.hub_domain,
        "scopes": g.scopes,
        "token_use": "refresh_token",
        "token_type": "Bearer",
    })
}

/// Checks the version segment and the content type shared by introspect and revoke; the error is
/// the response to send.
fn oauth_form(ctx: &Ctx, segment: &str, headers: &HeaderMap, body: &[u8]) -> Result<FormData, Box<Response>> {
    match Version::parse(segment, ctx.listener) {
        Some(Version::V3 | Version::V2026_03 | Version::V2026_09) => {}
        _ => return Err(Box::new(not_found())),
    }
    if !is_form(headers) {
        return Err(Box::new(unsupported_media_type(content_type(headers))));
    }
    Ok(FormData::parse(body))
}

/// `POST /oauth/{v3|2026-03|2026-09}/token/introspect`.
pub(crate) async fn introspect(
    State(ctx): State<Ctx>,
    Path(segment): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match oauth_form(&ctx, &segment, &headers, &body) {
        Ok(form) => form,
        Err(response) => return *response,
    };
    let inner = ctx.shared.lock();
    let app = match authenticate_client(&inner, ctx.listener, &form, None) {
        Ok(app) => app,
        Err(err) => return err.into_response(),
    };
    let (token, hint) = match (
        form.non_empty("token"),
        form.non_empty("access_token"),
        form.non_empty("refresh_token"),
    ) {
        (Some(t), _, _) => (t, form.get("token_type_hint")),
        (None, Some(t), _) => (t, Some("access_token")),
        (None, None, Some(t)) => (t, Some("refresh_token")),
        (None, None, None) => return validation_error(),
    };
    let as_access = || match inner.lookup_access(token) {
        AccessLookup::Valid(record) if record.grant.client_id == app.client_id => {
            Some(access_info(&inner, token, &record))
        }
        _ => None,
    };
    let as_refresh = || {
        inner
            .refresh
            .get(token)
            .filter(|g| g.client_id == app.client_id && inner.portal_alive(g.hub_id))
            .map(|g| refresh_info(token, g))
    };
    let info = if hint == Some("refresh_token") {
        as_refresh().or_else(as_access)
    } else {
        as_access().or_else(as_refresh)
    };
    (no_store(), Json(info.unwrap_or_else(|| json!({"active": false})))).into_response()
}

/// `POST /oauth/{v3|2026-03|2026-09}/token/revoke`.
pub(crate) async fn revoke(
    State(ctx): State<Ctx>,
    Path(segment): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match oauth_form(&ctx, &segment, &headers, &body) {
        Ok(form) => form,
        Err(response) => return *response,
    };
    let mut inner = ctx.shared.lock();
    let Ok(app) = authenticate_client(&inner, ctx.listener, &form, None) else {
        return validation_error();
    };
    let Some(token) = form.non_empty("token").or(form.non_empty("refresh_token")) else {
        return validation_error();
    };
    match inner.refresh.get(token) {
        Some(grant) if grant.client_id == app.client_id => {
            inner.refresh.remove(token);
            StatusCode::OK.into_response()
        }
        Some(_) => validation_error(),
        None if inner.access.contains_key(token) => validation_error(),
        None => match inner.switches.revoke_dead_token {
            RevokeDeadToken::Ok => StatusCode::OK.into_response(),
            RevokeDeadToken::InvalidGrant => OAuthError::BAD_REFRESH_TOKEN.into_response(),
            RevokeDeadToken::ValidationError => validation_error(),
        },
    }
}

/// `GET /oauth/v1/access-tokens/{token}` (deprecated).
pub(crate) async fn v1_access_token(State(ctx): State<Ctx>, Path(token): Path<String>) -> Response {
    let inner = ctx.shared.lock();
    match inner.lookup_access(&token) {
        AccessLookup::Valid(record) => {
            let g = &record.grant;
            Json(json!({
                "token": token,
                "user": g.user_email,
                "hub_domain": g.hub_domain,
                "scopes": g.scopes,
                "signed_access_token": signed_access_token(&token, &record),
                "hub_id": g.hub_id,
                "app_id": g.app_id,
                "expires_in": remaining_secs(&inner, &record),
                "user_id": g.user_id,
                "token_type": "access",
                "is_private_distribution": g.is_private_distribution,
            }))
            .into_response()
        }
        AccessLookup::Expired(ago_ms) => api_error(
            StatusCode::UNAUTHORIZED,
            "EXPIRED_AUTHENTICATION",
            &expired_message(ago_ms),
        ),
        AccessLookup::Unknown => api_error(StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND", "Token not found"),
    }
}

fn live_refresh(inner: &Inner, token: &str) -> Option<Grant> {
    inner
        .refresh
        .get(token)
        .filter(|g| inner.portal_alive(g.hub_id))
        .cloned()
}

/// `GET /oauth/v1/refresh-tokens/{token}` (deprecated).
pub(crate) async fn v1_refresh_token(State(ctx): State<Ctx>, Path(token): Path<String>) -> Response {
    let inner = ctx.shared.lock();
    match live_refresh(&inner, &token) {
        Some(g) => Json(json!({
            "token": token,
            "user": g.user_email,
            "hub_domain": g.hub_domain,
            "scopes": g.scopes,
            "hub_id": g.hub_id,
            "client_id": g.client_id,
            "user_id": g.user_id,
            "token_type": "refresh",
        }))
        .into_response(),
        None => api_error(StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND", "Token not found"),
    }
}

/// `DELETE /oauth/v1/refresh-tokens/{token}` (deprecated): 204; access tokens are not affected.
pub(crate) async fn v1_delete_refresh_token(State(ctx): State<Ctx>, Path(token): Path<String>) -> Response {
    let mut inner = ctx.shared.lock();
    match inner.refresh.remove(&token) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => api_error(StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND", "Token not found"),
    }
}
