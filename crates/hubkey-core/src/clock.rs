//! Time is passed in.
//!
//! Expiry maths, refresh deadlines and login timeouts read the time from a [`Clock`] so tests can
//! drive them without sleeping, and so a clock that jumps (suspend, NTP) is a test case rather
//! than a surprise.

use std::fmt::Debug;
use std::sync::Mutex;
use time::OffsetDateTime;

/// A source of "now".
pub trait Clock: Send + Sync + Debug {
    /// The current time (UTC).
    fn now(&self) -> OffsetDateTime;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that moves only when told to (tests, simulations, benchmarks).
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        Self(Mutex::new(start))
    }

    /// A clock stopped at the current wall-clock time.
    pub fn starting_now() -> Self {
        Self::new(OffsetDateTime::now_utc())
    }

    /// Moves the clock (forward for positive, backward for negative durations).
    pub fn advance(&self, by: time::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }

    /// Sets the clock.
    pub fn set(&self, to: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn given_a_manual_clock_when_advanced_or_set_then_now_follows() {
        let c = ManualClock::new(datetime!(2026-11-23 10:00 UTC));
        c.advance(time::Duration::minutes(25));
        assert_eq!(c.now(), datetime!(2026-11-23 10:25 UTC));
        c.advance(time::Duration::minutes(-30));
        assert_eq!(c.now(), datetime!(2026-11-23 09:55 UTC));
        c.set(datetime!(2027-01-01 00:00 UTC));
        assert_eq!(c.now(), datetime!(2027-01-01 00:00 UTC));
    }
}
