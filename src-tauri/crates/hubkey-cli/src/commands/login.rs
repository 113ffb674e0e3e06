//! `hubkey login`: connects a portal. The authorize URL always goes to stderr (so it can be
//! opened by hand, or by a test), the browser is opened unless `--no-browser`, and the finished
//! connection goes to stdout: JSON with `--json` (one `status --json` entry), else a summary.
//!
//! Ctrl-C cancels the wait cleanly (exit 5, like any other login that did not complete).

use super::context;
use crate::browser;
use crate::cli::LoginArgs;
use crate::failure::Failure;
use crate::output::Output;
use crate::{render, select};
use hubkey_core::clock::SystemClock;
use hubkey_core::connect::{LoginOptions, PortalConnector};
use hubkey_core::login::DEFAULT_LOGIN_TIMEOUT;
use hubkey_core::Error;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

pub async fn run(args: LoginArgs, out: &mut Output) -> Result<(), Failure> {
    let ctx = context()?;
    let index = ctx.store.index().await?;
    let app = select::app(&index, args.app.as_deref())?.clone();
    let timeout = args.timeout.map(Duration::from_secs);
    let options = LoginOptions {
        portal_id: args.portal,
        timeout,
    };
    let wait = timeout.unwrap_or(DEFAULT_LOGIN_TIMEOUT);
    let connector = PortalConnector::new(ctx.client.clone(), ctx.store.clone(), Arc::new(SystemClock));
    let no_browser = args.no_browser;
    let announce = |url: &url::Url| {
        announce(out, url.as_str(), &app.name, &app.redirect_uri, no_browser, wait);
        Ok(())
    };
    let connection = tokio::select! {
        result = connector.connect(&app.name, options, announce) => result?,
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
