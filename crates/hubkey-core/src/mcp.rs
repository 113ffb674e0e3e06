//! Does HubSpot's remote MCP server accept this token? (hubspot-oauth.md §7.2, §7.3 and its
//! corrections of 2026-12-02)
//!
//! [`check_mcp_server`] sends the MCP `initialize` request (JSON-RPC over streamable HTTP, protocol
//! `2025-06-18`) to [`Endpoints::mcp_server_url`] with the access token as a bearer token, and
//! reads the answer as an [`McpCheck`]:
//!
//! * `200` with an `initialize` result → [`McpCheck::Accepted`] (protocol version, server name,
//!   whether an `mcp-session-id` came back);
//! * `401` whose body says "This endpoint requires a user level OAuth token" → [`McpCheck::NotUserLevel`]
//!   with what to do ([`NOT_USER_LEVEL_EXPLANATION`]). HubSpot sends that body as **plain text**, not
//!   JSON; it is recognised whatever the content type (plain text, a JSON `message`, or mislabelled);
//! * any other `401`, typically HubSpot's **empty** one with `WWW-Authenticate: Bearer
//!   resource_metadata=…` → [`McpCheck::Unauthorized`]: the token is expired or revoked (or missing);
//! * `429`, `5xx`, timeouts and broken connections → [`Error::Transient`];
//! * anything else → [`McpCheck::Unexpected`].
//!
//! [`check_connection`] comes first for a stored connection: when its metadata already says the
//! token is account-level (`is_user_level = false`, from introspection at sign-in), it answers
//! [`McpCheck::AccountLevelToken`] without fetching the token or calling the server. Such a token
//! can never become user-level, so no message ever tells the user to sign in again for it: the fix
//! is another app (an MCP auth app or a user-level app).
//!
//! The token is never logged and never part of a result or an error; neither is a response body
//! (only HubSpot's short message, when it does not contain the token).

use crate::config::{parse_base_url, Endpoints};
use crate::error::{Error, Result};
use crate::secret::AccessToken;
use crate::store::Connection;
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use serde::Serialize;
use serde_json::{json, Value};
use std::future::Future;
use std::time::Duration;

/// The MCP protocol version Hubkey asks for (the one HubSpot's server speaks, §7.3).
pub const MCP_PROTOCOL_VERSION: &str = "2025-06-18";

/// What to do when the MCP server refuses a token because it is not user-level.
pub const NOT_USER_LEVEL_EXPLANATION: &str =
    "HubSpot's MCP server accepts only user-level tokens: create an \
MCP auth app (Development → MCP Auth Apps) or a user-level app (isUserLevel: true)";

/// HubSpot's 401 body for an account-level token.
const USER_LEVEL_REQUIRED: &str = "This endpoint requires a user level OAuth token";
/// What identifies it (lowercase).
const USER_LEVEL_PHRASE: &str = "requires a user level oauth token";

/// Why signing in again cannot help an account-level token, appended to its fix.
const ANOTHER_APP: &str =
    "This app's tokens will never be user-level: register that app in Hubkey and connect \
the portal with it.";

/// Largest answer read from the MCP server.
const MAX_BODY: usize = 256 * 1024;
/// Longest HubSpot `message` kept.
const MAX_MESSAGE: usize = 300;

/// What the MCP server said about a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum McpCheck {
    /// The server accepted the token and answered `initialize`.
    Accepted {
        /// The protocol version the server chose.
        protocol_version: String,
        /// `serverInfo.name`, when given.
        server_name: Option<String>,
        /// Whether an `mcp-session-id` header came back.
        session_id: bool,
    },
    /// 401 "This endpoint requires a user level OAuth token": an account-level token.
    NotUserLevel {
        /// HubSpot's message.
        hubspot_message: String,
        /// What to do ([`NOT_USER_LEVEL_EXPLANATION`]).
        explanation: String,
    },
    /// Known before asking: the connection's metadata says the token is account-level
    /// (`is_user_level = false`), which the MCP server always refuses. Nothing was sent.
    AccountLevelToken {
        /// What to do ([`NOT_USER_LEVEL_EXPLANATION`]).
        explanation: String,
    },
    /// Another 401 (HubSpot's is empty, with a `WWW-Authenticate` challenge): the token is expired or
    /// revoked, or was missing.
    Unauthorized {
        /// The protected-resource metadata URL from `WWW-Authenticate`, when present.
        resource_metadata: Option<String>,
        /// HubSpot's message, when short and safe to show.
        message: Option<String>,
    },
    /// Any other answer.
    Unexpected {
        /// The HTTP status.
        status: u16,
        /// What was wrong with it (never the body).
        detail: String,
    },
}

