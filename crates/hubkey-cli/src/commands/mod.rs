//! One module per command. Each one builds what it needs from [`Context`], selects the app and
//! portal with [`crate::select`], calls the core, and writes through [`Output`]: data on stdout,
//! progress and warnings on stderr. Errors are returned, never printed here (`main` prints the
//! one error line).

mod app;
mod doctor;
pub mod exec;
mod fresh;
pub mod headers;
mod login;
mod logout;
pub mod mcp;
mod refresh;
mod status;
mod token;
mod use_default;

use crate::cli::{AppCommand, Command};
use crate::failure::Failure;
use crate::output::Output;

/// Runs one command. Every run that talks to anything but HubSpot says so first, on stderr
/// (hubkey-core's `Endpoints::override_warning`); an override that cannot be parsed is reported by
/// the command itself.
pub async fn run(command: Command, out: &mut Output) -> Result<(), Failure> {
    if let Some(warning) = hubkey_core::config::Endpoints::from_env()
        .ok()
        .and_then(|e| e.override_warning())
    {
        out.note(&format!("hubkey: warning: {warning}"));
    }
    match command {
        Command::App(AppCommand::Add(args)) => app::add(args, out).await,
        Command::App(AppCommand::List(args)) => app::list(args.json, out).await,
        Command::App(AppCommand::Remove(args)) => app::remove(&args.name, args.json, out).await,
        Command::Login(args) => login::run(args, out).await,
        Command::Status(args) => status::run(args.json, out).await,
        Command::Token(sel) => token::run(sel, out).await,
        Command::Refresh(sel) => refresh::run(sel, out).await,
        Command::Logout(args) => logout::run(args, out).await,
        Command::Use(args) => use_default::run(args, out).await,
        Command::Doctor(args) => doctor::run(args, out).await,
        Command::Mcp(args) => mcp::run(*args, out).await,
        Command::Headers(args) => headers::run(args, out).await,
        Command::Exec(args) => exec::run(args, out).await,
    }
}

/// For errors that mean "sign in again": the exact command to run.
fn with_reauth_hint(error: hubkey_core::Error, app: &str, hub_id: u64) -> Failure {
    if error.exit_code() == 3 {
        let hint = format!(
            "Re-authorize with `hubkey login --app {app} --portal {hub_id}` (the app may have been uninstalled from the portal)."
        );
        Failure::with_hint(error, hint)
    } else {
        Failure::from(error)
    }
}

/// The connection a token command means: flags or `HUBKEY_APP`/`HUBKEY_PORTAL` (clap merges them),
/// then the `hubkey use` default, then the only choice ([`crate::select::chosen`]).
async fn chosen(
    hubkey: &hubkey_core::Hubkey,
    app: Option<&str>,
    portal: Option<u64>,
) -> Result<hubkey_core::store::Connection, Failure> {
    let index = hubkey.store().index().await?;
    let default = hubkey.default_connection().await?;
    Ok(crate::select::chosen(&index, app, portal, default.as_ref())?.clone())
}

fn context() -> Result<hubkey_core::Hubkey, Failure> {
    Ok(crate::context::from_env()?)
}
