//! Test control, shared by [`crate::SandboxHandle`] (in-process tests) and the `/_sandbox/` HTTP API
//! on the base listener (tests in other processes: CLI e2e, WebDriver e2e, benchmarks).
//!
//! | Method and path | Body | Answer |
//! |---|---|---|
//! | `GET /_sandbox/health` | | `{"base_url","mcp_base_url"}` |
//! | `GET /_sandbox/requests` | | `[LoggedRequest…]` |
//! | `DELETE /_sandbox/requests` | | 204 |
//! | `GET /_sandbox/count?path_suffix=…&grant_type=…` | | `{"count":N}` |
//! | `GET /_sandbox/switches` | | `Switches` |
//! | `PUT /_sandbox/switches` | `Switches` (missing fields take defaults) | the new `Switches` |
//! | `PATCH /_sandbox/switches` | some `Switches` fields | the merged `Switches` |
//! | `POST /_sandbox/advance` | `{"secs":N}` | `{"now_ms":…}` |
//! | `POST /_sandbox/uninstall` | `{"client_id","hub_id"}` | `{"revoked_refresh_tokens":N}` |
//! | `POST /_sandbox/delete-portal` | `{"hub_id"}` | 204 |
//! | `POST /_sandbox/tokens` | `{"client_id","hub_id","user_email"?}` | `Tokens` (or 404) |
//! | `GET /_sandbox/fixture` | | `Fixture` |
//!
//! The control API is deliberately unauthenticated: the sandbox only ever binds loopback and holds
//! fake data.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::fixture::{AppKind, Fixture};
use crate::log::LoggedRequest;
use crate::state::{Grant, Shared, Switches, Tokens};
use crate::{Ctx, SandboxError};

/// Requests whose path ends with `path_suffix` and, when given, whose `grant_type` matches.
pub(crate) fn count(shared: &Shared, path_suffix: &str, grant_type: Option<&str>) -> usize {
    shared
        .lock()
        .log
        .iter()
        .filter(|r| r.path.ends_with(path_suffix))
        .filter(|r| grant_type.is_none() || r.grant_type.as_deref() == grant_type)
        .count()
}

/// Marks an account deleted: its refreshes answer `BAD_HUB`, its tokens stop working.
pub(crate) fn delete_portal(shared: &Shared, hub_id: u64) {
    shared.lock().deleted_portals.insert(hub_id);
}

/// Mints tokens as if `user_email` (default: the account's first user) had installed the app,
/// granting its required and optional scopes minus those the account (and, for user-level apps, the
/// user) lacks.
pub(crate) fn issue_tokens(
    shared: &Shared,
    client_id: &str,
    hub_id: u64,
    user_email: Option<&str>,
) -> Result<Tokens, SandboxError> {
    let mut inner = shared.lock();
    let app = inner
        .fixture
        .app(client_id)
        .cloned()
        .ok_or_else(|| SandboxError::UnknownApp(client_id.to_owned()))?;
    let portal = inner
        .fixture
        .portal(hub_id)
        .filter(|_| !inner.deleted_portals.contains(&hub_id))
        .cloned()
        .ok_or(SandboxError::UnknownPortal(hub_id))?;
    let user = match user_email {
        Some(email) => portal.user_by_email(email),
        None => portal.users.first(),
    }
    .cloned()
    .ok_or_else(|| SandboxError::UnknownUser(user_email.unwrap_or_default().to_owned()))?;
    let user_level = app.is_user_level || app.kind == AppKind::Mcp;
    let mut scopes: Vec<String> = Vec::new();
    for s in app.required_scopes.iter().chain(&app.optional_scopes) {
        let lacking =
            portal.unavailable_scopes.contains(s) || (user_level && portal.user_lacks(user.user_id, s));
        if !lacking && !scopes.contains(s) {
            scopes.push(s.clone());
        }
    }
    let grant = Grant::new(&app, &portal, &user, scopes);
    Ok(inner.mint_tokens(&grant))
}

