//! The wire shapes of connections: a connection as a card shows it, the arguments that name one,
//! and what copying a token and signing out return.

use crate::app::{AppConfig, AppKind};
use crate::hubkey::SignOutReport;
use crate::ids::ConnectionKey;
use crate::scopes::{DroppedScope, ScopeGroups};
use crate::store::{Connection, ConnectionState};
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, UtcOffset};

use super::{rfc3339, CommandError};

/// One connected portal, everything the UI shows. The token itself never appears: `masked_token` is computed
/// in Rust ("••••••••abcd"), and only when the token is long enough for the tail to reveal nothing useful.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ConnectionView.ts"))]
pub struct ConnectionView {
    pub app: String,
    pub app_kind: Option<AppKind>,
    pub hub_id: u64,
    pub hub_domain: Option<String>,
    /// The installing user's e-mail.
    pub user: Option<String>,
    pub user_id: Option<u64>,
    pub installing_user_id: Option<u64>,
    pub app_id: Option<u64>,
    pub is_user_level: Option<bool>,
    /// The portal's data centre (`na1`, `eu1`…), from introspection; `None` when HubSpot did not say.
    pub hublet: Option<String>,
    /// Every granted scope, as HubSpot reported it.
    pub scopes: Vec<String>,
    /// What the login asked for (required + optional).
    pub requested_scopes: Vec<String>,
    /// The app's required scopes (all granted, or HubSpot would have refused the install).
    pub required_scopes: Vec<String>,
    /// Optional scopes HubSpot granted.
    pub optional_granted: Vec<String>,
    /// Optional scopes HubSpot dropped (usually: the portal's tier lacks the feature).
    pub optional_dropped: Vec<String>,
    /// Granted scopes the app did not ask for (e.g. ones added on HubSpot's side).
    pub extra_granted: Vec<String>,
    /// Why each of `optional_dropped` was probably dropped (from the scope catalog's tiers and the token's
    /// level), in the same order. Empty when the app is no longer registered.
    pub dropped_reasons: Vec<DroppedScope>,
    pub expires_at: String,
    /// When the background refresher will refresh this token.
    pub next_refresh_at: String,
    pub state: ConnectionState,
    pub state_reason: Option<String>,
    pub connected_at: String,
    pub last_refreshed_at: Option<String>,
    pub masked_token: Option<String>,
}

impl ConnectionView {
    /// Builds the view. `app` is the registered app (for the scope groups); `next_refresh_at` comes from the
    /// refresher's schedule; `masked_token` from [`crate::Secret::masked`].
    pub fn new(
        conn: &Connection,
        app: Option<&AppConfig>,
        next_refresh_at: OffsetDateTime,
        masked_token: Option<String>,
    ) -> Self {
        let groups = ScopeGroups::new(conn, app);
        ConnectionView {
            app: conn.app.clone(),
            app_kind: app.map(|a| a.kind),
            hub_id: conn.hub_id,
            hub_domain: conn.hub_domain.clone(),
            user: conn.user.clone(),
            user_id: conn.user_id,
            installing_user_id: conn.installing_user_id,
            app_id: conn.app_id,
            is_user_level: conn.is_user_level,
            hublet: conn.hublet.clone(),
            scopes: conn.scopes.clone(),
            requested_scopes: conn.requested_scopes.clone(),
            required_scopes: groups.required,
            optional_granted: groups.optional_granted,
            optional_dropped: groups.optional_dropped,
            extra_granted: groups.extra_granted,
            dropped_reasons: groups.dropped_reasons,
            expires_at: rfc3339(conn.expires_at),
            next_refresh_at: rfc3339(next_refresh_at),
            state: conn.state,
            state_reason: conn.state_reason.clone(),
            connected_at: rfc3339(conn.connected_at),
            last_refreshed_at: conn.last_refreshed_at.map(rfc3339),
            masked_token,
        }
    }
}

/// Names a connection (`refresh_now`).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ConnectionArgs.ts"))]
pub struct ConnectionArgs {
    pub app: String,
    pub hub_id: u64,
}

impl ConnectionArgs {
    /// The connection named.
    pub fn key(&self) -> ConnectionKey {
        ConnectionKey::new(&self.app, self.hub_id)
    }
}

/// `copy_token` input.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "CopyTokenArgs.ts"))]
pub struct CopyTokenArgs {
    pub app: String,
    pub hub_id: u64,
    /// Copy `Authorization: Bearer …` instead of the bare token.
    pub as_header: bool,
}

impl CopyTokenArgs {
    /// The connection named.
    pub fn key(&self) -> ConnectionKey {
        ConnectionKey::new(&self.app, self.hub_id)
    }
}

/// `copy_token` result: what was copied, never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "CopyAck.ts"))]
pub struct CopyAck {
    pub app: String,
    pub hub_id: u64,
    pub as_header: bool,
    /// The clipboard is cleared after this many seconds if it still holds the token (`None`: never).
    pub clear_after_secs: Option<u64>,
}

