//! The integration tests of this crate, as one test binary (one link instead of one per file): each module is
//! one former test file, and the `*_support` modules are what they share.

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_attacks;
mod cli_doctor;
mod cli_end_to_end;
mod cli_errors;
mod cli_eu;
mod cli_mcp;
mod cli_mcp_stripped_env;
mod cli_pkce;
mod cli_red_team;
mod cli_scopes;
mod cli_scripting;
mod cli_support;
mod mcp_support;
