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
//! (HubSpot has revoked the refresh token, e.g. after an uninstall; security.md T13).
//!
//! **The bridge's tokens** ([`CliTokens`]) come from the same [`Refresher`] as `hubkey token`
//! (single flight in this process, the cross-process refresh lock, persist before use). A token is
//! reused in memory until the refresher would consider it due; after a 401 the stored token is
//! read again first, so a refresh another process made is used instead of making a second one.

use super::{context, with_reauth_hint};
use crate::context::Context;
use crate::failure::Failure;
use crate::select;
use clap::Args;
use hubkey_core::config::env;
use hubkey_core::error::HubSpotFault;
use hubkey_core::refresher::Refresher;
use hubkey_core::store::{Connection, ConnectionState, TokenStore};
use hubkey_core::{Error, Result, Secret};
use hubkey_mcp::{AccessToken, TokenSource};
use std::path::PathBuf;
use std::time::Instant;
use time::OffsetDateTime;

/// Which connection, and the settings that would otherwise come from `HUBKEY_*` variables.
#[derive(Debug, Args, Clone, Default)]
pub struct Target {
    /// The app's name (optional when exactly one app is registered).
    #[arg(long)]
    pub app: Option<String>,
    /// The portal's hub id (optional when the app has exactly one connection).
    #[arg(long = "portal", value_name = "HUB_ID")]
    pub portal: Option<u64>,
    #[command(flatten)]
    pub settings: Settings,
}

/// `HUBKEY_*` settings as flags (for AI clients that do not pass the variables on).
#[derive(Debug, Args, Clone, Default)]
#[command(
    next_help_heading = "Settings (flags for the HUBKEY_* variables, which AI clients may not pass on)"
)]
pub struct Settings {
    /// Hubkey's folder (HUBKEY_HOME).
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// The keychain namespace (HUBKEY_KEYCHAIN_SERVICE).
    #[arg(long, value_name = "NAME")]
    pub keychain_service: Option<String>,
    /// HubSpot's authorize host (HUBKEY_APP_BASE_URL).
    #[arg(long, value_name = "URL")]
    pub app_base_url: Option<String>,
    /// HubSpot's API host (HUBKEY_API_BASE_URL).
    #[arg(long, value_name = "URL")]
    pub api_base_url: Option<String>,
    /// HubSpot's MCP host (HUBKEY_MCP_BASE_URL).
    #[arg(long, value_name = "URL")]
    pub mcp_base_url: Option<String>,
}

impl Settings {
    fn pairs(&self) -> [(&'static str, &'static str, Option<String>); 5] {
        [
            (
                env::HOME,
                "--home",
                self.home.as_ref().map(|p| p.to_string_lossy().into_owned()),
            ),
            (
                env::KEYCHAIN_SERVICE,
                "--keychain-service",
                self.keychain_service.clone(),
            ),
            (env::APP_BASE_URL, "--app-base-url", self.app_base_url.clone()),
            (env::API_BASE_URL, "--api-base-url", self.api_base_url.clone()),
            (env::MCP_BASE_URL, "--mcp-base-url", self.mcp_base_url.clone()),
        ]
    }

    /// Sets the variable of every flag given. Call before anything reads the environment or
    /// starts a thread.
    pub fn apply(&self) {
        for (var, _, value) in self.pairs() {
            if let Some(v) = value {
                std::env::set_var(var, v);
            }
        }
    }

    /// The flags that reproduce this run's settings (given as flags or as variables), for a
    /// command line another program will run with a stripped environment.
    pub fn as_flags(&self) -> Vec<String> {
        let mut flags = Vec::new();
        for (var, flag, value) in self.pairs() {
            let value = value
                .or_else(|| std::env::var(var).ok())
                .filter(|v| !v.trim().is_empty());
            if let Some(v) = value {
                flags.push(flag.to_owned());
                flags.push(v);
            }
        }
        flags
    }
}

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
