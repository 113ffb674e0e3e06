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
//! - **Bounded concurrency in the background.** A scheduler pass refreshes the connections that are
//!   due [`REFRESH_CONCURRENCY`] at a time (each under its own gate and lock), so 200 connections
//!   due together after a resume take 50 rounds, not 200.
//! - **Read only what is needed.** A token that is not due costs one keychain read (the access
//!   token); a refresh reads the refresh token only, and when HubSpot returns the same refresh
//!   token (its default), only the new access token is written ([`RefreshTokenSource::Kept`]).
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
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::sync::{broadcast, oneshot, Notify};
use tokio::task::JoinHandle;

/// How long the event channel buffers events for a slow subscriber.
const EVENT_CAPACITY: usize = 256;

/// How many due connections the background scheduler refreshes at once. Small, so a burst stays
/// polite to HubSpot's token endpoint (rate limits are per app) and to the keychain.
pub const REFRESH_CONCURRENCY: usize = 4;

/// How long an access token must still be valid to be handed out when a refresh failed
/// transiently (so the caller has time to use it).
pub const STILL_USABLE: time::Duration = time::Duration::seconds(60);

/// When and how hard to refresh.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshPolicy {
    /// Refresh when the access token expires within this margin (default 5 minutes). For tokens
    /// whose lifetime is shorter than twice the margin, half the lifetime is used instead.
    pub margin: Duration,
    /// HTTP attempts per refresh, first try included (default 5). Transient failures only.
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubled for each further one (default 1 s).
    pub base_backoff: Duration,
    /// Upper bound of the exponential backoff (default 30 s).
    pub max_backoff: Duration,
    /// Fraction (0.0–1.0) of each backoff that is randomised away, so many clients do not retry
    /// in lockstep (default 0.2: a 10 s backoff waits 8–10 s).
    pub jitter: f64,
    /// Longest `Retry-After` honoured inside one refresh (default 60 s); longer values are capped
    /// (the scheduler waits the full value before its next attempt).
    pub max_retry_after: Duration,
    /// Longest wait for another process's refresh lock (default 3 minutes, longer than a full
    /// retry sequence with default settings).
    pub lock_timeout: Duration,
    /// Background scheduler: longest sleep between passes while connections exist (default 15
    /// minutes). Guards against monotonic timers that stand still during suspend.
    pub max_sleep: Duration,
    /// Background scheduler: pause after a refresh that failed transiently before trying that
    /// connection again (default 60 s, or `Retry-After` when longer).
    pub retry_pause: Duration,
    /// Background scheduler: pause after a configuration error (default 30 minutes, or until
    /// [`Refresher::nudge`] signals a change).
    pub config_pause: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            margin: Duration::from_secs(5 * 60),
            max_attempts: 5,
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            jitter: 0.2,
            max_retry_after: Duration::from_secs(60),
            lock_timeout: Duration::from_secs(180),
            max_sleep: Duration::from_secs(15 * 60),
            retry_pause: Duration::from_secs(60),
            config_pause: Duration::from_secs(30 * 60),
        }
    }
}

impl RefreshPolicy {
    /// The wait after failed attempt number `attempt` (1-based): `base · 2^(attempt−1)`, capped
    /// at `max_backoff`, minus up to `jitter` of it, and never less than the (capped)
    /// `Retry-After`.
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let raw = self
            .base_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        let jitter = self.jitter.clamp(0.0, 1.0);
        let jittered = if jitter > 0.0 {
            raw.mul_f64(1.0 - jitter * rand::random::<f64>())
        } else {
            raw
        };
        let floor = retry_after
            .map(|r| r.min(self.max_retry_after))
            .unwrap_or_default();
        jittered.max(floor)
    }
}

