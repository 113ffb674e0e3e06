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
//! (HubSpot has revoked the refresh token, e.g. after an uninstall; threat-model.md T13).
//!
//! **The bridge's tokens** ([`CliTokens`]) come from the same [`Refresher`] as `hubkey token`
//! (single flight in this process, the cross-process refresh lock, persist before use). A token is
//! reused in memory until the refresher would consider it due; after a 401 the stored token is
//! read again first, so a refresh another process made is used instead of making a second one.

use super::{context, with_reauth_hint};
pub use crate::cli::Target;
use crate::context::Context;
use crate::failure::Failure;
use crate::select;
use hubkey_core::error::HubSpotFault;
use hubkey_core::refresher::Refresher;
use hubkey_core::store::{Connection, ConnectionState, TokenStore};
use hubkey_core::{Error, Result, Secret};
use hubkey_mcp::{AccessToken, TokenSource};
use std::time::Instant;
use time::OffsetDateTime;

/// The connection a command works on, resolved.
#[derive(Debug)]
pub struct Resolved {
    pub ctx: Context,
    pub app: String,
    pub hub_id: u64,
    pub conn: Connection,
}

/// Applies the settings, reads the index and selects the app and connection. Refuses a
/// connection that needs a new login (exit 3).
pub async fn resolve(target: &Target) -> std::result::Result<Resolved, Failure> {
    target.settings.apply();
    let ctx = context()?;
    let index = ctx.store.index().await?;
    let app = select::app(&index, target.app.as_deref())?.name.clone();
    let conn = select::connection(&index, &app, target.portal)?.clone();
    let hub_id = conn.hub_id;
    refuse_needs_reauth(&conn).map_err(|e| with_reauth_hint(e, &app, hub_id))?;
    Ok(Resolved {
        ctx,
        app,
        hub_id,
        conn,
    })
}

/// [`Error::NeedsReauth`] for a connection marked `needs_reauth`.
pub fn refuse_needs_reauth(conn: &Connection) -> Result<()> {
    if conn.state != ConnectionState::NeedsReauth {
        return Ok(());
    }
    Err(Error::NeedsReauth(HubSpotFault {
        http_status: 400,
        status: conn.state_reason.clone(),
        message: Some("recorded earlier; sign in to this portal again".into()),
        ..HubSpotFault::default()
    }))
}

/// A valid access token of the resolved connection, refreshed first when due (what `hubkey
/// token` hands out), with the reauth hint on failure.
pub async fn valid_token(r: &Resolved) -> std::result::Result<Secret, Failure> {
    r.ctx
        .refresher()
        .valid_token(&r.app, r.hub_id)
        .await
        .map_err(|e| with_reauth_hint(e, &r.app, r.hub_id))
}

/// The bridge's [`TokenSource`]: hubkey's refresher and token store for one connection.
#[derive(Debug)]
pub struct CliTokens {
    refresher: Refresher,
    store: TokenStore,
    app: String,
    hub_id: u64,
}

impl CliTokens {
    pub fn new(r: &Resolved) -> Self {
        Self {
            refresher: r.ctx.refresher(),
            store: r.ctx.store.clone(),
            app: r.app.clone(),
            hub_id: r.hub_id,
        }
    }

    /// Until when `conn`'s access token may be reused: when the refresher would consider it due.
    fn reusable_until(&self, conn: &Connection) -> Option<Instant> {
        let due = self.refresher.due_at(conn, conn.expires_at);
        let left = due - OffsetDateTime::now_utc();
        let left = std::time::Duration::try_from(left).ok()?;
        (!left.is_zero()).then(|| Instant::now() + left)
    }

    async fn stored(&self) -> Result<(Connection, Secret)> {
        let (conn, token) = self.store.load_access_token(&self.app, self.hub_id).await?;
        refuse_needs_reauth(&conn)?;
        Ok((conn, token))
    }
}

impl TokenSource for CliTokens {
    async fn fresh_token(&self) -> Result<AccessToken> {
        if let Some(conn) = self.store.connection(&self.app, self.hub_id).await? {
            refuse_needs_reauth(&conn)?;
        }
        let secret = self.refresher.valid_token(&self.app, self.hub_id).await?;
        // The pair as stored now: reuse only if it is the token just handed out.
        let reuse_until = match self.store.connection(&self.app, self.hub_id).await? {
            Some(conn) if conn.access_token_hint.as_deref() == Some(secret.hint().as_str()) => {
                self.reusable_until(&conn)
            }
            _ => None,
        };
        Ok(AccessToken { secret, reuse_until })
    }

    async fn refresh_after_unauthorized(&self, rejected: &Secret) -> Result<AccessToken> {
        let (conn, stored) = self.stored().await?;
        if !stored.eq_secret(rejected) {
            // Another process (or a login) replaced the token meanwhile: use it.
            return Ok(AccessToken {
                reuse_until: self.reusable_until(&conn),
                secret: stored,
            });
        }
        self.refresher.refresh_now(&self.app, self.hub_id).await?;
        let (conn, secret) = self.stored().await?;
        Ok(AccessToken {
            reuse_until: self.reusable_until(&conn),
            secret,
        })
    }
}
