//! What `hubkey headers`, `hubkey exec` and `hubkey mcp` share: which connection (`--app`,
//! `--portal`), settings as flags, the needs-reauth rule, and the token source the MCP bridge
//! reads through.
//!
//! **Settings as flags.** These commands are started by AI clients, and those clients strip the
//! environment: the MCP SDKs pass only HOME, PATH, USER and a few others, and Claude Code drops
//! every variable whose name contains KEY, TOKEN, SECRET or AUTH, which is every `HUBKEY_*`. So
//! each `HUBKEY_*` setting also exists as a flag (`--home`, `--keychain-service`,
//! `--app-base-url`, `--api-base-url`, `--mcp-base-url`). A flag is applied as the variable it
//! stands for, first thing in the command, before any other thread exists, so everything
//! downstream (endpoints, index folder, keychain namespace, and any warning about overrides)
//! behaves exactly as with the variable.
//!
//! **Needs reauth.** A connection marked `needs_reauth` hands out nothing: the command ends with
//! exit 3 and the `hubkey login` line, even while its last access token has not expired yet
//! (HubSpot has revoked the refresh token, e.g. after an uninstall; threat-model.md T13). The rule
//! is hubkey-core's ([`refuse_needs_reauth`], the one [`Hubkey::token`] applies); it is checked
//! here once more before a bridge or a child process starts, so neither starts for nothing.
//!
//! **The bridge's tokens** ([`CliTokens`]) come from the same [`Hubkey::token`] as `hubkey token`
//! (single flight in this process, the cross-process refresh lock, persist before use). A token is
//! reused in memory until the refresher would consider it due; after a 401 the stored token is
//! read again first, so a refresh another process made is used instead of making a second one.

use super::{chosen, context, with_reauth_hint};
pub use crate::cli::Target;
use crate::failure::Failure;
use hubkey_core::refresher::refuse_needs_reauth;
use hubkey_core::store::Connection;
use hubkey_core::{AccessToken, ConnectionKey, Hubkey, Result};
use hubkey_mcp::{TokenLease, TokenSource};
use std::time::Instant;
use time::OffsetDateTime;

/// The connection a command works on, resolved.
#[derive(Debug)]
pub struct Resolved {
    pub hubkey: Hubkey,
    pub key: ConnectionKey,
    pub app: String,
    pub hub_id: u64,
    pub conn: Connection,
}

/// Applies the settings, reads the index and selects the app and connection. Refuses a
/// connection that needs a new login (exit 3).
pub async fn resolve(target: &Target) -> std::result::Result<Resolved, Failure> {
    target.settings.apply();
    let hubkey = context()?;
    let conn = chosen(&hubkey, target.app.as_deref(), target.portal).await?;
    let app = conn.app.clone();
    let hub_id = conn.hub_id;
    refuse_needs_reauth(&conn).map_err(|e| with_reauth_hint(e, &app, hub_id))?;
    Ok(Resolved {
        hubkey,
        key: conn.key(),
        app,
        hub_id,
        conn,
    })
}

/// A valid access token of the resolved connection, refreshed first when due (what `hubkey
/// token` hands out), with the reauth hint on failure.
pub async fn valid_token(r: &Resolved) -> std::result::Result<AccessToken, Failure> {
    r.hubkey
        .token(&r.key)
        .await
        .map_err(|e| with_reauth_hint(e, &r.app, r.hub_id))
}

/// The bridge's [`TokenSource`]: [`Hubkey::token`] for one connection, and its token store.
#[derive(Debug)]
pub struct CliTokens {
    hubkey: Hubkey,
    key: ConnectionKey,
}

impl CliTokens {
    pub fn new(r: &Resolved) -> Self {
        Self {
            hubkey: r.hubkey.clone(),
            key: r.key.clone(),
        }
    }

    /// Until when `conn`'s access token may be reused: when the refresher would consider it due.
    fn reusable_until(&self, conn: &Connection) -> Option<Instant> {
        let due = self.hubkey.refresher().due_at(conn, conn.expires_at);
        let left = due - OffsetDateTime::now_utc();
        let left = std::time::Duration::try_from(left).ok()?;
        (!left.is_zero()).then(|| Instant::now() + left)
    }

    async fn stored(&self) -> Result<(Connection, AccessToken)> {
        let (conn, token) = self.hubkey.store().load_access_token(&self.key).await?;
        refuse_needs_reauth(&conn)?;
        Ok((conn, token))
    }
}

impl TokenSource for CliTokens {
    async fn fresh_token(&self) -> Result<TokenLease> {
        let token = self.hubkey.token(&self.key).await?;
        // The pair as stored now: reuse only if it is the token just handed out.
        let reuse_until = match self.hubkey.store().connection(&self.key).await? {
            Some(conn) if conn.access_token_hint.as_deref() == Some(token.hint().as_str()) => {
                self.reusable_until(&conn)
            }
            _ => None,
        };
        Ok(TokenLease { token, reuse_until })
    }

    async fn refresh_after_unauthorized(&self, rejected: &AccessToken) -> Result<TokenLease> {
        let (conn, stored) = self.stored().await?;
        if !stored.eq_secret(rejected) {
            // Another process (or a login) replaced the token meanwhile: use it.
            return Ok(TokenLease {
                reuse_until: self.reusable_until(&conn),
                token: stored,
            });
        }
        self.hubkey.refresh(&self.key).await?;
        let (conn, token) = self.stored().await?;
        Ok(TokenLease {
            reuse_until: self.reusable_until(&conn),
            token,
        })
    }
}
