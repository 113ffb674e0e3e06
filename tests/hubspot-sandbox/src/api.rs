//! A stub of the protected HubSpot API, enough to exercise what a client does with its tokens
//! (hubspot-oauth.md §5.2, §5.3, §9 point 7).
//!
//! Checks, in order: bearer token (401 `INVALID_AUTHENTICATION` when missing or unknown, 401
//! `EXPIRED_AUTHENTICATION` "…expired N minute(s) ago." when expired) → 110 calls per rolling 10 s
//! per account (429 `TEN_SECONDLY_ROLLING`) → user-level refusal on flagged endpoints (403) →
//! scopes (403 `MISSING_SCOPES`). Successful calls carry HubSpot's rate-limit headers.
//!
//! Endpoints: `GET /account-info/{2026-09|v3}/details`, `GET /crm/v3/objects/contacts`
//! (`crm.objects.contacts.read`, or the legacy `contacts`), `GET /crm/v3/owners`
//! (`crm.objects.owners.read`; refuses user-level tokens) and
//! `DELETE /appinstalls/{2026-09|v3}/external-install` (uninstalls: 204, refresh tokens die).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::errors::{api_error, correlation_id, not_found};
use crate::state::{AccessLookup, AccessRecord};
use crate::Ctx;

/// "The OAuth token used to make this call expired N minute(s) ago." (N rounded down).
pub(crate) fn expired_message(ago_ms: u64) -> String {
    format!(
        "The OAuth token used to make this call expired {} minute(s) ago.",
        ago_ms / 60_000
    )
}

/// The bearer token of a request, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

/// What an endpoint demands of the token.
struct Requirement {
    /// Any one of these scopes suffices; empty means no scope needed.
    any_scope: &'static [&'static str],
    /// Refuse user-level tokens.
    refuse_user_level: bool,
}

/// Why a protected-API call is refused.
#[derive(Debug)]
enum Rejection {
    Invalid,
    Expired { ago_ms: u64 },
    RateLimited { limit: u32, app_id: u64, hub_id: u64 },
    UserLevel,
    MissingScope(&'static str),
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Rejection::Invalid => api_error(
                StatusCode::UNAUTHORIZED,
                "INVALID_AUTHENTICATION",
                "Authentication credentials not found.",
            ),
            Rejection::Expired { ago_ms } => api_error(
                StatusCode::UNAUTHORIZED,
                "EXPIRED_AUTHENTICATION",
                &expired_message(ago_ms),
            ),
            Rejection::RateLimited {
                limit,
                app_id,
                hub_id,
            } => {
                let body = json!({
                    "status": "error",
                    "message": "You have reached your ten_secondly_rolling limit.",
                    "errorType": "RATE_LIMIT",
                    "correlationId": correlation_id(),
                    "policyName": "TEN_SECONDLY_ROLLING",
                    "groupName": format!("publicapi:oauth-api-calls-ten-secondly:{app_id}:{hub_id}"),
                });
                (StatusCode::TOO_MANY_REQUESTS, rate_headers(limit, 0), Json(body)).into_response()
            }
            // UNCERTAIN: the category of this 403 is not documented.
            Rejection::UserLevel => api_error(
                StatusCode::FORBIDDEN,
                "FORBIDDEN",
                "User level OAuth token is not allowed for this endpoint.",
            ),
            Rejection::MissingScope(scope) => {
                let body = json!({
                    "status": "error",
                    "message": "This app hasn't been granted all required scopes to make this call. \
                Read more about required scopes here: https://developers.hubspot.com/scopes.",
                    "correlationId": correlation_id(),
                    "errors": [{
                        "message": "One or more of the following scopes are required.",
                        "context": {"requiredGranularScopes": [scope]},
                    }],
                    "links": {"scopes": "https://developers.hubspot.com/scopes"},
                    "category": "MISSING_SCOPES",
                });
                (StatusCode::FORBIDDEN, Json(body)).into_response()
            }
        }
    }
}

/// Runs the checks; on success returns the token record and the rate-limit headers.
fn guard(
    ctx: &Ctx,
    headers: &HeaderMap,
    req: &Requirement,
) -> Result<(AccessRecord, RateHeaders), Rejection> {
    let mut inner = ctx.shared.lock();
    let record = match bearer(headers).map(|t| inner.lookup_access(t)) {
        Some(AccessLookup::Valid(record)) => record,
        Some(AccessLookup::Expired(ago_ms)) => return Err(Rejection::Expired { ago_ms }),
        Some(AccessLookup::Unknown) | None => return Err(Rejection::Invalid),
    };
    let limit = inner.switches.api_rate_limit_per_10s;
    let Some(remaining) = inner.rate_limit(record.grant.hub_id) else {
        return Err(Rejection::RateLimited {
            limit,
            app_id: record.grant.app_id,
            hub_id: record.grant.hub_id,
        });
    };
    drop(inner);
    if req.refuse_user_level && record.grant.is_user_level {
        return Err(Rejection::UserLevel);
    }
    let granted = |s: &&str| record.grant.scopes.iter().any(|g| g == s);
    if let Some(first) = req.any_scope.first() {
        if !req.any_scope.iter().any(granted) {
            return Err(Rejection::MissingScope(first));
        }
    }
    Ok((record, rate_headers(limit, remaining)))
}

type RateHeaders = [(HeaderName, HeaderValue); 3];

