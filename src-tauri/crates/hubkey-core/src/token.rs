//! Tokens and what HubSpot tells us about them.
//!
//! [`TokenSet`] is what an exchange or a refresh yields; its secret parts are [`Secret`]s. The
//! expiry is an absolute time computed from `expires_in` with the caller's clock (never a
//! hard-coded 30 minutes).

use crate::secret::Secret;
use time::OffsetDateTime;

/// An access token, its refresh token and when the access token stops working.
#[derive(Debug, Clone)]
pub struct TokenSet {
    /// The bearer token.
    pub access_token: Secret,
    /// The refresh token (HubSpot may or may not rotate it; always keep the latest).
    pub refresh_token: Secret,
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
