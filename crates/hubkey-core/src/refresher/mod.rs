//! Keeping access tokens fresh: one refresher for the CLI and the desktop app (design.md §2.6).
//!
//! [`Refresher::valid_token`] hands out an access token, refreshing it first when it expires
//! within [`RefreshPolicy::margin`] (5 minutes). [`Refresher::refresh_now`] forces a refresh.
//! [`Refresher::spawn`] / [`Refresher::run`] refresh connections in the background (desktop app)
//! and publish [`ConnectionEvent`]s. Why it is built the way it is:
//!
//! - **Single-flight, in process.** Twenty callers asking for a token that is about to expire must
//!   cause one refresh, not twenty: parallel refreshes trip HubSpot's rate limit on the token
//!   endpoint, and with refresh-token rotation every loser gets `invalid_grant` (threat-model.md §4.8,
//!   T10). Each connection has one async gate; callers queue on it and re-check the stored expiry
//!   once they hold it, so all but the first find fresh tokens and make no HTTP call.
//! - **Cross-process lock, then re-read.** The desktop app and `hubkey token` in a script share the
//!   keychain and the index. A refresh runs under the connection's [`RefreshLock`] (an advisory
//!   file lock, taken off the runtime, with a timeout), and the index and keychain are re-read
//!   *after* taking it: if another process refreshed meanwhile, its tokens are used and HubSpot is
//!   not called. The lock is held across the HTTP call and the save, so two processes can never
//!   spend the same refresh token.
//! - **Race recovery (T11).** A writer that does not take the lock (a new login of the same
//!   portal, an older build) can still rotate the refresh token under us. So `invalid_grant` is
//!   not trusted at once: the keychain is re-read, and if it holds a different refresh token than
//!   the one we sent, another writer won and its tokens are adopted. Only when the stored token is
//!   the one HubSpot refused is the connection marked `needs_reauth`.
//! - **Persist before use (T12).** The refreshed token set is saved (refresh token first, then a
//!   generation swap in the index, [`TokenStore::save_connection`]) before the new access token
//!   is returned. If HubSpot rotated the refresh token and we handed out the access token first, a
//!   crash would leave the keychain with a refresh token HubSpot has already invalidated.
//! - **A rotated refresh token is never dropped (finding 9).** If the keychain does not save the
//!   token set after HubSpot rotated the refresh token, the save is retried; if it still fails, the
//!   token set stays in this process (with the connection's cross-process lock held, so no other
//!   process spends the old, now invalid, refresh token), every request for the connection first
//!   retries the save, the background scheduler retries it too, and each failure is reported as
//!   [`Error::UnsavedRefreshToken`]. The desktop app does not replace its process while one is held.
//! - **Cancel safety.** The locked section (HTTP call + save) runs in its own Tokio task: a caller
//!   that gives up (a cancelled Tauri command, a timeout) cannot abort it between HubSpot's answer
//!   and the save, which with rotation would lose the only valid refresh token.
//! - **Errors by kind.** Transient failures (429 honouring `Retry-After`, 5xx, timeouts, dropped
//!   connections) are retried with bounded, jittered exponential backoff while the connection shows
//!   `retrying`. Terminal ones (`BAD_REFRESH_TOKEN`, `BAD_HUB`, `invalid_grant`) mark it
//!   `needs_reauth` after one HTTP call, and no further call is made until a new login saves the
//!   connection again (T13). Configuration errors (`BAD_CLIENT_SECRET`…) say what to fix and are
//!   not retried. Nothing is ever deleted on failure.
//! - **Paced, bounded refreshes in the background.** The scheduler starts background refreshes at
//!   least [`RefreshPolicy::pace`] apart (550 ms: at most 18 in any 10 s) and never more than
//!   [`REFRESH_CONCURRENCY`] in flight (each under its own gate and lock). Connections due close
//!   together (1,000 portals connected within minutes) are started early, one by one, so the last
//!   starts when due ([`RefreshPolicy::paced_start`]); each early start re-checks under the locks
//!   that the token is still due by its planned time ([`Mode::DueBy`]), so another process's
//!   refresh meanwhile makes it a no-op. Spread-out connections start when due. A caller that needs
//!   a token now is never paced.
//! - **Read only what is needed.** A token that is not due costs one keychain read (the access
//!   token); a refresh reads the refresh token only, and when HubSpot returns the same refresh
//!   token (its default), only the new access token is written, over the old one in its entry
//!   ([`RefreshTokenSource::Kept`]). A token whose hint is not the index's (a save stopped between
//!   that write and the index update) is treated as due ([`Connection::describes`]).
//! - **Timers, not polling.** The background task computes the next deadline over all
//!   connections (`expires_at − margin`) and sleeps until then; an idle app uses no CPU.
//!   [`Refresher::nudge`] wakes it early when connections change. Its sleep is capped by
//!   [`RefreshPolicy::max_sleep`] because Tokio's timers run on the monotonic clock, which on
//!   some systems stops while the machine is suspended.
//! - **Time is passed in.** Expiry maths use the injected [`Clock`], never a hard-coded 30 minutes
//!   (T14). A token whose whole lifetime is shorter than twice the margin is refreshed at half its
//!   lifetime instead, so short-lived tokens (the sandbox's `access_token_ttl_secs`) cannot cause
//!   a refresh loop.
//!
//! Events and errors never carry a token: [`ConnectionEvent`] holds only non-secret fields.

