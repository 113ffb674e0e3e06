//! HubSpot's JSON error bodies, built in one place so every endpoint answers with the same shapes.
//!
//! Two families exist (hubspot-oauth.md §2.6, §4.3, §5.2): the OAuth token errors, RFC 6749 fields
//! plus HubSpot's legacy `status`/`message`, and the generic API error with `category` and
//! `correlationId`.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// A fresh `correlationId` (a UUID, as in HubSpot's responses).
pub(crate) fn correlation_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An OAuth token-endpoint error (HTTP 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OAuthError {
    /// HubSpot's `status`, e.g. `BAD_REFRESH_TOKEN`.
    pub status: &'static str,
    /// RFC 6749 `error`, e.g. `invalid_grant`.
    pub error: &'static str,
    /// `message` and `error_description`.
    pub message: &'static str,
}

impl OAuthError {
    pub const BAD_CLIENT_ID: OAuthError = OAuthError {
        status: "BAD_CLIENT_ID",
        error: "invalid_request",
        message: "missing or unknown client id",
    };
    pub const BAD_CLIENT_SECRET: OAuthError = OAuthError {
        status: "BAD_CLIENT_SECRET",
        error: "invalid_client",
        message: "missing or invalid client secret",
    };
    pub const BAD_GRANT_TYPE: OAuthError = OAuthError {
        status: "BAD_GRANT_TYPE",
        error: "unsupported_grant_type",
        message: "missing or unsupported grant type",
    };
    pub const BAD_AUTH_CODE: OAuthError = OAuthError {
        status: "BAD_AUTH_CODE",
        error: "invalid_grant",
        message: "missing or unknown auth code",
    };
    pub const EXPIRED_AUTH_CODE: OAuthError = OAuthError {
        status: "BAD_AUTH_CODE",
        error: "invalid_grant",
        message: "auth code is expired",
    };
    pub const BAD_REDIRECT_URI: OAuthError = OAuthError {
        status: "BAD_REDIRECT_URI",
        error: "invalid_grant",
        message: "redirect_uri does not match the redirect_uri of the authorization request",
    };
    pub const BAD_CODE_VERIFIER: OAuthError = OAuthError {
        status: "BAD_CODE_VERIFIER",
        error: "invalid_grant",
        message: "missing or invalid code verifier",
    };
    /// A standard app whose fixture says `rejects_pkce` (UNCERTAIN wording, see `AppFixture`).
    pub const PKCE_NOT_SUPPORTED: OAuthError = OAuthError {
        status: "BAD_CODE_VERIFIER",
        error: "invalid_request",
        message: "PKCE (code_verifier) is not supported for this app",
    };
    pub const BAD_REFRESH_TOKEN: OAuthError = OAuthError {
        status: "BAD_REFRESH_TOKEN",
        error: "invalid_grant",
        message: "refresh token is invalid, expired or revoked",
    };
    pub const BAD_HUB: OAuthError = OAuthError {
        status: "BAD_HUB",
        error: "access_denied",
        message: "missing or unknown hub id",
    };
    pub const BAD_SCOPES: OAuthError = OAuthError {
        status: "BAD_SCOPES",
        error: "invalid_scope",
        message: "missing or invalid scopes",
    };
    pub const USER_LEVEL_CLIENT_CREDENTIALS_NOT_SUPPORTED: OAuthError = OAuthError {
        status: "USER_LEVEL_CLIENT_CREDENTIALS_NOT_SUPPORTED",
        error: "unauthorized_client",
        message: "client credentials are not supported for user level apps",
    };
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({
            "status": self.status,
            "message": self.message,
            "error": self.error,
            "error_description": self.message,
            "correlationId": correlation_id(),
        });
        (StatusCode::BAD_REQUEST, no_store(), Json(body)).into_response()
    }
}

/// `Cache-Control: no-store`, as token responses must carry (RFC 6749 §5.1).
pub(crate) fn no_store() -> [(header::HeaderName, &'static str); 2] {
    [(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")]
}

/// HubSpot's generic error body `{"status":"error","message","correlationId","category"}`.
pub(crate) fn api_error(http: StatusCode, category: &str, message: &str) -> Response {
    (http, Json(api_error_body(category, message))).into_response()
}

pub(crate) fn api_error_body(category: &str, message: &str) -> Value {
    json!({
        "status": "error",
        "message": message,
        "correlationId": correlation_id(),
        "category": category,
    })
}

/// The generic `VALIDATION_ERROR` body of the revoke reference (hubspot-oauth.md §4.3).
pub(crate) fn validation_error() -> Response {
    let body = json!({
        "message": "Invalid input (details will vary based on the error)",
        "correlationId": correlation_id(),
        "category": "VALIDATION_ERROR",
        "links": {"knowledge-base": "https://www.hubspot.com/products/service/knowledge-base"},
    });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// 415 for anything but a form body on the OAuth endpoints (§2.2; the body shape is UNCERTAIN).
pub(crate) fn unsupported_media_type(content_type: Option<&str>) -> Response {
    let message = format!(
        "Content type '{}' not supported; use application/x-www-form-urlencoded",
        content_type.unwrap_or("")
    );
    api_error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
        &message,
    )
}

/// 404 for unknown routes and unknown API versions.
pub(crate) fn not_found() -> Response {
    api_error(StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND", "resource not found")
}

/// The request's `Content-Type`, if readable.
pub(crate) fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
}

/// Whether the request carries a form body (parameters such as `charset` are allowed).
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    content_type(headers).is_some_and(|ct| {
        ct.split(';').next().is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    })
}

/// Decoded `application/x-www-form-urlencoded` pairs (body or query). `+` and `%20` both decode to
/// a space. Lookups take the first occurrence of a name.
#[derive(Debug, Default, Clone)]
pub(crate) struct FormData(Vec<(String, String)>);

impl FormData {
    pub(crate) fn parse(bytes: &[u8]) -> FormData {
        FormData(url::form_urlencoded::parse(bytes).into_owned().collect())
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The value, treating an empty string as absent.
    pub(crate) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Field names, in order, without duplicates.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for (k, _) in &self.0 {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
        names
    }
}