/// `X-HubSpot-RateLimit-*` headers of OAuth calls (§5.3; no daily headers for OAuth).
fn rate_headers(max: u32, remaining: u32) -> RateHeaders {
    [
        (
            HeaderName::from_static("x-hubspot-ratelimit-interval-milliseconds"),
            HeaderValue::from_static("10000"),
        ),
        (
            HeaderName::from_static("x-hubspot-ratelimit-max"),
            HeaderValue::from(max),
        ),
        (
            HeaderName::from_static("x-hubspot-ratelimit-remaining"),
            HeaderValue::from(remaining.min(max)),
        ),
    ]
}

fn respond(
    ctx: &Ctx,
    headers: &HeaderMap,
    req: &Requirement,
    body: impl FnOnce(&Ctx, &AccessRecord) -> Value,
) -> Response {
    match guard(ctx, headers, req) {
        Ok((record, rate)) => (rate, Json(body(ctx, &record))).into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

/// `GET /account-info/{2026-09|v3}/details`.
pub(crate) async fn account_details(
    State(ctx): State<Ctx>,
    Path(version): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !matches!(version.as_str(), "2026-09" | "2026-03" | "v3") {
        return not_found();
    }
    let req = Requirement {
        any_scope: &[],
        refuse_user_level: false,
    };
    respond(&ctx, &headers, &req, |ctx, record| {
        let inner = ctx.shared.lock();
        let portal = inner.fixture.portal(record.grant.hub_id);
        let ui_domain = portal
            .map(|p| p.ui_domain())
            .unwrap_or_else(|| "app.hubspot.com".to_owned());
        let (time_zone, offset, offset_ms) = if record.grant.hublet == "na1" {
            ("US/Eastern", "-05:00", -18_000_000)
        } else {
            ("Europe/Dublin", "+00:00", 0)
        };
        json!({
            "portalId": record.grant.hub_id,
            "accountType": "STANDARD",
            "timeZone": time_zone,
            "companyCurrency": if record.grant.hublet == "na1" { "USD" } else { "EUR" },
            "additionalCurrencies": [],
            "utcOffset": offset,
            "utcOffsetMilliseconds": offset_ms,
            "uiDomain": ui_domain,
            "dataHostingLocation": record.grant.hublet,
        })
    })
}

/// `GET /crm/v3/objects/contacts`: three fake contacts of the account.
pub(crate) async fn contacts(State(ctx): State<Ctx>, headers: HeaderMap) -> Response {
    let req = Requirement {
        any_scope: &[
            "crm.objects.contacts.read",
            "crm.objects.contacts.write",
            "contacts",
        ],
        refuse_user_level: false,
    };
    respond(&ctx, &headers, &req, |_, record| {
        let domain = &record.grant.hub_domain;
        let results: Vec<Value> = [("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing")]
            .iter()
            .enumerate()
            .map(|(i, (first, last))| {
                let id = (record.grant.hub_id % 1000) * 100 + i as u64 + 1;
                json!({
                    "id": id.to_string(),
                    "properties": {
                        "email": format!("{}@{domain}", first.to_lowercase()),
                        "firstname": first,
                        "lastname": last,
                        "hs_object_id": id.to_string(),
                        "createdate": "2026-01-15T09:30:00.000Z",
                        "lastmodifieddate": "2026-06-01T12:00:00.000Z",
                    },
                    "createdAt": "2026-01-15T09:30:00.000Z",
                    "updatedAt": "2026-06-01T12:00:00.000Z",
                    "archived": false,
                })
            })
            .collect();
        json!({ "results": results })
    })
}

/// `GET /crm/v3/owners`: the account's users; refuses user-level tokens.
pub(crate) async fn owners(State(ctx): State<Ctx>, headers: HeaderMap) -> Response {
    let req = Requirement {
        any_scope: &["crm.objects.owners.read"],
        refuse_user_level: true,
    };
    respond(&ctx, &headers, &req, |ctx, record| {
        let inner = ctx.shared.lock();
        let results: Vec<Value> = inner
            .fixture
            .portal(record.grant.hub_id)
            .map(|p| {
                p.users
                    .iter()
                    .map(|u| {
                        json!({
                            "id": (u.user_id + 50_000).to_string(),
                            "email": u.email,
                            "userId": u.user_id,
                            "createdAt": "2026-01-01T00:00:00.000Z",
                            "updatedAt": "2026-01-01T00:00:00.000Z",
                            "archived": false,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        json!({ "results": results })
    })
}

/// `DELETE /appinstalls/{2026-09|v3}/external-install`: the app uninstalls itself (§4.4).
pub(crate) async fn external_uninstall(
    State(ctx): State<Ctx>,
    Path(version): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !matches!(version.as_str(), "2026-09" | "v3") {
        return not_found();
    }
    let req = Requirement {
        any_scope: &[],
        refuse_user_level: false,
    };
    match guard(&ctx, &headers, &req) {
        Ok((record, _)) => {
            ctx.shared
                .lock()
                .uninstall(&record.grant.client_id, record.grant.hub_id);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(rejection) => rejection.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_message_counts_whole_minutes() {
        assert_eq!(
            expired_message(5 * 60_000 + 59_000),
            "The OAuth token used to make this call expired 5 minute(s) ago."
        );
    }

    #[test]
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
    }
}
