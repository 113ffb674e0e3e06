//! The `mcp.hubspot.com` side (hubspot-oauth.md §7.3, §9 point 8): OAuth metadata documents and a
//! minimal streamable-HTTP MCP endpoint at `POST /`.
//!
//! The authorize, token, introspect and revoke routes of this listener reuse the modules of the app
//! and API host; what differs (PKCE required, MCP apps only, `scope` ignored, v3 only) is decided
//! there from the listener. The MCP endpoint accepts only **user-level** access tokens, and refuses
//! the others in exactly HubSpot's shapes (hubspot-oauth.md, Corrections of 2026-12-02):
//! - no, unknown or expired token → an **empty** 401 with
//!   `WWW-Authenticate: Bearer resource_metadata="<mcp base>/.well-known/oauth-protected-resource"`;
//! - an account-level token → 401 with the **plain-text** body "This endpoint requires a user level
//!   OAuth token" (`text/plain`, not JSON: the MCP SDKs print it raw);
//! - otherwise JSON-RPC: `initialize` (protocol `2025-06-18`, answers an `mcp-session-id` header),
//!   `notifications/*` (202), `ping`, `tools/list`, `tools/call` of `get_user_details`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::api::bearer;
use crate::errors::not_found;
use crate::state::{new_opaque_id, AccessLookup, AccessRecord, McpMetadata};
use crate::Ctx;

/// MCP protocol version the emulated server speaks.
pub const MCP_PROTOCOL_VERSION: &str = "2025-06-18";

/// The prefix under which the MCP listener also serves its OAuth routes ([`McpMetadata::Relocated`]).
pub(crate) const RELOCATED: &str = "/relocated";

/// `GET /.well-known/oauth-authorization-server` (RFC 8414). No `registration_endpoint`: HubSpot
/// has no dynamic client registration, and no `revocation_endpoint`: HubSpot does not advertise one
/// (hubspot-oauth.md, Corrections of 2026-12-02).
pub(crate) async fn authorization_server(State(ctx): State<Ctx>) -> Response {
    let base = ctx.shared.mcp_base_url.clone();
    let mode = ctx.shared.lock().switches.mcp_metadata;
    match mode {
        McpMetadata::Served => Json(as_document(&base, &base)).into_response(),
        McpMetadata::Unsafe => Json(as_document(&base, "http://mcp.example.invalid")).into_response(),
        // The relocated server's document lives at its own RFC 8414 path (below); this one is absent.
        McpMetadata::Missing | McpMetadata::Relocated => not_found(),
        McpMetadata::Malformed => malformed(),
    }
}

/// `GET /.well-known/oauth-authorization-server/relocated` (RFC 8414 §3.1: the issuer's path goes
/// after the well-known name).
pub(crate) async fn relocated_authorization_server(State(ctx): State<Ctx>) -> Response {
    let base = ctx.shared.mcp_base_url.clone();
    if ctx.shared.lock().switches.mcp_metadata != McpMetadata::Relocated {
        return not_found();
    }
    let issuer = format!("{base}{RELOCATED}");
    Json(as_document(&issuer, &issuer)).into_response()
}

fn as_document(issuer: &str, endpoints_base: &str) -> Value {
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{endpoints_base}/oauth/authorize/user"),
        "token_endpoint": format!("{endpoints_base}/oauth/v3/token"),
        "introspection_endpoint": format!("{endpoints_base}/oauth/v3/token/introspect"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    })
}

/// `GET /.well-known/oauth-protected-resource` (RFC 9728).
pub(crate) async fn protected_resource(State(ctx): State<Ctx>) -> Response {
    let base = ctx.shared.mcp_base_url.clone();
    let mode = ctx.shared.lock().switches.mcp_metadata;
    let server = match mode {
        McpMetadata::Missing => return not_found(),
        McpMetadata::Malformed => return malformed(),
        McpMetadata::Relocated => format!("{base}{RELOCATED}"),
        McpMetadata::Served | McpMetadata::Unsafe => base.clone(),
    };
    Json(json!({
        "resource": base,
        "authorization_servers": [server],
        "scopes_supported": [],
        "resource_documentation": "https://developers.hubspot.com/mcp",
    }))
    .into_response()
}

fn malformed() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        "{\"issuer\": \"http://",
    )
        .into_response()
}

/// The text of HubSpot's 401 for an account-level token (a plain-text body).
pub(crate) const USER_LEVEL_REQUIRED: &str = "This endpoint requires a user level OAuth token";

/// A missing, unknown or expired token: an empty 401 whose challenge names the protected-resource
/// metadata (RFC 9728 §5.1).
fn unauthorized(ctx: &Ctx) -> Response {
    let metadata = format!("{}/.well-known/oauth-protected-resource", ctx.shared.mcp_base_url);
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("Bearer resource_metadata=\"{metadata}\"")) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// An account-level token: 401 with a plain-text body.
fn user_level_required() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        USER_LEVEL_REQUIRED,
    )
        .into_response()
}

fn rpc_result(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

fn rpc_error(id: &Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// `POST /`: the MCP server.
pub(crate) async fn endpoint(State(ctx): State<Ctx>, headers: HeaderMap, body: Bytes) -> Response {
    let record: AccessRecord = {
        let inner = ctx.shared.lock();
        match bearer(&headers).map(|t| inner.lookup_access(t)) {
            None | Some(AccessLookup::Unknown) | Some(AccessLookup::Expired(_)) => return unauthorized(&ctx),
            Some(AccessLookup::Valid(record)) => record,
        }
    };
    if !record.grant.is_user_level {
        return user_level_required();
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(rpc_error(&Value::Null, -32700, "Parse error")),
        )
            .into_response();
    };
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let method = request.get("method").and_then(Value::as_str).unwrap_or("");
    let g = &record.grant;
    match method {
        "initialize" => {
            let result = json!({
                "protocolVersion": MCP_PROTOCOL_VERSION,
                "capabilities": {"tools": {"listChanged": false}},
                "serverInfo": {"name": "hubspot-mcp-sandbox", "version": env!("CARGO_PKG_VERSION")},
                "instructions": "HubSpot MCP server emulated by hubspot-sandbox (fake data).",
            });
            let mut response = Json(rpc_result(&id, result)).into_response();
            if let Ok(value) = HeaderValue::from_str(&new_opaque_id()) {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static("mcp-session-id"), value);
            }
            response
        }
        m if m.starts_with("notifications/") => StatusCode::ACCEPTED.into_response(),
        "ping" => Json(rpc_result(&id, json!({}))).into_response(),
        "tools/list" => Json(rpc_result(
            &id,
            json!({"tools": [{
                "name": "get_user_details",
                "description": "Returns the authenticated user, account and granted scopes.",
                "inputSchema": {"type": "object", "properties": {}},
            }]}),
        ))
        .into_response(),
        "tools/call"
            if request.pointer("/params/name").and_then(Value::as_str) == Some("get_user_details") =>
        {
            let details = json!({
                "userId": g.user_id, "user": g.user_email, "hubId": g.hub_id,
                "hubDomain": g.hub_domain, "scopes": g.scopes,
            });
            Json(rpc_result(
                &id,
                json!({"content": [{"type": "text", "text": details.to_string()}], "isError": false}),
            ))
            .into_response()
        }
        "tools/call" => Json(rpc_error(&id, -32602, "Unknown tool")).into_response(),
        _ => Json(rpc_error(&id, -32601, "Method not found")).into_response(),
    }
}
