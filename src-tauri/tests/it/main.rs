//! The integration tests of this crate, as one test binary (one link instead of one per file): each module is
//! one former test file, and the `*_support` modules are what they share.

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod app_add_matches_window;
#[cfg(target_os = "linux")]
mod argv;
mod bindings;
mod config_lint;
mod ipc;
mod ipc_commands;
mod log_file;
mod login_state;
mod support;
mod updater;
mod window_reopen;
