//! `hubkey login`: connects a portal. The authorize URL always goes to stderr (so it can be
//! opened by hand, or by a test), the browser is opened unless `--no-browser`, and the finished
//! connection goes to stdout: JSON with `--json` (one `status --json` entry), else a summary.
//!
//! Ctrl-C cancels the wait cleanly (exit 5, like any other login that did not complete).
//!
//! Before anything listens or opens, preflight checks the app against HubSpot's rules (it must run
//! before the loopback listener starts, or it would find Hubkey's own listener on the port). An
//! error stops the login with exit 2: one stderr line per error, each with its fix, then the
//! warnings; nothing reaches HubSpot. Otherwise warnings and notes are printed as short stderr
//! lines and the login goes on.
//!
//! `--no-pkce` signs in once without PKCE (standard apps): the retry named when HubSpot refuses the
//! code verifier (`pkce_rejected`), next to the per-app setting `hubkey app add … --no-pkce`.
//!
//! When no redirect arrives in time, HubSpot most likely showed one of its install-error pages
//! (they never redirect back): the error line is then followed by the install-failure guide, the
//! one documented exception to "one stderr line per error" (see `failure.rs`).

use super::context;
use crate::browser;
use crate::cli::LoginArgs;
use crate::explain;
use crate::failure::Failure;
use crate::output::Output;
use crate::{render, select};
use hubkey_core::clock::SystemClock;
use hubkey_core::connect::{LoginOptions, PortalConnector};
use hubkey_core::install_guide::install_guide;
use hubkey_core::login::DEFAULT_LOGIN_TIMEOUT;
use hubkey_core::preflight::{preflight, PreflightEnv};
use hubkey_core::Error;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

pub async fn run(args: LoginArgs, out: &mut Output) -> Result<(), Failure> {
    let ctx = context()?;
    let index = ctx.store.index().await?;
    let app = select::app(&index, args.app.as_deref())?.clone();
    // Before the listener exists (else the port check finds Hubkey's own listener).
    let report = preflight(&app, &PreflightEnv::system());
    if let Some(failure) = explain::preflight_failure(&report) {
        return Err(failure);
    }
    for line in explain::preflight_notes(&report) {
        out.note(&line);
    }
    let timeout = args.timeout.map(Duration::from_secs);
    let options = LoginOptions {
        portal_id: args.portal,
        timeout,
        without_pkce: args.no_pkce,
    };
    let wait = timeout.unwrap_or(DEFAULT_LOGIN_TIMEOUT);
    let connector = PortalConnector::new(ctx.client.clone(), ctx.store.clone(), Arc::new(SystemClock));
    let no_browser = args.no_browser;
    let announce = |url: &url::Url| {
        announce(out, url.as_str(), &app.name, &app.redirect_uri, no_browser, wait);
        Ok(())
    };
    let connection = tokio::select! {
        result = connector.connect(&app.name, options, announce) => result.map_err(|e| explain_failure(e, &app.name))?,
        // `Ok` only: if no SIGINT handler can be installed, this branch is disabled, not taken.
        Ok(()) = tokio::signal::ctrl_c() => return Err(Error::LoginCancelled.into()),
    };
    if args.json {
        out.json(&connection)?;
    } else {
        for line in render::connection_summary(&connection, OffsetDateTime::now_utc()) {
            out.line(&line)?;
        }
    }
    Ok(())
}

/// A login that timed out gets the install-failure guide after its error line; one whose PKCE
/// verifier HubSpot refused gets both fixes as commands for this app.
fn explain_failure(error: Error, app: &str) -> Failure {
    match error {
        Error::LoginTimedOut(_) => Failure::from(error).followed_by(explain::guide_lines(install_guide())),
        Error::PkceRejected(_) => Failure::with_hint(error, pkce_hint(app)),
        other => Failure::from(other),
    }
}

/// The two fixes for a refused PKCE verifier, as commands: the one-time retry and the per-app setting.
fn pkce_hint(app: &str) -> String {
    format!(
        "If HubSpot refuses the verifier on every sign-in, it does not accept PKCE for this app: retry once \
         without it with `hubkey login --app {app} --no-pkce`, or turn it off for the app by registering it \
         again with `hubkey app add {app} … --no-pkce`."
    )
}

/// Called once Hubkey listens for the redirect: prints the URL and opens the browser.
fn announce(out: &mut Output, url: &str, app: &str, redirect: &str, no_browser: bool, wait: Duration) {
    if no_browser {
        out.note(&format!(
            "Open this URL in a browser to connect a HubSpot portal to the app {app}:"
        ));
    } else {
        match browser::open(url) {
            Ok(()) => {
                out.note("Opened HubSpot in your browser. If nothing happened, open this URL yourself:")
            }
            Err(why) => out.note(&format!(
                "Could not open a browser ({why}); open this URL yourself:"
            )),
        }
    }
    out.note(url);
    out.note(&format!(
        "Waiting up to {} for HubSpot to redirect to {redirect} (Ctrl-C cancels)…",
        render::span(wait.as_secs())
    ));
}
