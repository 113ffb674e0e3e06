//! How the refresher retries and waits: the policy (margin, attempts, backoff with jitter, pauses) and the
//! sleeper it waits with (tests replace it).

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

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