mod flight;
mod policy;
mod record;
mod scheduler;

pub use policy::{RefreshPolicy, Sleeper, TokioSleeper, REFRESH_CONCURRENCY, STILL_USABLE};
pub use scheduler::SchedulerHandle;

use crate::app::AppConfig;
use crate::client::HubSpotClient;
use crate::clock::Clock;
use crate::error::{Error, HubSpotFault, Result};
use crate::ids::ConnectionKey;
use crate::secret::{AccessToken, RefreshToken};
use crate::store::{Connection, ConnectionState, RefreshLock, RefreshTokenSource, TokenStore};
use crate::token::Refreshed;
use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::sync::{broadcast, oneshot, Notify};
use tokio::task::JoinHandle;

/// How long the event channel buffers events for a slow subscriber.
const EVENT_CAPACITY: usize = 256;

/// A change of a connection's health, for the desktop UI and tray. Never carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConnectionEvent {
    /// Which connection (serialised as its `app` and `hub_id`).
    #[serde(flatten)]
    pub key: ConnectionKey,
    /// The new state. `needs_reauth` is published once per incident (per stored token
    /// generation), so the desktop can show one notification each time.
    pub state: ConnectionState,
    /// Why, when not fresh: an HTTP status, a HubSpot status such as `BAD_REFRESH_TOKEN`, or what
    /// to fix. Never a response body.
    pub state_reason: Option<String>,
    /// When the current access token expires.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// What a flight is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Refresh only when the token is due (re-checked under the locks).
    IfDue,
    /// Refresh only when the token is due by then (re-checked under the locks): the background
    /// scheduler's start of a paced refresh, which may come before the token is due.
    DueBy(OffsetDateTime),
    /// Refresh unless another caller completed a refresh after this request was made.
    Force,
}

/// One connection's in-process gate; guards the instant its last refresh completed.
type Gate = Arc<tokio::sync::Mutex<Option<Instant>>>;

/// A refreshed token set the keychain did not save, kept until it does (see the module docs).
struct Unsaved {
    /// The connection as it is to be stored.
    conn: Connection,
    tokens: crate::token::TokenSet,
    source: RefreshTokenSource,
    /// The connection's cross-process lock, held until the save succeeds.
    _lock: RefreshLock,
}

impl std::fmt::Debug for Unsaved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unsaved")
            .field("app", &self.conn.app)
            .field("hub_id", &self.conn.hub_id)
            .finish_non_exhaustive()
    }
}

/// How many times a refreshed token set is saved before it is kept in memory.
const SAVE_ATTEMPTS: u32 = 3;

#[derive(Debug)]
struct Shared {
    gates: Mutex<HashMap<ConnectionKey, Gate>>,
    /// Rotated token sets the keychain has not saved yet.
    unsaved: Mutex<HashMap<ConnectionKey, Unsaved>>,
    /// The connection and token generation of needs-reauth incidents already published.
    notified: Mutex<HashSet<(ConnectionKey, u64)>>,
    events: broadcast::Sender<ConnectionEvent>,
    nudge: Notify,
}

/// Keeps tokens fresh. Cheap to clone; clones share the single-flight gates, the event channel
/// and the nudge signal.
#[derive(Debug, Clone)]
pub struct Refresher {
    client: HubSpotClient,
    store: TokenStore,
    clock: Arc<dyn Clock>,
    policy: RefreshPolicy,
    sleeper: Arc<dyn Sleeper>,
    shared: Arc<Shared>,
}