impl McpCheck {
    /// True for [`McpCheck::Accepted`].
    pub fn accepted(&self) -> bool {
        matches!(self, McpCheck::Accepted { .. })
    }

    /// One line for the CLI and the UI.
    pub fn summary(&self) -> String {
        match self {
            McpCheck::Accepted {
                protocol_version,
                server_name,
                ..
            } => format!(
                "HubSpot's MCP server accepts this token ({}, protocol {protocol_version}).",
                server_name.as_deref().unwrap_or("unnamed server")
            ),
            McpCheck::NotUserLevel { hubspot_message, .. } => format!(
                "HubSpot's MCP server refuses this token: it is not a user-level token (\"{}\").",
                hubspot_message.trim_end_matches('.')
            ),
            McpCheck::AccountLevelToken { .. } => "This connection's token is not a user-level token (HubSpot \
                 said so when the portal was connected), and HubSpot's MCP server accepts only user-level tokens; \
                 the server was not asked."
                .to_owned(),
            McpCheck::Unauthorized { message, .. } => format!(
                "HubSpot's MCP server says this token is expired or revoked{}.",
                message
                    .as_deref()
                    .map(|m| format!(" (\"{}\")", m.trim_end_matches('.')))
                    .unwrap_or_default()
            ),
            McpCheck::Unexpected { status, detail } => {
                format!("HubSpot's MCP server answered HTTP {status}: {detail}.")
            }
        }
    }

    /// What to do next, when something is wrong.
    pub fn fix(&self) -> Option<String> {
        match self {
            McpCheck::Accepted { .. } => None,
            McpCheck::NotUserLevel { explanation, .. } | McpCheck::AccountLevelToken { explanation } => {
                Some(format!("{explanation}. {ANOTHER_APP}"))
            }
            McpCheck::Unauthorized { .. } => Some(
                "The token is expired or revoked (or was missing): refresh the connection or sign in again."
                    .to_owned(),
            ),
            McpCheck::Unexpected { .. } => {
                Some("Try again later; check HUBKEY_MCP_BASE_URL if you changed it.".to_owned())
            }
        }
    }
}

/// An HTTP client suited to [`check_mcp_server`]: redirects never followed, 10 s to connect,
/// 30 s per request, rustls, Hubkey's user agent (the same settings as
/// [`crate::client::HubSpotClient`]).
pub fn http_client() -> Result<crate::http::HttpClients> {
    build_http_client(Duration::from_secs(10), Duration::from_secs(30))
}

