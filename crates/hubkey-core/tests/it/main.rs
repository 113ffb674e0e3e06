//! The integration tests of this crate, as one test binary (one link instead of one per file): each module is
//! one former test file, and the `*_support` modules are what they share.

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod attacks_deep_link;
mod attacks_fuzz;
mod attacks_loopback;
mod attacks_overrides;
mod client_cycle;
mod client_failures;
mod client_revoke;
mod client_support;
mod connect_sign_out;
mod default_urls;
mod login_logging;
mod loopback_listener;
mod loopback_support;
mod mcp_check;
mod mcp_metadata;
mod preflight_catalog;
mod preflight_doctor;
mod preflight_install_guide;
mod preflight_rules;
mod preflight_scope_diff;
mod preflight_support;
mod refresher_burst;
mod refresher_failures;
mod refresher_flows;
mod refresher_keychain_cost;
mod refresher_soak;
mod refresher_support;
mod store_generations;
mod store_index;
mod store_sizes;
mod store_support;
mod store_tokens;