/// Sleeps between attempts. The default is Tokio's timer; tests inject one that records the
/// requested durations, so backoff and `Retry-After` are checked without waiting.
pub trait Sleeper: Send + Sync + Debug {
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// [`Sleeper`] on `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

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
    fn is_due(&self, conn: &Connection) -> bool {
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
            if !self.is_due(&latest) {
                return Ok(token);
            }
            // A concurrent save moved the generation, and the token it points at is due.
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
                if conn.expires_at - self.clock.now() > STILL_USABLE {
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

    /// Starts the background scheduler on the current Tokio runtime.
    pub fn spawn(&self) -> SchedulerHandle {
        let (stop, stopped) = oneshot::channel::<()>();
        let me = self.clone();
        let task = tokio::spawn(async move {
            me.run(async move {
                let _ = stopped.await;
            })
            .await;
        });
        SchedulerHandle {
            stop: Some(stop),
            task,
        }
    }

    /// The background scheduler: refreshes every connection when it is due, until `shutdown`
    /// resolves. Sleeps until the next deadline (no polling), wakes early on
    /// [`Refresher::nudge`], skips `needs_reauth` connections (publishing each incident once),
    /// and pauses a connection after a failure instead of retrying in a loop.
    pub async fn run<F>(self, shutdown: F)
    where
        F: Future<Output = ()> + Send,
    {
        tokio::pin!(shutdown);
        let mut paused: HashMap<ConnectionKey, (u64, OffsetDateTime)> = HashMap::new();
        tracing::debug!(target: "hubkey::refresher", "scheduler started");
        loop {
            // The refreshes themselves run in their own tasks, so stopping mid-pass is safe.
            let wait = tokio::select! {
                _ = &mut shutdown => break,
                wait = self.pass(&mut paused) => wait,
            };
            let sleep = async move {
                match wait {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.shared.nudge.notified() => {
                    tracing::debug!(target: "hubkey::refresher", "scheduler nudged");
                    paused.clear();
                }
                _ = sleep => {}
            }
        }
        tracing::debug!(target: "hubkey::refresher", "scheduler stopped");
    }

    /// One scheduler pass: refreshes what is due; returns how long to sleep (`None`: until nudged).
    async fn pass(&self, paused: &mut HashMap<ConnectionKey, (u64, OffsetDateTime)>) -> Option<Duration> {
        let conns = match self.store.connections().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(target: "hubkey::refresher", code = e.code().as_str(), "cannot read the connections: {e}");
                return Some(self.policy.retry_pause);
            }
        };
        if conns.is_empty() {
            paused.clear();
            return None;
        }
        paused.retain(|k, _| conns.iter().any(|c| c.is(&k.app, k.hub_id)));
        let mut next: Option<OffsetDateTime> = None;
        let mut due_now = Vec::new();
        for conn in conns {
            if conn.state == ConnectionState::NeedsReauth {
                self.notify_reauth_once(&conn);
                continue;
            }
            let key = conn.key();
            let mut due = self.due_at(&conn, conn.expires_at);
            if self.has_unsaved(&key) {
                // Its flight retries the save of the token set kept in memory.
                due = due.min(self.clock.now());
            }
            if let Some((generation, not_before)) = paused.get(&key) {
                if *generation == conn.token_generation {
                    due = due.max(*not_before);
                }
            }
            if due > self.clock.now() {
                next = Some(next.map_or(due, |n| n.min(due)));
                continue;
            }
            due_now.push(conn);
        }

        // Refresh what is due, a few at a time: most of a refresh is waiting (HubSpot, the
        // keychain), so a burst (after a resume from suspend, many connections made together)
        // takes rounds of `REFRESH_CONCURRENCY` instead of one refresh after another. Each flight
        // still takes its connection's gate and cross-process lock; the bookkeeping below runs
        // here, one outcome at a time.
        let mut waiting = due_now.into_iter();
        let mut running = tokio::task::JoinSet::new();
        loop {
            while running.len() < REFRESH_CONCURRENCY {
                let Some(conn) = waiting.next() else { break };
                let me = self.clone();
                running.spawn(async move {
                    let outcome = me.refresh_if_due(&conn.key()).await;
                    (conn, outcome)
                });
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            let (conn, outcome) = match joined {
                Ok(done) => done,
                Err(e) => {
                    tracing::warn!(target: "hubkey::refresher", "a background refresh task failed: {e}");
                    continue;
                }
            };
            let key = conn.key();
            let due = match outcome {
                Ok(fresh) => {
                    paused.remove(&key);
                    let due = self.due_at(&fresh, fresh.expires_at);
                    // A token that is due right after a refresh must not spin this loop.
                    due.max(self.clock.now() + time::Duration::SECOND)
                }
                Err(Error::NeedsReauth(_)) => continue,
                Err(e) => {
                    let pause = match &e {
                        Error::HubSpotConfig(_) => self.policy.config_pause,
                        Error::Transient { retry_after, .. } => {
                            self.policy.retry_pause.max(retry_after.unwrap_or_default())
                        }
                        _ => self.policy.retry_pause,
                    };
                    tracing::info!(
                        target: "hubkey::refresher",
                        app = %conn.app,
                        hub_id = conn.hub_id,
                        code = e.code().as_str(),
                        pause_s = pause.as_secs(),
                        "background refresh failed; trying again later"
                    );
                    let not_before = self.clock.now() + to_time(pause);
                    paused.insert(key, (conn.token_generation, not_before));
                    not_before
                }
            };
            next = Some(next.map_or(due, |n| n.min(due)));
        }
        let wait = next.map_or(self.policy.max_sleep, |n| to_std(n - self.clock.now()));
        Some(wait.min(self.policy.max_sleep))
    }

    // ----- the flight ------------------------------------------------------------------------

    /// Runs the locked part in its own task (cancel safety) and waits for it.
    async fn fly(&self, key: &ConnectionKey, mode: Mode) -> Result<(Connection, AccessToken)> {
        let requested = Instant::now();
        let me = self.clone();
        let key = key.clone();
        tokio::spawn(async move { me.flight(key, mode, requested).await })
            .await
            .map_err(|e| Error::Io(format!("the refresh task failed: {e}")))?
    }

    /// Whether a refresh is under way in this process (holding a connection's gate: the request, its retries
    /// and the keychain writes). The desktop app waits for `false` before it replaces its process.
    pub fn is_refreshing(&self) -> bool {
        if !self.unsaved_lock().is_empty() {
            // A rotated refresh token lives only in this process: replacing it would lose it.
            return true;
        }
        let gates = self.shared.gates.lock().unwrap_or_else(|e| e.into_inner());
        gates.values().any(|gate| gate.try_lock().is_err())
    }

    fn unsaved_lock(&self) -> std::sync::MutexGuard<'_, HashMap<ConnectionKey, Unsaved>> {
        self.shared.unsaved.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True while a rotated token set of this connection waits to be saved.
    pub fn has_unsaved(&self, key: &ConnectionKey) -> bool {
        self.unsaved_lock().contains_key(key)
    }

    /// Saves a token set kept in memory, if this connection has one. `Ok(Some(lock))`: saved now,
    /// with the connection's cross-process lock (held since the refresh), for the caller to go on
    /// under. `Ok(None)`: nothing was waiting. `Err`: still not saved (it stays in memory).
    async fn retry_unsaved(&self, key: &ConnectionKey) -> Result<Option<RefreshLock>> {
        let Some(unsaved) = self.unsaved_lock().remove(key) else {
            return Ok(None);
        };
        match self
            .save_with_retries(unsaved.conn.clone(), &unsaved.tokens, unsaved.source)
            .await
        {
            Ok(saved) => {
                tracing::info!(target: "hubkey::refresher", app = %key.app, hub_id = key.hub_id, "the rotated refresh token is saved now");
                self.emit(&saved, ConnectionState::Fresh, None, saved.expires_at);
                Ok(Some(unsaved._lock))
            }
            Err(e) => {
                let err = self.report_unsaved(&unsaved.conn, &e);
                self.unsaved_lock().insert(key.clone(), unsaved);
                Err(err)
            }
        }
    }

    /// Saves a refreshed token set, trying [`SAVE_ATTEMPTS`] times (timeouts included) with the
    /// policy's backoff in between.
    async fn save_with_retries(
        &self,
        next: Connection,
        tokens: &crate::token::TokenSet,
        source: RefreshTokenSource,
    ) -> Result<Connection> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.store.save_tokens(next.clone(), tokens, source).await {
                Ok(saved) => return Ok(saved),
                Err(e) if attempt < SAVE_ATTEMPTS && is_keychain_trouble(&e) => {
                    tracing::warn!(target: "hubkey::refresher", app = %next.app, hub_id = next.hub_id, attempt, code = e.code().as_str(), "saving refreshed tokens failed; trying again: {e}");
                    self.sleeper.sleep(self.policy.backoff(attempt, None)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Logs and publishes that a rotated refresh token is held unsaved; the error to return.
    fn report_unsaved(&self, conn: &Connection, cause: &Error) -> Error {
        let err = Error::UnsavedRefreshToken {
            cause: cause.to_string(),
        };
        tracing::error!(target: "hubkey::refresher", app = %conn.app, hub_id = conn.hub_id, code = cause.code().as_str(), "{err}");
        self.emit(
            conn,
            ConnectionState::Retrying,
            Some(err.to_string()),
            conn.expires_at,
        );
        err
    }

    fn gate(&self, key: &ConnectionKey) -> Gate {
        let mut gates = self.shared.gates.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(gates.entry(key.clone()).or_default())
    }

    async fn flight(
        &self,
        key: ConnectionKey,
        mode: Mode,
        requested: Instant,
    ) -> Result<(Connection, AccessToken)> {
        let gate = self.gate(&key);
        let mut last_done = gate.lock_owned().await;
        if mode == Mode::Force && last_done.is_some_and(|done| done > requested) {
            // Someone refreshed after this request was made: that is the refresh asked for.
            return self.store.load_access_token(&key).await;
        }

        // A rotated token set kept in memory is saved first; its lock is the connection's lock.
        let lock = match self.retry_unsaved(&key).await? {
            Some(lock) => lock,
            None => self.cross_process_lock(&key).await?,
        };
        let mut lock = Some(lock);
        // Re-read under the lock: another process may have refreshed, or marked the connection.
        let conn = self.connection(&key).await?;
        if mode == Mode::IfDue && !self.is_due(&conn) {
            tracing::debug!(target: "hubkey::refresher", app = %key.app, hub_id = key.hub_id, "already fresh after waiting; no refresh");
            return self.store.access_token_of(conn).await;
        }
        self.refuse_needs_reauth(&conn)?;
        // A refresh needs the refresh token only; the old access token is not read.
        let (conn, refresh_token) = self.store.refresh_token_of(conn).await?;
        let result = self.refresh_locked(conn, refresh_token, &mut lock).await;
        if result.is_ok() {
            *last_done = Some(Instant::now());
        }
        result
    }

    async fn cross_process_lock(&self, key: &ConnectionKey) -> Result<RefreshLock> {
        let timeout = self.policy.lock_timeout;
        match tokio::time::timeout(timeout, self.store.refresh_lock(key)).await {
            Ok(lock) => lock,
            Err(_) => Err(Error::Transient {
                what: format!(
                    "another Hubkey process has been refreshing this connection for over {} s",
                    timeout.as_secs()
                ),
                retry_after: None,
            }),
        }
    }

    /// The HTTP call with retries, and what follows from its outcome. Runs under both locks.
    /// `refresh_token` was read from the entry `conn.refresh_token_generation()` names.
    async fn refresh_locked(
        &self,
        conn: Connection,
        refresh_token: RefreshToken,
        lock: &mut Option<RefreshLock>,
    ) -> Result<(Connection, AccessToken)> {
        let app: AppConfig = self.store.app(&conn.app).await?;
        let client_secret = self.store.client_secret(&conn.app).await?;
        let max_attempts = self.policy.max_attempts.max(1);
        self.emit(&conn, ConnectionState::Refreshing, None, conn.expires_at);
        let (mut conn, mut sent) = (conn, refresh_token);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = self
                .client
                .refresh(&app, &client_secret, &sent, self.clock.now())
                .await;
            match outcome {
                Ok(refreshed) => return self.persist(conn, refreshed, lock).await,
                Err(Error::NeedsReauth(fault)) => {
                    // T11: another writer may have rotated the token under us; trust the keychain.
                    let (latest, stored) = self.store.load_refresh_token(&conn.key()).await?;
                    if !stored.eq_secret(&sent) {
                        tracing::info!(
                            target: "hubkey::refresher",
                            app = %conn.app,
                            hub_id = conn.hub_id,
                            "refresh token was replaced by another writer; using the stored tokens"
                        );
                        if !self.is_due(&latest) {
                            let (latest, access_token) = self.store.access_token_of(latest).await?;
                            self.emit(
                                &latest,
                                latest.state,
                                latest.state_reason.clone(),
                                latest.expires_at,
                            );
                            return Ok((latest, access_token));
                        }
                        if attempt < max_attempts {
                            (conn, sent) = (latest, stored);
                            continue;
                        }
                    }
                    return Err(self.mark_needs_reauth(&conn, fault).await);
                }
                Err(e @ Error::Transient { .. }) => {
                    let retry_after = match &e {
                        Error::Transient { retry_after, .. } => *retry_after,
                        _ => None,
                    };
                    let what = match &e {
                        Error::Transient { what, .. } => what.clone(),
                        _ => e.to_string(),
                    };
                    let reason = format!("{what} (attempt {attempt} of {max_attempts})");
                    self.set_state(&conn, ConnectionState::Retrying, reason).await;
                    if attempt >= max_attempts {
                        tracing::warn!(target: "hubkey::refresher", app = %conn.app, hub_id = conn.hub_id, attempts = attempt, "refresh gave up: {what}");
                        return Err(e);
                    }
                    let delay = self.policy.backoff(attempt, retry_after);
                    tracing::info!(
                        target: "hubkey::refresher",
                        app = %conn.app,
                        hub_id = conn.hub_id,
                        attempt,
                        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        "transient refresh failure; retrying: {what}"
                    );
                    self.sleeper.sleep(delay).await;
                }
                Err(e @ Error::HubSpotConfig(_)) => {
                    let fix = match &e {
                        Error::HubSpotConfig(f) => {
                            format!("{}: {}", fault_label(f), e.hint())
                        }
                        _ => e.hint(),
                    };
                    self.set_reason(&conn, fix).await;
                    return Err(e);
                }
                Err(e @ Error::UnexpectedResponse(_)) => {
                    self.set_reason(&conn, e.to_string()).await;
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Stores the refreshed tokens (refresh token first, generation swap) and only then hands
    /// out the access token. The refresh used the token in the entry
    /// `conn.refresh_token_generation()` names: when HubSpot did not rotate it (its default), that
    /// entry is kept and only the access token is written. A rotated set the keychain does not save
    /// is kept in memory with `lock` (see the module docs).
    async fn persist(
        &self,
        conn: Connection,
        refreshed: Refreshed,
        lock: &mut Option<RefreshLock>,
    ) -> Result<(Connection, AccessToken)> {
        let Refreshed { tokens, rotated } = refreshed;
        let source = if rotated {
            RefreshTokenSource::New
        } else {
            RefreshTokenSource::Kept {
                generation: conn.refresh_token_generation(),
            }
        };
        let mut next = conn;
        next.state = ConnectionState::Fresh;
        next.state_reason = None;
        next.last_refreshed_at = Some(self.clock.now());
        if !tokens.scopes.is_empty() {
            next.scopes = tokens.scopes.clone();
        }
        let saved = match self.save_with_retries(next.clone(), &tokens, source).await {
            Ok(saved) => saved,
            // With rotation, the refresh token in hand is the only valid one: keep it.
            Err(e) if rotated && is_keychain_trouble(&e) => {
                let err = self.report_unsaved(&next, &e);
                if let Some(lock) = lock.take() {
                    let key = next.key();
                    self.unsaved_lock().insert(
                        key,
                        Unsaved {
                            conn: next,
                            tokens,
                            source,
                            _lock: lock,
                        },
                    );
                }
                return Err(err);
            }
            Err(e) => return Err(e),
        };
        tracing::info!(
            target: "hubkey::refresher",
            app = %saved.app,
            hub_id = saved.hub_id,
            rotated,
            expires_at = %saved.expires_at,
            "tokens refreshed and stored"
        );
        self.emit(&saved, ConnectionState::Fresh, None, saved.expires_at);
        Ok((saved, tokens.access_token))
    }

    async fn mark_needs_reauth(&self, conn: &Connection, fault: HubSpotFault) -> Error {
        let reason = fault_label(&fault);
        tracing::warn!(target: "hubkey::refresher", app = %conn.app, hub_id = conn.hub_id, reason = %reason, "HubSpot refused the refresh token; re-authorization needed");
        let r = reason.clone();
        match self
            .store
            .update_connection(&conn.key(), move |c| {
                c.state = ConnectionState::NeedsReauth;
                c.state_reason = Some(r);
            })
            .await
        {
            Ok(updated) => self.notify_reauth_once(&updated),
            Err(e) => {
                tracing::warn!(target: "hubkey::refresher", code = e.code().as_str(), "could not record needs_reauth: {e}");
                let mut c = conn.clone();
                c.state = ConnectionState::NeedsReauth;
                c.state_reason = Some(reason);
                self.notify_reauth_once(&c);
            }
        }
        Error::NeedsReauth(fault)
    }

    async fn set_state(&self, conn: &Connection, state: ConnectionState, reason: String) {
        let r = reason.clone();
        let result = self
            .store
            .update_connection(&conn.key(), move |c| {
                c.state = state;
                c.state_reason = Some(r);
            })
            .await;
        if let Err(e) = result {
            tracing::warn!(target: "hubkey::refresher", code = e.code().as_str(), "could not record the connection state: {e}");
        }
        self.emit(conn, state, Some(reason), conn.expires_at);
    }

    /// Sets the reason, keeping the state (configuration errors).
    async fn set_reason(&self, conn: &Connection, reason: String) {
        let r = reason.clone();
        let result = self
            .store
            .update_connection(&conn.key(), move |c| c.state_reason = Some(r))
            .await;
        let state = match result {
            Ok(updated) => updated.state,
            Err(e) => {
                tracing::warn!(target: "hubkey::refresher", code = e.code().as_str(), "could not record the reason: {e}");
                conn.state
            }
        };
        self.emit(conn, state, Some(reason), conn.expires_at);
    }

    /// Publishes a `needs_reauth` event once per incident (connection + token generation).
    fn notify_reauth_once(&self, conn: &Connection) {
        let key = (conn.key(), conn.token_generation);
        let first = self
            .shared
            .notified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key);
        if first {
            self.emit(
                conn,
                ConnectionState::NeedsReauth,
                conn.state_reason.clone(),
                conn.expires_at,
            );
        }
    }

    fn emit(
        &self,
        conn: &Connection,
        state: ConnectionState,
        reason: Option<String>,
        expires_at: OffsetDateTime,
    ) {
        // No subscriber is fine (the CLI never subscribes).
        let _ = self.shared.events.send(ConnectionEvent {
            key: conn.key(),
            state,
            state_reason: reason,
            expires_at,
        });
    }

    async fn connection(&self, key: &ConnectionKey) -> Result<Connection> {
        self.store.connection(key).await?.ok_or_else(|| {
            Error::NotSignedIn(format!(
                "the app {:?} is not connected to portal {}",
                key.app, key.hub_id
            ))
        })
    }

    /// [`refuse_needs_reauth`], publishing the incident once.
    fn refuse_needs_reauth(&self, conn: &Connection) -> Result<()> {
        let refused = refuse_needs_reauth(conn);
        if refused.is_err() {
            self.notify_reauth_once(conn);
        }
        refused
    }
}

/// Stops the scheduler started by [`Refresher::spawn`].
#[derive(Debug)]
pub struct SchedulerHandle {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl SchedulerHandle {
    /// Asks the scheduler to stop and waits until it has (a refresh in flight completes on its own
    /// task, so tokens are never lost mid-save).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// True once the scheduler task has ended.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
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
