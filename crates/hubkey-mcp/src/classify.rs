//! Why HubSpot's MCP server refused a request, from its status, headers and body.
//!
//! HubSpot answers two different 401s (hubspot-oauth.md, Corrections 2026-12-02, and §7.3):
//!
//! * a missing, unknown or expired token: an **empty** 401 with
//!   `WWW-Authenticate: Bearer resource_metadata="https://mcp.hubspot.com/.well-known/oauth-protected-resource"`.
//!   A refresh and one retry fix an expired token;
//! * an account-level token (a classic app, not an MCP auth app or user-level app): a 401 whose
//!   body is the **plain text** "This endpoint requires a user level OAuth token". No refresh can
//!   fix it: a refreshed token is account-level too, so the bridge must not loop.
//!
//! Both are recognised whatever the content type (our sandbox used to answer the second as JSON
//! with a `message`, which is recognised too). Only a short, control-character-free excerpt of
//! a body is ever kept, and never one that contains the token.
//!
//! (hubkey-core's one-shot MCP check has its own reading of the same answers; a later redesign can
//! make them one.)

use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};

/// The words of HubSpot's answer to an account-level token (compared case-insensitively).
pub const NOT_USER_LEVEL_MARKER: &str = "requires a user level oauth token";

/// What to do about a token that is not user-level.
pub const NOT_USER_LEVEL_FIX: &str = "HubSpot's MCP server accepts only user-level tokens: connect the portal through an MCP auth app (HubSpot: Development → MCP Auth Apps; `hubkey app add NAME --mcp …`) or a user-level app (\"isUserLevel\": true), then `hubkey login` with it";

/// Longest excerpt of a server's text kept for a message.
const MAX_EXCERPT: usize = 200;

/// Why a 401 happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unauthorized {
    /// The token is account-level: refreshing cannot help.
    NotUserLevel {
        /// HubSpot's text (cleaned).
        message: String,
    },
    /// Missing, unknown, expired or revoked: refresh once and retry.
    Token {
        /// The protected-resource metadata URL of the `WWW-Authenticate` challenge, if any.
        resource_metadata: Option<String>,
    },
}

/// Reads a 401 answer.
pub fn unauthorized(headers: &HeaderMap, body: &[u8], token: &str) -> Unauthorized {
    if let Some(message) = not_user_level_message(body, token) {
        return Unauthorized::NotUserLevel { message };
    }
    let resource_metadata = headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| auth_param(v, "resource_metadata"));
    Unauthorized::Token { resource_metadata }
}

/// HubSpot's "requires a user level OAuth token" text, from a plain-text body or from the
/// `message` of a JSON one.
fn not_user_level_message(body: &[u8], token: &str) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let from_json = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned));
    let candidate = from_json.unwrap_or_else(|| text.trim().to_owned());
    if !candidate.to_ascii_lowercase().contains(NOT_USER_LEVEL_MARKER) {
        return None;
    }
    Some(
        excerpt(&candidate, token)
            .unwrap_or_else(|| "This endpoint requires a user level OAuth token".into()),
    )
}

/// A short, printable excerpt of a server's text, or `None` when it is empty or contains the
/// token.
pub fn excerpt(text: &str, token: &str) -> Option<String> {
    if !token.is_empty() && text.contains(token) {
        return None;
    }
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut out: String = cleaned.chars().take(MAX_EXCERPT).collect();
    if cleaned.chars().count() > MAX_EXCERPT {
        out.push('…');
    }
    (!out.is_empty()).then_some(out)
}

/// The value of `name="…"` (or `name=token`) in a `WWW-Authenticate` challenge.
pub fn auth_param(header: &str, name: &str) -> Option<String> {
    let mut rest = header;
    while let Some(i) = rest.find(name) {
        let boundary = i == 0 || matches!(rest.as_bytes().get(i - 1), Some(b' ' | b',' | b'\t'));
        let after = rest[i + name.len()..].trim_start();
        if boundary {
            if let Some(v) = after.strip_prefix('=') {
                let v = v.trim_start();
                let value = match v.strip_prefix('"') {
                    Some(q) => q.split('"').next().unwrap_or(""),
                    None => v.split([',', ' ']).next().unwrap_or(""),
                };
                return excerpt(value, "");
            }
        }
        rest = &rest[i + name.len()..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn given_hubspots_plain_text_401_when_classified_then_it_is_not_user_level() {
        // HubSpot's answer to an account-level token (hubspot-oauth.md, Corrections 2026-12-02):
        // "This endpoint requires a user level OAuth token", as text/plain, not JSON.
        let got = unauthorized(
            &HeaderMap::new(),
            b"This endpoint requires a user level OAuth token",
            "tok",
        );
        assert_eq!(
            got,
            Unauthorized::NotUserLevel {
                message: "This endpoint requires a user level OAuth token".into()
            }
        );
        let json = br#"{"status":"error","message":"This endpoint requires a user level OAuth token"}"#;
        assert!(matches!(
            unauthorized(&HeaderMap::new(), json, "tok"),
            Unauthorized::NotUserLevel { .. }
        ));
    }

    #[test]
    fn given_an_empty_401_with_a_challenge_when_classified_then_it_is_a_token_problem_with_its_metadata() {
        let mut headers = HeaderMap::new();
        headers.insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "Bearer resource_metadata=\"https://mcp.hubspot.com/.well-known/oauth-protected-resource\"",
            ),
        );
        assert_eq!(
            unauthorized(&headers, b"", "tok"),
            Unauthorized::Token {
                resource_metadata: Some(
                    "https://mcp.hubspot.com/.well-known/oauth-protected-resource".into()
                )
            }
        );
        assert_eq!(
            unauthorized(&HeaderMap::new(), b"{}", "tok"),
            Unauthorized::Token {
                resource_metadata: None
            }
        );
    }

    #[test]
    fn given_a_body_echoing_the_token_when_excerpted_then_nothing_is_kept() {
        assert_eq!(excerpt("bad token sekrit-123", "sekrit-123"), None);
        let got = unauthorized(
            &HeaderMap::new(),
            b"sekrit-123 requires a user level OAuth token",
            "sekrit-123",
        );
        assert_eq!(
            got,
            Unauthorized::NotUserLevel {
                message: "This endpoint requires a user level OAuth token".into()
            }
        );
        assert_eq!(excerpt("a\u{1b}[31m\nb", "").as_deref(), Some("a [31m b"));
    }

    #[test]
    fn given_challenges_when_reading_parameters_then_quoted_and_bare_values_are_found() {
        assert_eq!(
            auth_param(
                "Bearer error=\"invalid_token\", resource_metadata=\"u\"",
                "resource_metadata"
            )
            .as_deref(),
            Some("u")
        );
        assert_eq!(
            auth_param("Bearer resource_metadata=x", "resource_metadata").as_deref(),
            Some("x")
        );
        assert_eq!(
            auth_param("Bearer xresource_metadata=\"a\"", "resource_metadata"),
            None
        );
    }
}