impl Refresher {
    /// A refresher over HubSpot (`client`), the token store and a clock.
    pub fn new(
        client: HubSpotClient,
        store: TokenStore,
        clock: Arc<dyn Clock>,
        policy: RefreshPolicy,
    ) -> Self {
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        Self {
            client,
            store,
            clock,
            policy,
            sleeper: Arc::new(TokioSleeper),
            shared: Arc::new(Shared {
                gates: Mutex::new(HashMap::new()),
                unsaved: Mutex::new(HashMap::new()),
                notified: Mutex::new(HashSet::new()),
                events,
                nudge: Notify::new(),
            }),
        }
    }

    /// Replaces the sleeper used between attempts (tests).
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// The policy in use.
    pub fn policy(&self) -> &RefreshPolicy {
        &self.policy
    }

    /// The token store.
    pub fn store(&self) -> &TokenStore {
        &self.store
    }

    /// Connection state changes, from now on (see [`ConnectionEvent`]).
    pub fn subscribe(&self) -> broadcast::Receiver<ConnectionEvent> {
        self.shared.events.subscribe()
    }

    /// Tells the background scheduler that connections or apps changed (login, logout, new client
    /// secret, resume from sleep): it recomputes its deadline now and forgets pauses after errors.
    pub fn nudge(&self) {
        self.shared.nudge.notify_one();
    }

    /// True when the connection's current access token is due for refresh now.
    pub(super) fn is_due(&self, conn: &Connection) -> bool {
        self.clock.now() >= self.due_at(conn, conn.expires_at)
    }

    /// When the connection's access token, expiring at `expires_at`, is due for refresh:
    /// `expires_at − margin`, or half-way through its lifetime when that is shorter than twice
    /// the margin.
    pub fn due_at(&self, conn: &Connection, expires_at: OffsetDateTime) -> OffsetDateTime {
        let margin = to_time(self.policy.margin);
        let issued = conn.last_refreshed_at.unwrap_or(conn.connected_at);
        let lifetime = expires_at - issued;
        let margin = if lifetime > time::Duration::ZERO && lifetime < margin * 2 {
            lifetime / 2
        } else {
            margin
        };
        expires_at - margin
    }

