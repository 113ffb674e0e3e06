//! The integration tests of this crate, as one test binary (one link instead of one per file): each module is
//! one former test file, and the `*_support` modules are what they share.

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod connect_e2e;
mod keychain_compat;
mod keychain_real;
mod leak_scan;
mod support;