pub(crate) fn build_http_client(
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<crate::http::HttpClients> {
    crate::http::HttpClients::new(connect_timeout, timeout, crate::client::USER_AGENT).map_err(Error::Config)
}

/// Checks a stored connection: [`McpCheck::AccountLevelToken`] at once, without calling `token`
/// or the server, when the connection is known to be account-level; otherwise fetches the token
/// with `token` (which may refresh it) and asks the server ([`check_mcp_server`]).
pub async fn check_connection<F, Fut>(
    http: &crate::http::HttpClients,
    endpoints: &Endpoints,
    connection: &Connection,
    token: F,
) -> Result<McpCheck>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<AccessToken>>,
{
    if connection.is_user_level == Some(false) {
        tracing::info!(
            target: "hubkey::mcp",
            app = %connection.app,
            hub_id = connection.hub_id,
            "account-level token: MCP server not asked"
        );
        return Ok(McpCheck::AccountLevelToken {
            explanation: NOT_USER_LEVEL_EXPLANATION.to_owned(),
        });
    }
    let token = token().await?;
    check_mcp_server(http, endpoints, &token).await
}

/// Sends MCP `initialize` with `access_token` to the MCP server and says what it answered (see
/// the module docs).
pub async fn check_mcp_server(
    http: &crate::http::HttpClients,
    endpoints: &Endpoints,
    access_token: &AccessToken,
) -> Result<McpCheck> {
    let url = parse_base_url("the MCP server URL", endpoints.mcp_server_url().as_str())?;
    let body = json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": MCP_PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "hubkey", "version": env!("CARGO_PKG_VERSION")},
        },
    });
    let started = std::time::Instant::now();
    let mut request = http.post(url);
    if !access_token.is_empty() {
        request = request.header(reqwest::header::AUTHORIZATION, crate::http::bearer(access_token));
    }
    let mut response = request
        .header(ACCEPT, "application/json, text/event-stream")
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| transport_error(&e))?;
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(&e))? {
        if bytes.len() + chunk.len() > MAX_BODY {
            return Err(Error::UnexpectedResponse(format!(
                "the MCP server's answer is larger than {MAX_BODY} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    tracing::debug!(
        target: "hubkey::mcp",
        status = status.as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "MCP initialize"
    );
    classify(status.as_u16(), &headers, &bytes, access_token)
}

fn transport_error(e: &reqwest::Error) -> Error {
    let what = if e.is_timeout() {
        "no answer from HubSpot's MCP server in time".to_owned()
    } else if e.is_connect() {
        "could not connect to HubSpot's MCP server".to_owned()
    } else {
        "the connection to HubSpot's MCP server broke".to_owned()
    };
    Error::Transient {
        what,
        retry_after: None,
    }
}

fn classify(status: u16, headers: &HeaderMap, body: &[u8], token: &AccessToken) -> Result<McpCheck> {
    match status {
        200 => accepted(headers, body),
        401 => {
            // Whatever the content type or the wrapping: HubSpot sends this one as plain text.
            let message = safe_message(body, token);
            let needs_user_level = String::from_utf8_lossy(body)
                .to_ascii_lowercase()
                .contains(USER_LEVEL_PHRASE);
            if needs_user_level {
                let hubspot_message = message
                    .filter(|m| m.to_ascii_lowercase().contains(USER_LEVEL_PHRASE))
                    .unwrap_or_else(|| USER_LEVEL_REQUIRED.to_owned());
                return Ok(McpCheck::NotUserLevel {
                    hubspot_message,
                    explanation: NOT_USER_LEVEL_EXPLANATION.to_owned(),
                });
            }
            let resource_metadata = headers
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| auth_param(v, "resource_metadata"));
            Ok(McpCheck::Unauthorized {
                resource_metadata,
                message,
            })
        }
        429 | 500..=599 => Err(Error::Transient {
            what: format!("HubSpot's MCP server answered HTTP {status}"),
            retry_after: headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(crate::client::parse_retry_after),
        }),
        other => Ok(McpCheck::Unexpected {
            status: other,
            detail: match other {
                300..=399 => "a redirect (not followed)".to_owned(),
                403 => "access forbidden".to_owned(),
                404 => "no MCP endpoint at this URL".to_owned(),
                _ => "not an MCP answer".to_owned(),
            },
        }),
    }
}

fn accepted(headers: &HeaderMap, body: &[u8]) -> Result<McpCheck> {
    let is_sse = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("text/event-stream"));
    let message = if is_sse {
        sse_messages(body).into_iter().find(|m| m.get("id").is_some())
    } else {
        serde_json::from_slice::<Value>(body).ok()
    }
    .ok_or_else(|| {
        Error::UnexpectedResponse("the MCP server's answer to initialize is not JSON-RPC".into())
    })?;
    if let Some(err) = message.get("error") {
        let code = err.get("code").and_then(Value::as_i64).unwrap_or_default();
        return Ok(McpCheck::Unexpected {
            status: 200,
            detail: format!("JSON-RPC error {code} to initialize"),
        });
    }
    let result = message.get("result");
    let protocol_version = result
        .and_then(|r| r.get("protocolVersion"))
        .and_then(Value::as_str)
        .map(clean)
        .ok_or_else(|| {
            Error::UnexpectedResponse("the MCP server's initialize result has no protocolVersion".into())
        })?;
    let server_name = result
        .and_then(|r| r.pointer("/serverInfo/name"))
        .and_then(Value::as_str)
        .map(clean);
    Ok(McpCheck::Accepted {
        protocol_version,
        server_name,
        session_id: headers
            .get("mcp-session-id")
            .is_some_and(|v| !v.as_bytes().is_empty()),
    })
}

/// The JSON payloads of the `data:` lines of a server-sent-events body, one per event.
fn sse_messages(body: &[u8]) -> Vec<Value> {
    let text = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    let mut data = String::new();
    for line in text.lines().chain(std::iter::once("")) {
        if let Some(rest) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        } else if line.is_empty() && !data.is_empty() {
            if let Ok(v) = serde_json::from_str(&data) {
                out.push(v);
            }
            data.clear();
        }
    }
    out
}

