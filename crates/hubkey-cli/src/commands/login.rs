//! `hubkey login`: connects a portal. The browser is opened on a private launch page that sends it
//! to HubSpot's authorize URL (hubkey-core's `launch`): the URL, which carries the login's `state`,
//! never appears on a command line or on stderr, where another local user or a screen recording could
//! pick it up and connect *their* portal in the user's name (docs/SECURITY.md, finding 1). Only
//! `--no-browser` prints the URL, on stderr, for the user to open. The finished connection goes to
//! stdout (JSON with `--json`, one `status --json` entry, else a summary), and stderr names the portal
//! and user that were connected, with the command that undoes it, so a connection the user did not
//! make is noticed at once.
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
use crate::cli::LoginArgs;
use crate::explain;
use crate::failure::Failure;
use crate::output::Output;
use crate::{render, select};
use hubkey_core::browser;
use hubkey_core::hubkey::LoginOptions;
use hubkey_core::install_guide::install_guide;
use hubkey_core::launch::{LaunchPage, LAUNCH_PAGE_LIFETIME};
use hubkey_core::login::DEFAULT_LOGIN_TIMEOUT;
use hubkey_core::Error;
use std::time::Duration;
use time::OffsetDateTime;

pub async fn run(args: LoginArgs, out: &mut Output) -> Result<(), Failure> {
    let hubkey = context()?;
    let index = hubkey.store().index().await?;
    let app = select::app(&index, args.app.as_deref())?.clone();
    // Before the listener exists (else the port check finds Hubkey's own listener).
    let report = hubkey.preflight(&app);
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
    let no_browser = args.no_browser;
    let launch_dir = hubkey_core::launch::launch_dir(hubkey.store().home());
    // Kept until the login ends (then the page is removed), or removed earlier by its timer.
    let mut page: Option<LaunchPage> = None;
    let announce = |url: &url::Url| {
        announce(
            out,
            url,
            &app.name,
            &app.redirect_uri,
            no_browser,
            wait,
            &launch_dir,
            &mut page,
        )
    };
    let connection = tokio::select! {
        result = hubkey.login(&app.name, options, announce) => result.map_err(|e| explain_failure(e, &app.name))?,
        // `Ok` only: if no SIGINT handler can be installed, this branch is disabled, not taken.
        Ok(()) = tokio::signal::ctrl_c() => return Err(Error::LoginCancelled.into()),
    };
    drop(page);
    out.note(&render::connected_line(&connection));
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
        Error::Config(why) if why.starts_with(NO_BROWSER) => Failure::with_hint(
            Error::Config(why),
            "Run `hubkey login --no-browser` and open the URL it prints in a browser.",
        ),
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

/// How the error of a browser that cannot be started begins.
const NO_BROWSER: &str = "could not open a browser";

/// Called once Hubkey listens for the redirect: opens the browser on a launch page (or, with
/// `--no-browser`, prints the URL) and says what Hubkey waits for. A browser that cannot be started
/// ends the login: the URL is printed only when asked for with `--no-browser`.
#[allow(clippy::too_many_arguments)]
fn announce(
    out: &mut Output,
    url: &url::Url,
    app: &str,
    redirect: &str,
    no_browser: bool,
    wait: Duration,
    launch_dir: &std::path::Path,
    page: &mut Option<LaunchPage>,
) -> hubkey_core::Result<()> {
    if no_browser {
        out.note(&format!(
            "Open this URL in a browser to connect a HubSpot portal to the app {app} (it is for you only; do not share it):"
        ));
        out.note(url.as_str());
    } else {
        let launch = LaunchPage::write(launch_dir, url)?;
        let file_url = launch.file_url()?;
        if let Err(why) = browser::open(file_url.as_str()) {
            return Err(Error::Config(format!("{NO_BROWSER} ({why})")));
        }
        launch.expire_after(LAUNCH_PAGE_LIFETIME);
        *page = Some(launch);
        out.note(
            "Opened HubSpot in your browser. If nothing happened, run `hubkey login --no-browser` and open the URL it prints.",
        );
    }
    out.note(&format!(
        "Waiting up to {} for HubSpot to redirect to {redirect} (Ctrl-C cancels)…",
        render::span(wait.as_secs())
    ));
    Ok(())
}