/// `sign_out` input.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "SignOutArgs.ts"))]
pub struct SignOutArgs {
    pub app: String,
    pub hub_id: u64,
    /// Delete locally only; leave the refresh token valid at HubSpot.
    pub keep_remote: bool,
}

impl SignOutArgs {
    /// The connection named.
    pub fn key(&self) -> ConnectionKey {
        ConnectionKey::new(&self.app, self.hub_id)
    }
}

/// `sign_out` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "SignOutView.ts"))]
pub struct SignOutView {
    pub app: String,
    pub hub_id: u64,
    /// HubSpot confirmed the refresh token is revoked (or no longer accepted it: `already_invalid`).
    pub revoked: bool,
    /// HubSpot no longer accepted the refresh token (already revoked, uninstalled or unknown): as good as
    /// revoked.
    pub already_invalid: bool,
    /// The revoke was skipped on purpose (`keep_remote`).
    pub kept_remote: bool,
    /// Why the revoke failed (the local deletion happened anyway).
    pub revoke_error: Option<CommandError>,
    /// Revocation does not cut access tokens short: the last one works until then.
    pub access_token_valid_until: Option<String>,
    /// One sentence for the UI: "Signed out. HubSpot revoked the refresh token; the access token stays valid
    /// until 12:41."
    pub summary: String,
}

impl SignOutView {
    /// What the window says after signing out of `key`: the report, and one sentence. `now` and `offset`
    /// decide whether (and how, in local time) the last access token's lifetime is mentioned.
    pub fn new(
        key: &ConnectionKey,
        keep_remote: bool,
        report: SignOutReport,
        now: OffsetDateTime,
        offset: UtcOffset,
    ) -> Self {
        let until = report.access_token_valid_until;
        let still_valid = until
            .filter(|t| *t > now)
            .map(|t| {
                format!(
                    " The last access token stays valid until {}.",
                    crate::text::hh_mm(t, offset)
                )
            })
            .unwrap_or_default();
        let remote = if keep_remote {
            "The refresh token was left valid at HubSpot, as asked."
        } else if report.already_invalid {
            "HubSpot no longer accepted the refresh token (it was already revoked or invalid)."
        } else if report.revoked {
            "HubSpot revoked the refresh token."
        } else {
            "HubSpot could not be told to revoke the refresh token; revoke the app's access in HubSpot if needed."
        };
        SignOutView {
            app: key.app.clone(),
            hub_id: key.hub_id,
            revoked: report.revoked,
            already_invalid: report.already_invalid,
            kept_remote: keep_remote,
            revoke_error: report.revoke_error.map(CommandError::from),
            access_token_valid_until: until.map(rfc3339),
            summary: format!("Signed out; the tokens were deleted from this computer. {remote}{still_valid}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::AppKind;
    use time::macros::datetime;

    #[test]
    fn dropped_optional_scopes_carry_the_catalogs_likely_reason() {
        let app = AppConfig {
            name: "demo".into(),
            client_id: "5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60".into(),
            redirect_uri: "http://localhost:53682/callback".into(),
            scopes: vec!["oauth".into(), "crm.objects.contacts.read".into()],
            optional_scopes: vec!["crm.objects.deals.read".into(), "automation".into()],
            kind: AppKind::Standard,
            pkce: true,
        };
        let conn: Connection = serde_json::from_value(serde_json::json!({
            "app": "demo",
            "hub_id": 1,
            "scopes": ["oauth", "crm.objects.contacts.read", "crm.objects.deals.read"],
            "requested_scopes": ["oauth", "crm.objects.contacts.read", "crm.objects.deals.read", "automation"],
            "optional_scopes_missing": ["automation"],
            "is_user_level": false,
            "expires_at": "2030-01-01T00:30:00Z",
            "connected_at": "2030-01-01T00:00:00Z",
            "state": "fresh",
            "token_generation": 1
        }))
        .unwrap();
        let view = ConnectionView::new(&conn, Some(&app), datetime!(2030-01-01 0:15 UTC), None);
        assert_eq!(view.optional_dropped, vec!["automation".to_string()]);
        assert_eq!(
            view.dropped_reasons,
            vec![DroppedScope {
                scope: "automation".into(),
                likely_reason: "needs Marketing Hub Professional or Enterprise".into(),
            }]
        );
        assert_eq!(view.hublet, None, "HubSpot did not say: absent, not an error");
        let mut eu = conn.clone();
        eu.hublet = Some("eu1".into());
        assert_eq!(
            ConnectionView::new(&eu, Some(&app), datetime!(2030-01-01 0:15 UTC), None)
                .hublet
                .as_deref(),
            Some("eu1")
        );
        // Without the app there is nothing to compare with.
        assert!(
            ConnectionView::new(&conn, None, datetime!(2030-01-01 0:15 UTC), None)
                .dropped_reasons
                .is_empty()
        );
    }
}
