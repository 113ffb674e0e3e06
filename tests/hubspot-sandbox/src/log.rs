//! The request log and the middleware that fills it (and injects faults).
//!
//! Tests assert on what a client *sent*: how many refreshes, which endpoint version, whether a
//! `code_verifier` was included, which content type. The log records exactly that, and never a
//! secret value: tokens, codes, client secrets and verifiers appear only as field *names* (or as
//! `had_*` flags), and token-bearing path segments are replaced by `{token}`. Requests to the
//! control API (`/_sandbox/…`) are not logged.

use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::errors::{api_error_body, content_type, is_form, FormData};
use crate::faults::{is_faultable, Fault};
use crate::net::ConnHandle;
use crate::state::{Listener, Shared};
use crate::Ctx;

/// Largest request body the sandbox reads (HubSpot's OAuth requests are tiny).
const BODY_LIMIT: usize = 1 << 20;

/// One request as the sandbox saw it. Contains no secret values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// Which listener received it.
    pub listener: Listener,
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path without the query; token path segments are replaced by `{token}`.
    pub path: String,
    /// Response status; `0` when the connection was dropped by a fault.
    pub status: u16,
    /// `grant_type` (form, or query on v1).
    pub grant_type: Option<String>,
    /// `client_id` (query or form); not a secret.
    pub client_id: Option<String>,
    /// `redirect_uri` (query or form); not a secret.
    pub redirect_uri: Option<String>,
    /// Names of the form fields, in order.
    pub form_fields: Vec<String>,
    /// Names of the query parameters, in order.
    pub query_fields: Vec<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// A non-empty `code_verifier` was sent (form or query).
    pub had_code_verifier: bool,
    /// A non-empty `client_secret` was sent (form or query).
    pub had_client_secret: bool,
    /// An `Authorization: Bearer …` header was sent.
    pub had_bearer: bool,
    /// The injected fault, if any (`status429`, `status503`, `drop`, `delay250ms`).
    pub fault: Option<String>,
    /// Sandbox time of arrival, epoch milliseconds.
    pub at_ms: u64,
}

/// Replaces the token in legacy metadata paths (`/oauth/v1/access-tokens/{t}`, …) by `{token}`.
fn redact_path(path: &str) -> String {
    for prefix in ["/oauth/v1/access-tokens/", "/oauth/v1/refresh-tokens/"] {
        if path.starts_with(prefix) && path.len() > prefix.len() {
            return format!("{prefix}{{token}}");
        }
    }
    path.to_owned()
}

/// Middleware: buffers the body to record field names, applies a fault on the OAuth token,
/// introspect and revoke endpoints, runs the handler and logs the outcome.
pub(crate) async fn record(State(ctx): State<Ctx>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if path.starts_with("/_sandbox") {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    let query = FormData::parse(parts.uri.query().unwrap_or("").as_bytes());
    let form = if is_form(&parts.headers) {
        FormData::parse(&bytes)
    } else {
        FormData::default()
    };
    let pick = |name: &str| form.get(name).or_else(|| query.get(name)).map(str::to_owned);
    let mut entry = LoggedRequest {
        listener: ctx.listener,
        method: parts.method.to_string(),
        path: redact_path(&path),
        status: 0,
        grant_type: pick("grant_type"),
        client_id: pick("client_id"),
        redirect_uri: pick("redirect_uri"),
        form_fields: form.names(),
        query_fields: query.names(),
        content_type: content_type(&parts.headers).map(str::to_owned),
        had_code_verifier: form
            .non_empty("code_verifier")
            .or(query.non_empty("code_verifier"))
            .is_some(),
        had_client_secret: form
            .non_empty("client_secret")
            .or(query.non_empty("client_secret"))
            .is_some(),
        had_bearer: parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ")),
        fault: None,
        at_ms: 0,
    };
    let conn = parts
        .extensions
        .get::<ConnectInfo<ConnHandle>>()
        .map(|c| c.0.clone());

    let fault = {
        let mut inner = ctx.shared.lock();
        entry.at_ms = inner.now_ms();
        if is_faultable(&path) {
            inner.take_fault()
        } else {
            None
        }
    };
    entry.fault = fault.as_ref().map(Fault::label);

    let response = match fault {
        Some(Fault::Status429 { retry_after_secs }) => {
            let body = json!({"status": "error", "message": "You have reached your rate limit."});
            let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        Some(Fault::Status5xx(code)) => {
            let status = StatusCode::from_u16(code)
                .ok()
                .filter(StatusCode::is_server_error)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = status.canonical_reason().unwrap_or("Internal error");
            (status, Json(api_error_body("INTERNAL_ERROR", message))).into_response()
        }
        Some(Fault::Drop) => {
            if let Some(conn) = conn {
                conn.kill();
            }
            push(&ctx.shared, entry);
            // Never written: the connection fails before the response goes out.
            return StatusCode::BAD_GATEWAY.into_response();
        }
        Some(Fault::Delay(ms)) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(Request::from_parts(parts, Body::from(bytes))).await
        }
        None => next.run(Request::from_parts(parts, Body::from(bytes))).await,
    };
    entry.status = response.status().as_u16();
    push(&ctx.shared, entry);
    response
}

fn push(shared: &Shared, entry: LoggedRequest) {
    let mut inner = shared.lock();
    inner.log.push(entry);
    inner.sweep();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_paths_are_redacted() {
        assert_eq!(
            redact_path("/oauth/v1/access-tokens/CKsecret"),
            "/oauth/v1/access-tokens/{token}"
        );
        assert_eq!(
            redact_path("/oauth/v1/refresh-tokens/na1-x"),
            "/oauth/v1/refresh-tokens/{token}"
        );
        assert_eq!(redact_path("/oauth/v3/token"), "/oauth/v3/token");
    }
}