/// Routes under `/_sandbox/`.
pub(crate) fn routes() -> Router<Ctx> {
    Router::new()
        .route("/_sandbox/health", get(health))
        .route("/_sandbox/requests", get(requests).delete(clear_requests))
        .route("/_sandbox/count", get(count_requests))
        .route(
            "/_sandbox/switches",
            get(get_switches).put(put_switches).patch(patch_switches),
        )
        .route("/_sandbox/advance", post(advance))
        .route("/_sandbox/uninstall", post(uninstall))
        .route("/_sandbox/delete-portal", post(delete_portal_route))
        .route("/_sandbox/tokens", post(tokens))
        .route("/_sandbox/fixture", get(fixture))
}

async fn health(State(ctx): State<Ctx>) -> Json<Value> {
    Json(json!({"base_url": ctx.shared.base_url, "mcp_base_url": ctx.shared.mcp_base_url}))
}

async fn requests(State(ctx): State<Ctx>) -> Json<Vec<LoggedRequest>> {
    Json(ctx.shared.lock().log.clone())
}

async fn clear_requests(State(ctx): State<Ctx>) -> StatusCode {
    ctx.shared.lock().log.clear();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct CountQuery {
    #[serde(default)]
    path_suffix: String,
    grant_type: Option<String>,
}

async fn count_requests(State(ctx): State<Ctx>, Query(q): Query<CountQuery>) -> Json<Value> {
    Json(json!({"count": count(&ctx.shared, &q.path_suffix, q.grant_type.as_deref())}))
}

async fn get_switches(State(ctx): State<Ctx>) -> Json<Switches> {
    Json(ctx.shared.lock().switches.clone())
}

async fn put_switches(State(ctx): State<Ctx>, Json(switches): Json<Switches>) -> Json<Switches> {
    ctx.shared.lock().set_switches(switches.clone());
    Json(switches)
}

async fn patch_switches(State(ctx): State<Ctx>, Json(patch): Json<Value>) -> Response {
    let mut inner = ctx.shared.lock();
    let mut current = serde_json::to_value(&inner.switches).unwrap_or_else(|_| json!({}));
    match (current.as_object_mut(), patch.as_object()) {
        (Some(target), Some(fields)) => {
            for (k, v) in fields {
                target.insert(k.clone(), v.clone());
            }
        }
        _ => return (StatusCode::BAD_REQUEST, "expected a JSON object").into_response(),
    }
    match serde_json::from_value::<Switches>(current) {
        Ok(switches) => {
            inner.set_switches(switches.clone());
            Json(switches).into_response()
        }
        Err(err) => (StatusCode::UNPROCESSABLE_ENTITY, err.to_string()).into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct Advance {
    secs: u64,
}

async fn advance(State(ctx): State<Ctx>, Json(body): Json<Advance>) -> Json<Value> {
    let mut inner = ctx.shared.lock();
    inner.advance_clock(body.secs);
    Json(json!({"now_ms": inner.now_ms()}))
}

#[derive(Debug, Deserialize)]
struct Install {
    client_id: String,
    hub_id: u64,
}

async fn uninstall(State(ctx): State<Ctx>, Json(body): Json<Install>) -> Json<Value> {
    let revoked = ctx.shared.lock().uninstall(&body.client_id, body.hub_id);
    Json(json!({"revoked_refresh_tokens": revoked}))
}

#[derive(Debug, Deserialize)]
struct Portal {
    hub_id: u64,
}

async fn delete_portal_route(State(ctx): State<Ctx>, Json(body): Json<Portal>) -> StatusCode {
    delete_portal(&ctx.shared, body.hub_id);
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct IssueTokens {
    client_id: String,
    hub_id: u64,
    user_email: Option<String>,
}

async fn tokens(State(ctx): State<Ctx>, Json(body): Json<IssueTokens>) -> Response {
    match issue_tokens(
        &ctx.shared,
        &body.client_id,
        body.hub_id,
        body.user_email.as_deref(),
    ) {
        Ok(tokens) => Json(tokens).into_response(),
        Err(err) => (StatusCode::NOT_FOUND, Json(json!({"error": err.to_string()}))).into_response(),
    }
}

async fn fixture(State(ctx): State<Ctx>) -> Json<Fixture> {
    Json(ctx.shared.lock().fixture.clone())
}
