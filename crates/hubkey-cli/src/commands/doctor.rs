//! `hubkey doctor [--app NAME] [--json]`: everything that can stop a sign-in or a refresh, checked
//! at once (hubkey-core's [`doctor`]): the endpoints, each app's settings against HubSpot's rules
//! (preflight, including whether the loopback port is free), the keychain (a probe entry written,
//! read back and deleted) and whether HubSpot's hosts answer.
//!
//! The report goes to stdout (text, or the serde form with `--json`), even when checks fail; the
//! exit code is [`DoctorReport::exit_code`]: 0 when nothing failed, else 2 (configuration), 4
//! (keychain) or 5 (network), with one summary line on stderr.
//!
//! Unlike the other commands, doctor does not stop when the keychain cannot even be opened: that
//! is one of the things it reports.

use crate::cli::DoctorArgs;
use crate::explain;
use crate::failure::Failure;
use crate::output::Output;
use crate::select;
use hubkey_core::config::{self, Endpoints};
use hubkey_core::doctor::{doctor, DoctorReport};
use hubkey_core::preflight::PreflightEnv;
use hubkey_core::store::{Index, TokenStore};
use hubkey_keychain::KeyringStore;
use std::sync::Arc;

pub async fn run(args: DoctorArgs, out: &mut Output) -> Result<(), Failure> {
    let endpoints = Endpoints::from_env()?;
    let home = config::home_dir()?;
    let index = {
        let home = home.clone();
        tokio::task::spawn_blocking(move || Index::load(&home))
            .await
            .map_err(|e| {
                let why = hubkey_core::process::task_failure(&e);
                hubkey_core::Error::Io(format!("cannot read the index: {why}"))
            })??
    };
    let apps = match args.app.as_deref() {
        Some(name) => vec![select::app(&index, Some(name))?.clone()],
        None => index.apps.clone(),
    };
    let report = match KeyringStore::new(config::keychain_service()) {
        Ok(secrets) => {
            let store = TokenStore::new(Arc::new(secrets), home);
            doctor(
                &apps,
                &endpoints,
                &PreflightEnv::system(),
                store.self_test(),
                true,
            )
            .await
        }
        Err(e) => doctor(&apps, &endpoints, &PreflightEnv::system(), async { Err(e) }, true).await,
    };
    print(&report, args.json, out)?;
    match explain::doctor_failure_line(&report) {
        None => Ok(()),
        Some(line) => Err(Failure::reported(
            u8::try_from(report.exit_code()).unwrap_or(1),
            vec![line],
        )),
    }
}

fn print(report: &DoctorReport, json: bool, out: &mut Output) -> Result<(), Failure> {
    if json {
        out.json(report)?;
    } else {
        for line in explain::doctor_lines(report) {
            out.line(&line)?;
        }
    }
    Ok(())
}