/// HubSpot's message from an error body: the `message` of a JSON body, else the body itself when it
/// is short plain text (HubSpot's 401 for an account-level token is "This endpoint requires a user
/// level OAuth token" as text, whatever the content type says). Control characters removed,
/// shortened, and dropped entirely if it echoes the token. HTML pages and long bodies give `None`.
fn safe_message(body: &[u8], token: &AccessToken) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim();
    let m = match serde_json::from_str::<Value>(text) {
        Ok(v) => v.get("message").and_then(Value::as_str)?.to_owned(),
        Err(_) if text.len() <= MAX_MESSAGE && !text.starts_with('<') => text.to_owned(),
        Err(_) => return None,
    };
    if !token.is_empty() && m.contains(token.expose()) {
        return None;
    }
    let cleaned = clean(m.trim());
    (!cleaned.is_empty()).then_some(cleaned)
}

fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(MAX_MESSAGE).collect()
}

/// The value of `name="…"` (or `name=token`) in a `WWW-Authenticate` challenge.
fn auth_param(header: &str, name: &str) -> Option<String> {
    let mut rest = header;
    while let Some(i) = rest.find(name) {
        let before_ok = i == 0 || matches!(rest.as_bytes().get(i - 1), Some(b' ' | b',' | b'\t'));
        let after = &rest[i + name.len()..];
        let after = after.trim_start();
        if before_ok {
            if let Some(v) = after.strip_prefix('=') {
                let v = v.trim_start();
                let value = match v.strip_prefix('"') {
                    Some(q) => q.split('"').next().unwrap_or(""),
                    None => v.split([',', ' ']).next().unwrap_or(""),
                };
                return (!value.is_empty()).then(|| clean(value));
            }
        }
        rest = &rest[i + name.len()..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_challenges_when_reading_resource_metadata_then_quoted_and_bare_values_are_found() {
        assert_eq!(
            auth_param(
                "Bearer error=\"invalid_token\", resource_metadata=\"https://mcp.hubspot.com/.well-known/oauth-protected-resource\"",
                "resource_metadata"
            )
            .as_deref(),
            Some("https://mcp.hubspot.com/.well-known/oauth-protected-resource")
        );
        assert_eq!(
            auth_param("Bearer resource_metadata=x", "resource_metadata").as_deref(),
            Some("x")
        );
        assert_eq!(auth_param("Bearer realm=\"a\"", "resource_metadata"), None);
        assert_eq!(
            auth_param("Bearer xresource_metadata=\"a\"", "resource_metadata"),
            None
        );
    }

    #[test]
    fn given_an_sse_answer_when_initialize_is_read_then_the_data_line_is_parsed() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, "text/event-stream".parse().unwrap());
        headers.insert("mcp-session-id", "abc".parse().unwrap());
        let body = b"event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":\"2025-06-18\",\"serverInfo\":{\"name\":\"hs\"}}}\n\n";
        assert_eq!(
            accepted(&headers, body).unwrap(),
            McpCheck::Accepted {
                protocol_version: "2025-06-18".into(),
                server_name: Some("hs".into()),
                session_id: true
            }
        );
    }

    #[test]
    fn given_a_401_echoing_the_token_when_classified_then_the_message_is_dropped() {
        let token = AccessToken::new("tok-123456");
        let body = br#"{"message":"bad token tok-123456"}"#;
        let got = classify(401, &HeaderMap::new(), body, &token).unwrap();
        assert_eq!(
            got,
            McpCheck::Unauthorized {
                resource_metadata: None,
                message: None
            }
        );
        assert!(!format!("{got:?}").contains("tok-123456"));
    }

    /// HubSpot's body for an account-level token, verbatim: "The MCP server's 401 for an account-level
    /// token has a plain-text body: \"This endpoint requires a user level OAuth token\". It is not JSON"
    /// (hubspot-oauth.md, Corrections of 2026-12-02; community.hubspot.com thread "401 Error with
    /// User-Level OAuth Token for mcp.hubspot.com").
    const HUBSPOT_NOT_USER_LEVEL: &[u8] = b"This endpoint requires a user level OAuth token";

    #[test]
    fn given_hubspots_plain_text_401_under_any_content_type_when_classified_then_not_user_level() {
        let token = AccessToken::new("tok-123456");
        for content_type in [
            None,
            Some("text/plain"),
            Some("text/plain; charset=utf-8"),
            Some("application/json"),
            Some("text/html"),
        ] {
            let mut headers = HeaderMap::new();
            if let Some(ct) = content_type {
                headers.insert(CONTENT_TYPE, ct.parse().unwrap());
            }
            let got = classify(401, &headers, HUBSPOT_NOT_USER_LEVEL, &token).unwrap();
            assert_eq!(
                got,
                McpCheck::NotUserLevel {
                    hubspot_message: "This endpoint requires a user level OAuth token".into(),
                    explanation: NOT_USER_LEVEL_EXPLANATION.into(),
                },
                "{content_type:?}"
            );
            assert!(
                got.summary().contains("not a user-level token"),
                "{}",
                got.summary()
            );
            let fix = got.fix().unwrap();
            assert!(
                fix.contains("MCP auth app") && fix.contains("user-level app"),
                "{fix}"
            );
            assert!(!fix.contains("sign in again"), "{fix}");
        }
        // With a trailing new line, or inside a JSON `message`, too.
        for body in [
            &b"This endpoint requires a user level OAuth token\n"[..],
            br#"{"message":"This endpoint requires a user level OAuth token"}"#,
        ] {
            assert!(matches!(
                classify(401, &HeaderMap::new(), body, &token).unwrap(),
                McpCheck::NotUserLevel { .. }
            ));
        }
    }

    #[test]
    fn given_hubspots_empty_401_with_a_challenge_when_classified_then_expired_or_revoked() {
        // "A missing or expired token gets an empty 401 with `WWW-Authenticate: Bearer
        // resource_metadata="https://mcp.hubspot.com/.well-known/oauth-protected-resource"`"
        // (hubspot-oauth.md, Corrections of 2026-12-02).
        let mut headers = HeaderMap::new();
        headers.insert(
            WWW_AUTHENTICATE,
            "Bearer resource_metadata=\"https://mcp.hubspot.com/.well-known/oauth-protected-resource\""
                .parse()
                .unwrap(),
        );
        let got = classify(401, &headers, b"", &AccessToken::new("t")).unwrap();
        assert_eq!(
            got,
            McpCheck::Unauthorized {
                resource_metadata: Some(
                    "https://mcp.hubspot.com/.well-known/oauth-protected-resource".into()
                ),
                message: None,
            }
        );
        assert_eq!(
            got.summary(),
            "HubSpot's MCP server says this token is expired or revoked."
        );
        assert!(got.fix().unwrap().contains("refresh the connection"));
    }

    #[test]
    fn given_an_html_or_long_401_when_classified_then_no_body_text_is_kept() {
        let token = AccessToken::new("t");
        // The phrase still decides, even wrapped in a page; the page itself is never shown.
        let page = b"<html><body><p>This endpoint requires a user level OAuth token</p></body></html>";
        assert_eq!(
            classify(401, &HeaderMap::new(), page, &token).unwrap(),
            McpCheck::NotUserLevel {
                hubspot_message: USER_LEVEL_REQUIRED.into(),
                explanation: NOT_USER_LEVEL_EXPLANATION.into(),
            }
        );
        assert!(matches!(
            classify(401, &HeaderMap::new(), b"<html>Unauthorized</html>", &token).unwrap(),
            McpCheck::Unauthorized { message: None, .. }
        ));
        let long = "x".repeat(MAX_MESSAGE + 1);
        assert!(matches!(
            classify(401, &HeaderMap::new(), long.as_bytes(), &token).unwrap(),
            McpCheck::Unauthorized { message: None, .. }
        ));
    }

    #[test]
    fn given_5xx_and_429_when_classified_then_they_are_transient() {
        let token = AccessToken::new("t");
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        let err = classify(429, &headers, b"", &token).unwrap_err();
        assert!(err.is_transient());
        assert!(matches!(err, Error::Transient { retry_after: Some(d), .. } if d == Duration::from_secs(7)));
        assert!(classify(503, &HeaderMap::new(), b"", &token)
            .unwrap_err()
            .is_transient());
        assert_eq!(
            classify(404, &HeaderMap::new(), b"", &token).unwrap(),
            McpCheck::Unexpected {
                status: 404,
                detail: "no MCP endpoint at this URL".into()
            }
        );
    }
}
