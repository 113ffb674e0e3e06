//! Tokens and what HubSpot tells us about them.
//!
//! [`TokenSet`] is what an exchange or a refresh yields; its secret parts are an [`AccessToken`] and a [`RefreshToken`]. The
//! expiry is an absolute time computed from `expires_in` with the caller's clock (never a
//! hard-coded 30 minutes).

use crate::secret::{AccessToken, RefreshToken};
use time::OffsetDateTime;

/// An access token, its refresh token and when the access token stops working.
#[derive(Debug, Clone)]
pub struct TokenSet {
    /// The bearer token.
    pub access_token: AccessToken,
    /// The refresh token (HubSpot may or may not rotate it; always keep the latest).
    pub refresh_token: RefreshToken,
    /// When the access token expires (now + `expires_in` at the time of the response).
    pub expires_at: OffsetDateTime,
    /// Granted scopes as returned by the token endpoint (may be empty on old responses).
    pub scopes: Vec<String>,
    /// The portal (`hub_id`), when the response carried it.
    pub hub_id: Option<u64>,
    /// The installing user (`user_id`), when the response carried it.
    pub user_id: Option<u64>,
}

impl TokenSet {
    /// True when the access token expires within `margin` of `now` (or already has).
    pub fn expires_within(&self, now: OffsetDateTime, margin: time::Duration) -> bool {
        self.expires_at - now <= margin
    }
}

/// The result of a refresh: the new token set, and whether HubSpot rotated the refresh token.
///
/// HubSpot may or may not return a refresh token on refresh, and when it does, the value may be
/// unchanged (hubspot-oauth.md §2.4). When none is returned, [`Refreshed::tokens`] keeps the old
/// one, so the caller can always persist `tokens.refresh_token`.
#[derive(Debug, Clone)]
pub struct Refreshed {
    /// The new access token, with the refresh token to keep from now on.
    pub tokens: TokenSet,
    /// True when HubSpot returned a refresh token that differs from the one used: persist it
    /// before using the new access token (design.md §2.6).
    pub rotated: bool,
}

/// What HubSpot's introspection endpoint says about an access token (hubspot-oauth.md §3.2).
///
/// Nothing here is secret: the `token` field HubSpot echoes back is never kept. Every field is
/// optional because HubSpot's schemas have changed over time; unknown fields are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TokenMetadata {
    /// The portal (`hub_id`).
    pub hub_id: Option<u64>,
    /// The portal's website domain (`hub_domain`).
    pub hub_domain: Option<String>,
    /// The installing user's e-mail (`user`).
    pub user: Option<String>,
    /// The user the token acts for (`user_id`).
    pub user_id: Option<u64>,
    /// HubSpot's numeric app id (`app_id`).
    pub app_id: Option<u64>,
    /// The app's client id (`client_id`).
    pub client_id: Option<String>,
    /// Granted scopes (`scopes`), including granted optional scopes.
    pub scopes: Vec<String>,
    /// Seconds the access token had left when introspected (`expires_in`).
    pub expires_in: Option<i64>,
    /// `token_type`, lower-cased (HubSpot sends `Bearer`, `bearer` or `access` depending on the
    /// endpoint).
    pub token_type: Option<String>,
    /// `token_use` (`access_token` or `refresh_token`).
    pub token_use: Option<String>,
    /// `signed_access_token.isUserLevel`: a user-level token (MCP and user-level apps).
    pub is_user_level: Option<bool>,
    /// `signed_access_token.installingUserId`.
    pub installing_user_id: Option<u64>,
    /// `signed_access_token.hublet` (`na1`, `eu1`, …).
    pub hublet: Option<String>,
    /// `is_private_distribution`.
    pub is_private_distribution: Option<bool>,
}
