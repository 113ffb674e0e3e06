//! The integration tests of this crate, as one test binary (one link instead of one per file): each module is
//! one former test file, and the `*_support` modules are what they share.

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bridge_sandbox;
mod bridge_sse;
mod config_writers;
mod support;
