//! Diagnostics on stderr, filtered by `HUBKEY_LOG`: a bare level or `target=level` directives (`debug`,
//! `hubkey_core=debug,warn`), parsed as `tracing_subscriber::filter::Targets`.
//!
//! The default is `error`, not `warn`: the core logs a warning for failures that the CLI also
//! reports (a refresh that gave up, a refused refresh token, a failed revoke), and the contract
//! is one clear line on stderr per error. `HUBKEY_LOG=warn` (or `info`, `debug`) shows them.
//!
//! The HTTP crates are capped at `info` whatever the filter says: at debug/trace they would log
//! headers and bodies, i.e. bearer tokens and client secrets. The core itself never logs a secret.

use std::io::IsTerminal;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The environment variable holding the filter.
pub const LOG_ENV: &str = "HUBKEY_LOG";
/// The level when `HUBKEY_LOG` is unset, empty or invalid.
pub const DEFAULT_LEVEL: LevelFilter = LevelFilter::ERROR;
/// Crates whose debug/trace output can contain secrets.
const CAPPED_TARGETS: &[&str] = &["reqwest", "hyper", "hyper_util", "h2", "rustls", "oauth2"];

/// Installs the stderr logger. Never fails: without a logger, commands still work.
pub fn init() {
    let spec = std::env::var(LOG_ENV).ok();
    let filter = filter(spec.as_deref());
    let caps = CAPPED_TARGETS
        .iter()
        .fold(Targets::new().with_default(LevelFilter::TRACE), |t, target| {
            t.with_target(*target, LevelFilter::INFO)
        });
    // Control characters escaped (tracing-subscriber escapes ESC inside messages and fields, not newlines or
    // carriage returns, which could forge a line); ESC itself stays for the coloured levels.
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(|| hubkey_core::text::EscapeControls::keeping_esc(std::io::stderr()))
        .with_ansi(std::io::stderr().is_terminal());
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(caps)
        .with(layer)
        .try_init();
}

/// The user's filter, or [`DEFAULT_LEVEL`] for every target.
pub fn filter(spec: Option<&str>) -> Targets {
    let default = || Targets::new().with_default(DEFAULT_LEVEL);
    spec.map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|s| s.parse::<Targets>().ok())
        .unwrap_or_else(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_no_or_bad_spec_when_building_the_filter_then_the_default_is_used() {
        for spec in [None, Some("  "), Some("=[not a filter")] {
            let f = filter(spec);
            assert!(f.would_enable("hubkey_core", &tracing::Level::ERROR), "{spec:?}");
            assert!(!f.would_enable("hubkey_core", &tracing::Level::WARN), "{spec:?}");
        }
    }

    #[test]
    fn given_target_directives_when_building_the_filter_then_each_target_gets_its_level() {
        let f = filter(Some("hubkey_core=debug,warn"));
        assert!(f.would_enable("hubkey_core::refresher", &tracing::Level::DEBUG));
        assert!(!f.would_enable("hubkey_core::refresher", &tracing::Level::TRACE));
        assert!(f.would_enable("hubkey_keychain", &tracing::Level::WARN));
        assert!(!f.would_enable("hubkey_keychain", &tracing::Level::INFO));
    }
}