    /// The access token of `app` on `hub_id`, refreshed first when it is due (see
    /// [`Refresher::due_at`]). Concurrent callers, in this process and in others, share one
    /// refresh. A refreshed token set is stored before the token is returned.
    ///
    /// Errors: [`Error::NeedsReauth`] (also without an HTTP call once the connection is marked),
    /// [`Error::Transient`] after the retries, [`Error::HubSpotConfig`], [`Error::NotSignedIn`],
    /// and keychain errors.
    pub async fn valid_token(&self, key: &ConnectionKey) -> Result<AccessToken> {
        // A connection HubSpot refused (an uninstall, a revoked refresh token) hands out nothing,
        // not even an access token that has not expired yet: after an uninstall it is dead at
        // HubSpot, and a script would fail later and less clearly (docs/SECURITY.md, finding 8).
        // Every caller that hands out a token (`token`, the desktop's copy, later `headers`,
        // `exec`, `mcp`) goes through here.
        let mut conn = self.connection(key).await?;
        self.refuse_needs_reauth(&conn)?;
        // Fast path, no lock: most calls find a token that is not due, and read only the access
        // token from the keychain (each keychain call costs milliseconds). Not while a rotated
        // token set waits to be saved: the flight retries that save first.
        if !self.is_due(&conn) && !self.has_unsaved(key) {
            let (latest, token) = self.store.access_token_of(conn).await?;
            self.refuse_needs_reauth(&latest)?;
            if !self.is_due(&latest) && latest.describes(&token) {
                return Ok(token);
            }
            // A concurrent save moved the generation and the token it points at is due, or the
            // entry holds a token the index does not describe (an interrupted save): its expiry
            // is unknown, so it is refreshed.
            conn = latest;
        }
        self.refuse_needs_reauth(&conn)?;
        match self.fly(key, Mode::IfDue).await {
            Ok((_, token)) => Ok(token),
            // HubSpot is down or rate limiting after every retry, but the current access token
            // still works for a while: hand it out rather than fail a script. The connection
            // stays `retrying` and the scheduler keeps trying.
            Err(e @ Error::Transient { .. }) => {
                let (conn, token) = self.store.load_access_token(key).await?;
                if conn.expires_at - self.clock.now() > STILL_USABLE && conn.describes(&token) {
                    tracing::warn!(
                        app = %key.app,
                        hub_id = key.hub_id,
                        "refresh failed ({e}); handing out the current token, which is still valid"
                    );
                    Ok(token)
                } else {
                    Err(e)
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Refreshes now, whatever the expiry, under the same locks as [`Refresher::valid_token`].
    /// If another caller in this process completes a refresh while this one waits, that result is
    /// used. Returns the connection as stored.
    pub async fn refresh_now(&self, key: &ConnectionKey) -> Result<Connection> {
        let (conn, _) = self.fly(key, Mode::Force).await?;
        Ok(conn)
    }

    /// Refreshes the connection if it is due (the background scheduler's step; also usable by
    /// callers that want the connection rather than the token).
    pub async fn refresh_if_due(&self, key: &ConnectionKey) -> Result<Connection> {
        let (conn, _) = self.fly(key, Mode::IfDue).await?;
        Ok(conn)
    }

    /// Refreshes the connection if it is due by `by` (the scheduler's paced start, which may
    /// be early; another process's refresh in the meantime makes it a no-op).
    async fn refresh_if_due_by(&self, key: &ConnectionKey, by: OffsetDateTime) -> Result<Connection> {
        let (conn, _) = self.fly(key, Mode::DueBy(by)).await?;
        Ok(conn)
    }
}

/// Failures of the keychain (or of the index write that follows it) that a later save may not meet.
fn is_keychain_trouble(e: &Error) -> bool {
    matches!(
        e,
        Error::KeychainTimeout(_) | Error::KeychainUnavailable(_) | Error::KeychainLocked | Error::Io(_)
    )
}

/// The short, safe label of a HubSpot refusal: its `status`, else its `error`, else the HTTP code.
fn fault_label(f: &HubSpotFault) -> String {
    f.status
        .clone()
        .or_else(|| f.error.clone())
        .unwrap_or_else(|| format!("HTTP {}", f.http_status))
}

/// The one rule for handing out a token of a connection marked `needs_reauth`: nothing is handed
/// out, not even an access token that has not expired yet, and no HTTP call is made
/// ([`Error::NeedsReauth`], threat-model.md T13, docs/SECURITY.md finding 8).
pub fn refuse_needs_reauth(conn: &Connection) -> Result<()> {
    if conn.state == ConnectionState::NeedsReauth {
        Err(reauth_error(conn))
    } else {
        Ok(())
    }
}

/// The error for a connection already marked `needs_reauth` (no HTTP call is made).
fn reauth_error(conn: &Connection) -> Error {
    Error::NeedsReauth(HubSpotFault {
        http_status: 400,
        error: None,
        status: conn.state_reason.clone(),
        message: Some("recorded earlier; sign in to this portal again".into()),
        correlation_id: None,
    })
}

fn to_time(d: Duration) -> time::Duration {
    time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

/// A non-negative `std` duration (negative → zero).
fn to_std(d: time::Duration) -> Duration {
    Duration::try_from(d).unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_the_default_policy_when_backing_off_then_delays_double_up_to_the_cap() {
        let p = RefreshPolicy {
            jitter: 0.0,
            ..RefreshPolicy::default()
        };
        let d: Vec<u64> = (1..=7).map(|a| p.backoff(a, None).as_secs()).collect();
        assert_eq!(d, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(p.backoff(u32::MAX, None), Duration::from_secs(30));
    }

    #[test]
    fn given_retry_after_when_backing_off_then_it_is_honoured_up_to_the_cap() {
        let p = RefreshPolicy {
            jitter: 0.0,
            ..RefreshPolicy::default()
        };
        assert_eq!(p.backoff(1, Some(Duration::from_secs(7))), Duration::from_secs(7));
        assert_eq!(
            p.backoff(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(60)
        );
        assert_eq!(p.backoff(3, Some(Duration::from_secs(1))), Duration::from_secs(4));
    }

    #[test]
    fn given_jitter_when_backing_off_then_delays_stay_within_the_jitter_band() {
        let p = RefreshPolicy {
            jitter: 0.5,
            ..RefreshPolicy::default()
        };
        for _ in 0..200 {
            let d = p.backoff(4, None);
            assert!(
                d <= Duration::from_secs(8) && d >= Duration::from_secs(4),
                "{d:?}"
            );
        }
    }
}
