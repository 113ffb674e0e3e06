//! HubSpot's JSON bodies, typed for the `oauth2` crate.
//!
//! - Token responses: oauth2's [`StandardTokenResponse`] (which already reads `token_type` in any
//!   case and ignores unknown fields) with HubSpot's extra fields in [`HubSpotTokenFields`].
//! - Introspection: oauth2's [`StandardTokenIntrospectionResponse`] with
//!   [`HubSpotIntrospectionFields`]. The echoed `token` field is not declared anywhere, so it is
//!   dropped while parsing and never held in a typed value.
//! - Errors: [`HubSpotErrorResponse`], the RFC 6749 fields plus HubSpot's `status`, `message`,
//!   `correlationId` and, for generic API errors, `category` (hubspot-oauth.md §2.6).
//!
//! Optional fields are parsed leniently (a wrong type becomes "absent" rather than failing the
//! whole response); the fields Hubkey cannot do without (`access_token`, `token_type`,
//! `expires_in`, `active`) are strict, so a malformed answer is an error, never a guess.

use oauth2::basic::BasicTokenType;
use oauth2::{ErrorResponse, ExtraTokenFields, StandardTokenIntrospectionResponse, StandardTokenResponse};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::fmt;

/// HubSpot's token response (`/oauth/2026-03/token`, `/oauth/v3/token`).
pub type HubSpotTokenResponse = StandardTokenResponse<HubSpotTokenFields, BasicTokenType>;

/// HubSpot's introspection response (`/oauth/2026-03/token/introspect`).
pub type HubSpotIntrospectionResponse =
    StandardTokenIntrospectionResponse<HubSpotIntrospectionFields, BasicTokenType>;

/// The fields HubSpot adds to RFC 6749's token response (hubspot-oauth.md §2.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubSpotTokenFields {
    /// The portal; present on every response since 2025-08-18, absent on older ones.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub hub_id: Option<u64>,
    /// Granted scopes, as an array (a space-separated string is accepted too).
    #[serde(default, deserialize_with = "lenient_scopes")]
    pub scopes: Option<Vec<String>>,
    /// The installing user (seen on MCP tokens).
    #[serde(default, deserialize_with = "lenient_u64")]
    pub user_id: Option<u64>,
    /// `access_token` on token responses.
    #[serde(default, deserialize_with = "lenient_string")]
    pub token_use: Option<String>,
}

impl ExtraTokenFields for HubSpotTokenFields {}

/// The fields HubSpot adds to RFC 7662's introspection response (hubspot-oauth.md §3.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubSpotIntrospectionFields {
    /// `hub_id`.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub hub_id: Option<u64>,
    /// `hub_domain`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub hub_domain: Option<String>,
    /// `user` (the e-mail).
    #[serde(default, deserialize_with = "lenient_string")]
    pub user: Option<String>,
    /// `user_id`.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub user_id: Option<u64>,
    /// `app_id`.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub app_id: Option<u64>,
    /// `scopes` (array; a space-separated string is accepted too).
    #[serde(default, deserialize_with = "lenient_scopes")]
    pub scopes: Option<Vec<String>>,
    /// `expires_in` (seconds left).
    #[serde(default, deserialize_with = "lenient_i64")]
    pub expires_in: Option<i64>,
    /// `token_use`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub token_use: Option<String>,
    /// `is_private_distribution`.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_private_distribution: Option<bool>,
    /// `signed_access_token`, reduced to the non-secret fields Hubkey uses.
    #[serde(default, deserialize_with = "lenient_signed")]
    pub signed_access_token: Option<SignedAccessToken>,
}

impl ExtraTokenFields for HubSpotIntrospectionFields {}

/// The part of `signed_access_token` Hubkey keeps (its `signature`s are not kept).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedAccessToken {
    /// `isUserLevel`.
    #[serde(rename = "isUserLevel", default, deserialize_with = "lenient_bool")]
    pub is_user_level: Option<bool>,
    /// `installingUserId`.
    #[serde(rename = "installingUserId", default, deserialize_with = "lenient_u64")]
    pub installing_user_id: Option<u64>,
    /// `hublet`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub hublet: Option<String>,
}

/// HubSpot's OAuth error body: `{error, error_description, status, message, correlationId}`,
/// and the generic API error's `category`. Every field is optional; unknown fields are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubSpotErrorResponse {
    /// RFC 6749 `error`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub error: Option<String>,
    /// RFC 6749 `error_description`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub error_description: Option<String>,
    /// HubSpot's legacy `status` (`BAD_REFRESH_TOKEN`…, or `error` on API errors).
    #[serde(default, deserialize_with = "lenient_string")]
    pub status: Option<String>,
    /// HubSpot's `message`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: Option<String>,
    /// HubSpot's `correlationId`.
    #[serde(rename = "correlationId", default, deserialize_with = "lenient_string")]
    pub correlation_id: Option<String>,
    /// The generic API error's `category` (`VALIDATION_ERROR`, `RATE_LIMITS`…).
    #[serde(default, deserialize_with = "lenient_string")]
    pub category: Option<String>,
}

impl HubSpotErrorResponse {
    /// True when the body carried at least one field Hubkey understands.
    pub fn is_meaningful(&self) -> bool {
        self.error.is_some() || self.status.is_some() || self.message.is_some() || self.category.is_some()
    }
}

impl fmt::Display for HubSpotErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self
            .status
            .as_deref()
            .or(self.error.as_deref())
            .unwrap_or("error");
        write!(f, "{code}")?;
        if let Some(m) = self.message.as_deref().or(self.error_description.as_deref()) {
            write!(f, ": {m}")?;
        }
        Ok(())
    }
}

impl ErrorResponse for HubSpotErrorResponse {}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Bool(b)) => Some(b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    })
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s),
        _ => None,
    })
}

fn lenient_scopes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Array(items)) => Some(
            items
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        ),
        Some(Value::String(s)) => Some(s.split_whitespace().map(str::to_owned).collect()),
        _ => None,
    })
}

fn lenient_signed<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SignedAccessToken>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(v @ Value::Object(_)) => serde_json::from_value(v).ok(),
        _ => None,
    })
}
