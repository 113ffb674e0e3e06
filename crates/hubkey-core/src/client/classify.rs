//! Turning a failed HubSpot answer into an [`Error`] (hubspot-oauth.md §2.6, §5.2, §5.3).
//!
//! One function, [`classify_failure`], decides for every non-success answer of the token,
//! introspect and revoke endpoints. It reads the HTTP status, the `Retry-After` header and the few
//! documented fields of the body (`error`, `status`, `message`, `correlationId`); the body itself
//! never reaches an error value or a log line.

use super::wire::HubSpotErrorResponse;
use crate::error::{Error, HubSpotFault};
use std::fmt;
use std::time::Duration;

/// Which HubSpot call failed; it changes what some answers mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Authorization code → tokens.
    Exchange,
    /// Refresh token → new access token.
    Refresh,
    /// Token metadata.
    Introspect,
    /// Refresh-token revocation.
    Revoke,
}

impl Operation {
    /// Short name used in messages and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Exchange => "token exchange",
            Operation::Refresh => "token refresh",
            Operation::Introspect => "token introspection",
            Operation::Revoke => "token revocation",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// HubSpot `status` values that mean "the app is misconfigured" (keep the tokens, fix the app).
const CONFIG_STATUSES: &[&str] = &[
    "BAD_CLIENT_ID",
    "BAD_CLIENT_SECRET",
    "BAD_REDIRECT_URI",
    "BAD_GRANT_TYPE",
    "BAD_SCOPES",
    "USER_LEVEL_CLIENT_CREDENTIALS_NOT_SUPPORTED",
];

/// RFC 6749 `error` values that mean the same.
const CONFIG_ERRORS: &[&str] = &["invalid_client", "unauthorized_client", "unsupported_grant_type"];

/// HubSpot `status` values that mean "this sign-in's code was refused".
const CODE_STATUSES: &[&str] = &["BAD_AUTH_CODE", "EXPIRED_AUTH_CODE"];

/// HubSpot's `status` for a refused PKCE verifier (hubspot-oauth.md §1.4, §2.6).
const PKCE_STATUS: &str = "BAD_CODE_VERIFIER";

/// Words that name PKCE in an `error_description` or `message` (lowercase).
const PKCE_WORDS: &[&str] = &[
    "code_verifier",
    "code_challenge",
    "code verifier",
    "code challenge",
    "pkce",
];

/// HubSpot `status` values that mean "the grant is gone" (revoked, uninstalled, portal deleted).
const REVOKED_STATUSES: &[&str] = &["BAD_REFRESH_TOKEN", "BAD_HUB"];

/// RFC 6749 `error` values that mean the same.
const REVOKED_ERRORS: &[&str] = &["invalid_grant", "access_denied"];

/// Longest HubSpot-provided string copied into an error (they are short, documented messages).
const MAX_FIELD: usize = 200;

/// Classifies a non-success answer.
///
/// | answer | result |
/// | --- | --- |
/// | 3xx | `UnexpectedResponse` (redirects are never followed, threat-model.md T2) |
/// | 408, 423, 429, 477, 5xx | `Transient` with `retry_after` from `Retry-After` |
/// | 415, `BAD_CLIENT_ID`, `BAD_CLIENT_SECRET`, `BAD_REDIRECT_URI`, `BAD_GRANT_TYPE`, `invalid_client`… | `HubSpotConfig` |
/// | on exchange: `BAD_CODE_VERIFIER`, or an `error_description`/`message` naming `code_verifier`, `code_challenge` or PKCE | `PkceRejected` (this sign-in failed; the fix is a setting) |
/// | `BAD_AUTH_CODE`, `EXPIRED_AUTH_CODE`; on exchange also `invalid_grant`, `access_denied`, `BAD_HUB` | `ConsentDenied` (this sign-in failed; nothing to store) |
/// | 4xx with `invalid_grant`, `access_denied`, `BAD_REFRESH_TOKEN`, `BAD_HUB` | `NeedsReauth` |
/// | other 401/403, other 4xx with a readable HubSpot error body | `HubSpotConfig` |
/// | anything else | `UnexpectedResponse` |
pub fn classify_failure(
    op: Operation,
    http_status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Error {
    let at = format!("HTTP {http_status} from the {op} endpoint");
    match http_status {
        300..=399 => return Error::UnexpectedResponse(format!("{at}: redirect not followed")),
        429 => {
            return Error::Transient {
                what: format!("rate limited ({at})"),
                retry_after,
            }
        }
        408 | 423 | 477 | 500..=599 => {
            return Error::Transient {
                what: at,
                retry_after,
            }
        }
        400..=499 => {}
        _ => return Error::UnexpectedResponse(at),
    }

    let parsed: Option<HubSpotErrorResponse> = serde_json::from_slice(body).ok();
    let readable = parsed.as_ref().is_some_and(HubSpotErrorResponse::is_meaningful);
    let names_pkce = parsed.as_ref().is_some_and(|b| {
        b.status.as_deref() == Some(PKCE_STATUS)
            || [&b.error_description, &b.message]
                .into_iter()
                .flatten()
                .any(|text| {
                    let text = text.to_ascii_lowercase();
                    PKCE_WORDS.iter().any(|w| text.contains(w))
                })
    });
    let fault = fault_from(http_status, parsed.unwrap_or_default());
    let status = fault.status.as_deref();
    let error = fault.error.as_deref();
    let is_in = |v: Option<&str>, set: &[&str]| v.is_some_and(|v| set.contains(&v));

    if op == Operation::Exchange && names_pkce {
        // Only the exchange sends a verifier. Said exactly, with its own fix (Error::hint).
        return Error::PkceRejected(fault);
    }
    if http_status == 415 || is_in(status, CONFIG_STATUSES) || is_in(error, CONFIG_ERRORS) {
        return Error::HubSpotConfig(fault);
    }
    let code_refused = is_in(status, CODE_STATUSES);
    let revoked = is_in(status, REVOKED_STATUSES) || is_in(error, REVOKED_ERRORS);
    if code_refused || (op == Operation::Exchange && revoked) {
        // A refused authorization code is a failed sign-in, not a broken connection: there is no
        // stored grant to re-authorize, and nothing from this exchange may be stored (threat-model.md C3).
        let what = fault
            .status
            .clone()
            .or_else(|| fault.error.clone())
            .unwrap_or_else(|| "invalid_grant".into());
        return Error::ConsentDenied {
            error: what,
            description: fault.message.clone(),
        };
    }
    if revoked {
        return Error::NeedsReauth(fault);
    }
    if readable || matches!(http_status, 401 | 403) {
        return Error::HubSpotConfig(fault);
    }
    Error::UnexpectedResponse(at)
}

/// Builds the safe summary of an error body: short documented strings only.
pub(crate) fn fault_from(http_status: u16, body: HubSpotErrorResponse) -> HubSpotFault {
    // API-style errors carry `"status":"error"`, which says nothing; their `category` does.
    let status = match body.status {
        Some(s) if s.eq_ignore_ascii_case("error") => body.category,
        Some(s) => Some(s),
        None => body.category,
    };
    HubSpotFault {
        http_status,
        error: body.error.map(|s| clean(&s)),
        status: status.map(|s| clean(&s)),
        message: body.message.or(body.error_description).map(|s| clean(&s)),
        correlation_id: body.correlation_id.map(|s| clean(&s)),
    }
}

/// Strips control characters ([`crate::text::strip_controls`]) and bounds the length of a
/// server-provided string.
fn clean(s: &str) -> String {
    let clean = crate::text::strip_controls(s);
    let mut out: String = clean.chars().take(MAX_FIELD).collect();
    if clean.chars().count() > MAX_FIELD {
        out.push('…');
    }
    out
}

/// Parses `Retry-After` given in seconds (HubSpot's 429 and 477 use seconds). HTTP dates and
/// garbage give `None`; absurd values are capped at one week.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(secs.min(7 * 24 * 3600)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use Operation::*;

    fn body(error: Option<&str>, status: Option<&str>) -> Vec<u8> {
        let mut v = serde_json::Map::new();
        if let Some(e) = error {
            v.insert("error".into(), e.into());
            v.insert("error_description".into(), "described".into());
        }
        if let Some(s) = status {
            v.insert("status".into(), s.into());
            v.insert("message".into(), "a HubSpot message".into());
        }
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn given_every_documented_failure_when_classified_then_the_table_of_hubspot_oauth_2_6_holds() {
        use ErrorCode as C;
        type Case = (
            Operation,
            u16,
            Option<&'static str>,
            Option<&'static str>,
            ErrorCode,
        );
        let cases: &[Case] = &[
            // revoked
            (
                Refresh,
                400,
                Some("invalid_grant"),
                Some("BAD_REFRESH_TOKEN"),
                C::NeedsReauth,
            ),
            (Refresh, 400, Some("invalid_grant"), None, C::NeedsReauth),
            (Refresh, 400, None, Some("BAD_REFRESH_TOKEN"), C::NeedsReauth),
            (
                Refresh,
                400,
                Some("access_denied"),
                Some("BAD_HUB"),
                C::NeedsReauth,
            ),
            (Refresh, 400, None, Some("BAD_HUB"), C::NeedsReauth),
            (Refresh, 401, Some("access_denied"), None, C::NeedsReauth),
            (Introspect, 400, Some("invalid_grant"), None, C::NeedsReauth),
            (
                Revoke,
                400,
                Some("invalid_grant"),
                Some("BAD_REFRESH_TOKEN"),
                C::NeedsReauth,
            ),
            // configuration
            (
                Refresh,
                400,
                Some("invalid_request"),
                Some("BAD_CLIENT_ID"),
                C::HubspotConfig,
            ),
            (
                Refresh,
                400,
                Some("invalid_client"),
                Some("BAD_CLIENT_SECRET"),
                C::HubspotConfig,
            ),
            (
                Exchange,
                400,
                Some("invalid_client"),
                Some("BAD_CLIENT_SECRET"),
                C::HubspotConfig,
            ),
            (
                Exchange,
                400,
                Some("invalid_grant"),
                Some("BAD_REDIRECT_URI"),
                C::HubspotConfig,
            ),
            (
                Exchange,
                400,
                Some("unsupported_grant_type"),
                Some("BAD_GRANT_TYPE"),
                C::HubspotConfig,
            ),
            (Refresh, 400, Some("invalid_client"), None, C::HubspotConfig),
            (Refresh, 415, None, None, C::HubspotConfig),
            (Exchange, 401, None, None, C::HubspotConfig),
            (Exchange, 403, None, None, C::HubspotConfig),
            (Revoke, 400, None, Some("VALIDATION_ERROR"), C::HubspotConfig),
            // this sign-in's code refused
            (
                Exchange,
                400,
                Some("invalid_grant"),
                Some("BAD_AUTH_CODE"),
                C::ConsentDenied,
            ),
            (Exchange, 400, None, Some("EXPIRED_AUTH_CODE"), C::ConsentDenied),
            (
                Exchange,
                400,
                Some("invalid_grant"),
                Some("BAD_CODE_VERIFIER"),
                C::PkceRejected,
            ),
            (Exchange, 400, None, Some("BAD_CODE_VERIFIER"), C::PkceRejected),
            (Exchange, 400, Some("invalid_grant"), None, C::ConsentDenied),
            (
                Exchange,
                400,
                Some("access_denied"),
                Some("BAD_HUB"),
                C::ConsentDenied,
            ),
            // transient
            (Refresh, 429, None, Some("error"), C::Transient),
            (Exchange, 500, None, None, C::Transient),
            (Refresh, 502, None, None, C::Transient),
            (Refresh, 503, None, None, C::Transient),
            (Refresh, 504, None, None, C::Transient),
            (Refresh, 521, None, None, C::Transient),
            (Refresh, 423, None, None, C::Transient),
            (Refresh, 477, None, None, C::Transient),
            (Refresh, 408, None, None, C::Transient),
            // not understood
            (Exchange, 302, None, None, C::UnexpectedResponse),
            (Exchange, 307, None, None, C::UnexpectedResponse),
            (Exchange, 404, None, None, C::UnexpectedResponse),
            (Exchange, 204, None, None, C::UnexpectedResponse),
        ];
        for &(op, http, error, status, want) in cases {
            let got = classify_failure(op, http, None, &body(error, status));
            assert_eq!(
                got.code(),
                want,
                "{op} HTTP {http} error={error:?} status={status:?}: {got}"
            );
        }
    }

    #[test]
    fn given_an_exchange_error_naming_the_verifier_or_challenge_when_classified_then_pkce_rejected() {
        // BAD_CODE_VERIFIER is what HubSpot's MCP host answers a verifier mismatch with (hubspot-oauth.md
        // §1.4, community live test); its standard apps' PKCE handling is undocumented, so any error whose
        // description names the verifier or the challenge counts too.
        let bodies = [
            r#"{"status":"BAD_CODE_VERIFIER","message":"missing or invalid code verifier","error":"invalid_grant","error_description":"missing or invalid code verifier"}"#,
            r#"{"error":"invalid_request","error_description":"code_verifier is not supported for this client"}"#,
            r#"{"error":"invalid_grant","error_description":"The code_challenge does not match"}"#,
            r#"{"status":"error","message":"PKCE is not enabled for this app","category":"VALIDATION_ERROR"}"#,
        ];
        for b in bodies {
            let err = classify_failure(Exchange, 400, None, b.as_bytes());
            assert_eq!(err.code(), ErrorCode::PkceRejected, "{b}: {err}");
            assert!(!err.hint().contains("Grant access"), "{}", err.hint());
        }
        // Elsewhere, or without those words, the usual classification holds.
        let refresh = classify_failure(Refresh, 400, None, bodies[0].as_bytes());
        assert_ne!(refresh.code(), ErrorCode::PkceRejected);
        let code =
            br#"{"status":"BAD_AUTH_CODE","error":"invalid_grant","message":"missing or unknown auth code"}"#;
        assert_eq!(
            classify_failure(Exchange, 400, None, code).code(),
            ErrorCode::ConsentDenied
        );
    }

    #[test]
    fn given_a_429_with_retry_after_when_classified_then_the_delay_is_kept() {
        let body = br#"{"status":"error","message":"You have reached your rate limit."}"#;
        let err = classify_failure(Refresh, 429, parse_retry_after("7"), body);
        match err {
            Error::Transient {
                retry_after,
                ref what,
            } => {
                assert_eq!(retry_after, Some(Duration::from_secs(7)));
                assert!(what.contains("429"), "{what}");
            }
            other => panic!("expected Transient, got {other:?}"),
        }
    }

    #[test]
    fn given_retry_after_values_when_parsed_then_only_seconds_count() {
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("0"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("86400"), Some(Duration::from_secs(86400)));
        assert_eq!(
            parse_retry_after("999999999999"),
            Some(Duration::from_secs(7 * 24 * 3600))
        );
        assert_eq!(parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after(""), None);
    }

    #[test]
    fn given_a_bad_client_secret_when_classified_then_the_fault_names_it_and_the_hint_says_what_to_fix() {
        let body = br#"{"error":"invalid_client","error_description":"missing or invalid client secret","status":"BAD_CLIENT_SECRET","message":"missing or invalid client secret","correlationId":"c0ffee"}"#;
        let err = classify_failure(Exchange, 400, None, body);
        let Error::HubSpotConfig(ref fault) = err else {
            panic!("{err:?}")
        };
        assert_eq!(fault.status.as_deref(), Some("BAD_CLIENT_SECRET"));
        assert_eq!(fault.error.as_deref(), Some("invalid_client"));
        assert_eq!(fault.correlation_id.as_deref(), Some("c0ffee"));
        assert!(err.hint().contains("client secret"), "{}", err.hint());
        assert!(err.to_string().contains("BAD_CLIENT_SECRET"), "{err}");
    }

    #[test]
    fn t1_given_bodies_holding_secrets_when_classified_then_no_error_display_or_debug_contains_them() {
        let secret = "na1-SECRET-TOKEN-VALUE-1234";
        let bodies = [
            format!(r#"{{"access_token":"{secret}","refresh_token":"{secret}"}}"#),
            format!("<html>{secret}</html>"),
            format!(r#"{{"error":"invalid_grant","token":"{secret}","status":"BAD_REFRESH_TOKEN"}}"#),
        ];
        for http in [302, 400, 401, 404, 415, 429, 500, 503] {
            for op in [Exchange, Refresh, Introspect, Revoke] {
                for b in &bodies {
                    let err = classify_failure(op, http, None, b.as_bytes());
                    let shown = format!("{err} {err:?} {}", err.hint());
                    assert!(!shown.contains("SECRET-TOKEN"), "{op} {http}: {shown}");
                    assert!(!shown.contains("<html>"), "{op} {http}: {shown}");
                }
            }
        }
    }

    #[test]
    fn given_a_long_or_control_laden_message_when_classified_then_it_is_cleaned_and_bounded() {
        let msg = format!("line1\nline2\u{1b}[31m{}", "x".repeat(1000));
        let body =
            serde_json::json!({"error": "invalid_grant", "status": "BAD_REFRESH_TOKEN", "message": msg});
        let Error::NeedsReauth(fault) = classify_failure(Refresh, 400, None, body.to_string().as_bytes())
        else {
            panic!()
        };
        let m = fault.message.unwrap();
        assert!(!m.contains('\n') && !m.contains('\u{1b}'));
        assert!(m.chars().count() <= MAX_FIELD + 1);
    }
}
