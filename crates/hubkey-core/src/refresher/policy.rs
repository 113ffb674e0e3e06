//! How the refresher retries and waits: the policy (margin, attempts, backoff with jitter, pauses) and the
//! sleeper it waits with (tests replace it).

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// How many due connections the background scheduler refreshes at once. Small, so a burst stays
/// polite to HubSpot's token endpoint (rate limits are per app) and to the keychain.
pub const REFRESH_CONCURRENCY: usize = 4;

/// The default [`RefreshPolicy::pace`]: background refreshes start at least this far apart, so at most 18 start in
/// any 10 s (issue 17: an agency with 1,000 portals connected within minutes must not send HubSpot a refresh
/// storm every half hour; HubSpot's limits are per app, and the app may be the agency's own integration too).
pub const DEFAULT_PACE: Duration = Duration::from_millis(550);

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
    /// Background scheduler: the least time between two refresh starts (default [`DEFAULT_PACE`]; zero: no pacing,
    /// everything due starts at once, [`REFRESH_CONCURRENCY`] at a time). Connections due close together are
    /// started early enough that the last of them still starts when due ([`RefreshPolicy::paced_start`]).
    /// Callers that need a token now ([`crate::refresher::Refresher::valid_token`]) are never paced.
    pub pace: Duration,
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
            pace: DEFAULT_PACE,
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

    /// When the background scheduler starts its next refresh, given when each waiting connection is due (`dues`,
    /// earliest first) and when the last refresh started: the latest time from which starting one refresh every
    /// [`pace`](RefreshPolicy::pace) still starts each connection by its due time, i.e. the least of
    /// `dues[i] − i·pace`, and never sooner than `pace` after the last start. Connections already spread out
    /// start when due; a bunch (many portals connected within minutes) starts a little early, one by one.
    /// `None` when nothing waits.
    pub fn paced_start(
        &self,
        dues: impl IntoIterator<Item = time::OffsetDateTime>,
        last_start: Option<time::OffsetDateTime>,
    ) -> Option<time::OffsetDateTime> {
        let pace = time::Duration::try_from(self.pace).unwrap_or(time::Duration::MAX);
        let head = dues
            .into_iter()
            .enumerate()
            .map(|(i, due)| {
                let ahead = pace.saturating_mul(i32::try_from(i).unwrap_or(i32::MAX));
                due.checked_sub(ahead).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
            })
            .min()?;
        Some(match last_start {
            Some(last) if !self.pace.is_zero() => head.max(last.saturating_add(pace)),
            _ => head,
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn at(secs: f64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH
            + time::Duration::seconds(1_700_000_000)
            + time::Duration::seconds_f64(secs)
    }

    #[test]
    fn given_no_pace_when_planning_then_the_earliest_due_starts_when_due() {
        let p = RefreshPolicy {
            pace: Duration::ZERO,
            ..RefreshPolicy::default()
        };
        assert_eq!(
            p.paced_start([at(10.0), at(10.0), at(10.0)], Some(at(9.0))),
            Some(at(10.0))
        );
        assert_eq!(p.paced_start([], None), None);
    }

    #[test]
    fn given_spread_out_dues_when_planning_then_the_first_starts_when_due_and_not_within_a_pace_of_the_last_start(
    ) {
        let p = RefreshPolicy::default();
        assert_eq!(p.paced_start([at(100.0), at(200.0)], None), Some(at(100.0)));
        assert_eq!(
            p.paced_start([at(100.0), at(200.0)], Some(at(99.9))),
            Some(at(100.45))
        );
    }

    #[test]
    fn given_a_bunch_due_together_when_planning_then_the_first_starts_early_enough_for_the_last_to_start_when_due(
    ) {
        let p = RefreshPolicy::default();
        let dues = vec![at(1000.0); 101];
        assert_eq!(p.paced_start(dues, None), Some(at(1000.0 - 100.0 * 0.55)));
    }

    /// Issue 17, point 4: an agency connects 1,000 portals within 200 s (each token lives HubSpot's 30 minutes).
    /// Over a simulated hour of the paced scheduler (each refresh taking 50 ms), every token is replaced before it
    /// expires, by one refresh, never much earlier than needed, and no 10 s see more than 20 refreshes start.
    #[test]
    fn given_a_thousand_portals_connected_within_minutes_when_an_hour_passes_then_each_token_is_refreshed_once_in_time_and_never_twenty_in_ten_seconds(
    ) {
        let policy = RefreshPolicy::default();
        let (n, ttl, latency, hour) = (1000_usize, 1800.0, 0.05, 3600.0);
        let margin = policy.margin.as_secs_f64();
        // (due, expiry, portal) of each live token, earliest due first.
        let mut live: Vec<(OffsetDateTime, OffsetDateTime, usize)> = (0..n)
            .map(|i| {
                let issued = 0.2 * i as f64;
                (at(issued + ttl - margin), at(issued + ttl), i)
            })
            .collect();
        let mut starts = Vec::new();
        let mut per_portal = vec![0_u32; n];
        let mut last = None;
        let mut now = at(0.0);
        loop {
            let start = policy
                .paced_start(live.iter().map(|l| l.0), last)
                .unwrap()
                .max(now);
            if start > at(hour) {
                break;
            }
            let (due, expiry, portal) = live.remove(0);
            assert!(
                start + time::Duration::seconds_f64(latency) < expiry,
                "portal {portal} refreshed too late"
            );
            let early = (due - start).as_seconds_f64();
            assert!(
                early <= n as f64 * 0.55,
                "portal {portal} refreshed {early} s before due"
            );
            starts.push(start);
            per_portal[portal] += 1;
            last = Some(start);
            now = start;
            let issued = (start - at(0.0)).as_seconds_f64() + latency;
            let next = (at(issued + ttl - margin), at(issued + ttl), portal);
            let place = live.partition_point(|l| l.0 <= next.0);
            live.insert(place, next);
        }
        // No token outlived the hour unrefreshed, and each was replaced by exactly one refresh.
        assert!(live.iter().all(|l| l.1 > at(hour)), "a token expired unrefreshed");
        assert!(
            per_portal.iter().all(|&k| k == 2),
            "two expiries per portal in the hour, so two refreshes each"
        );
        let most = starts
            .iter()
            .map(|s| {
                starts
                    .iter()
                    .filter(|t| **t >= *s && **t < *s + time::Duration::seconds(10))
                    .count()
            })
            .max()
            .unwrap();
        assert!(most <= 20, "{most} refreshes started within 10 s");
    }
}
