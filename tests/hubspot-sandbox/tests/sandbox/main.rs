//! HTTP-level tests of the HubSpot sandbox, one module per point of hubspot-oauth.md §9, each
//! against a real sandbox on loopback. One test binary keeps link time down.

// clippy.toml allows these inside #[test] functions only; the shared helpers of this test crate
// (common.rs) are test code too, and failing loudly is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod binary;
mod control_and_log;
mod faults;
mod mcp;
mod rule_1_fixture;
mod rule_2_authorize;
mod rule_3_token;
mod rule_4_6_metadata;
mod rule_7_api;
