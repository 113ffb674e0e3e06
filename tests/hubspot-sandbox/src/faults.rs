//! Fault injection for the OAuth token, introspect and revoke endpoints.
//!
//! HubSpot's token endpoint has been seen answering 429 "You have reached your rate limit." when
//! refreshes come too fast, and any HTTPS endpoint can fail with a 5xx or a dropped connection
//! (hubspot-oauth.md §2.6, §5.3). A client must treat those as transient and keep its stored tokens,
//! so tests need to produce them on demand. A [`FaultPlan`] holds a queue of faults consumed one per
//! faultable request, then an optional seeded random plan, so runs are reproducible.
//!
//! JSON form (serde's external tagging): `{"Status429":{"retry_after_secs":2}}`, `{"Status5xx":503}`,
//! `"Drop"`, `{"Delay":250}`.

use std::collections::VecDeque;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// One injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fault {
    /// HTTP 429 `{"status":"error","message":"You have reached your rate limit."}` with a
    /// `Retry-After` header (HubSpot does not document one on the token endpoint; a client should
    /// honour it when present).
    Status429 {
        /// Value of the `Retry-After` header, in seconds.
        retry_after_secs: u64,
    },
    /// The given 5xx status with HubSpot's generic error body.
    Status5xx(u16),
    /// Close the TCP connection without sending any response.
    Drop,
    /// Wait this many milliseconds, then answer normally.
    Delay(u64),
}

impl Fault {
    /// Short name used in the request log.
    pub fn label(&self) -> String {
        match self {
            Fault::Status429 { .. } => "status429".to_owned(),
            Fault::Status5xx(code) => format!("status{code}"),
            Fault::Drop => "drop".to_owned(),
            Fault::Delay(ms) => format!("delay{ms}ms"),
        }
    }
}

/// Faults chosen at random, reproducibly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomFaults {
    /// Seed of the random generator (re-seeded whenever the plan is replaced).
    pub seed: u64,
    /// Probability in `0.0..=1.0` that a faultable request gets a fault.
    pub probability: f64,
    /// Faults to pick from, uniformly.
    pub faults: Vec<Fault>,
}

/// What goes wrong on the next faultable requests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultPlan {
    /// Faults applied to the next requests, one each, in order.
    pub queue: VecDeque<Fault>,
    /// Applied once the queue is empty.
    pub random: Option<RandomFaults>,
}

impl FaultPlan {
    /// A plan that fails the next requests with the given faults, in order.
    pub fn next(faults: impl IntoIterator<Item = Fault>) -> FaultPlan {
        FaultPlan {
            queue: faults.into_iter().collect(),
            random: None,
        }
    }
}

/// The random generator behind [`RandomFaults`], kept between requests.
#[derive(Debug)]
pub(crate) struct FaultRng(StdRng);

impl FaultRng {
    pub(crate) fn for_plan(plan: &FaultPlan) -> FaultRng {
        FaultRng(StdRng::seed_from_u64(plan.random.as_ref().map_or(0, |r| r.seed)))
    }

    /// Takes the fault for the current request, if any.
    pub(crate) fn take(&mut self, plan: &mut FaultPlan) -> Option<Fault> {
        if let Some(fault) = plan.queue.pop_front() {
            return Some(fault);
        }
        let random = plan.random.as_ref()?;
        if random.faults.is_empty() || !self.0.gen_bool(random.probability.clamp(0.0, 1.0)) {
            return None;
        }
        let index = self.0.gen_range(0..random.faults.len());
        random.faults.get(index).copied()
    }
}

/// Whether a path is one of the OAuth endpoints faults apply to (token, introspect, revoke).
pub(crate) fn is_faultable(path: &str) -> bool {
    // The MCP host also serves its OAuth routes under a prefix (the `relocated` metadata switch).
    let path = path.strip_prefix(crate::mcp::RELOCATED).unwrap_or(path);
    path.starts_with("/oauth/")
        && (path.ends_with("/token")
            || path.ends_with("/token/introspect")
            || path.ends_with("/token/revoke"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_is_consumed_before_random_faults_and_random_is_reproducible() {
        let mut plan = FaultPlan {
            queue: VecDeque::from([Fault::Drop]),
            random: Some(RandomFaults {
                seed: 7,
                probability: 0.5,
                faults: vec![Fault::Status5xx(503)],
            }),
        };
        let mut rng = FaultRng::for_plan(&plan);
        assert_eq!(rng.take(&mut plan), Some(Fault::Drop));
        let first: Vec<_> = (0..20).map(|_| rng.take(&mut plan)).collect();
        let mut again = FaultRng::for_plan(&plan);
        let second: Vec<_> = (0..20).map(|_| again.take(&mut plan)).collect();
        assert_eq!(first, second);
        assert!(first.contains(&None) && first.contains(&Some(Fault::Status5xx(503))));
    }

    #[test]
    fn only_token_introspect_and_revoke_paths_are_faultable() {
        assert!(is_faultable("/oauth/v1/token"));
        assert!(is_faultable("/oauth/2026-09/token/introspect"));
        assert!(is_faultable("/oauth/v3/token/revoke"));
        assert!(is_faultable("/relocated/oauth/v3/token"));
        assert!(!is_faultable("/oauth/authorize"));
        assert!(!is_faultable("/oauth/v1/access-tokens/x"));
    }
}
