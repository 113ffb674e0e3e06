//! `hubkey`: HubSpot OAuth tokens for scripts and terminals (design.md §4 is the contract).
//!
//! This file only wires things together, so the contract is easy to audit in one place:
//! parse the command line (clap derive, [`cli`]), start logging ([`logging`]), run the command
//! ([`commands`]) on a single-threaded Tokio runtime, and turn a failure into exactly one line on
//! stderr plus the contracted exit code ([`failure`]): 0 ok, 2 usage or configuration,
//! 3 re-authorization needed, 4 keychain unavailable, 5 HubSpot or network failure after retries;
//! `hubkey status` alone uses 1 (a connection needs re-authorization, as `gh auth status`). Under
//! `--json` the failure is one JSON line on stderr instead ([`Failure::json_line`]).
//! The documented exceptions to "one line" (login's preflight errors and its install-failure
//! guide after a timeout) are listed in [`failure`].
//!
//! Everything that reaches stdout or stderr goes through [`output::Output`], never `print!`, so
//! `hubkey token` can promise that stdout holds the token and nothing else.

mod cli;
mod commands;
mod context;
mod explain;
mod failure;
mod logging;
mod output;
mod render;
mod secret_input;
mod select;

use clap::Parser;
use failure::Failure;
use output::Output;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Before anything holds a secret: a panic says where, never its message (which could hold one), and the
    // process is not dumpable (unlike the desktop programs, the CLI has no opt-out).
    hubkey_core::process::withhold_panic_messages("hubkey");
    hubkey_core::process::make_not_dumpable();
    let mut out = Output::stdio();
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => return cli::report_parse_error(&e, &mut out),
    };
    logging::init();
    let json = args.command.wants_json();
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::from(hubkey_core::Error::Io(format!("cannot start the runtime: {e}"))))
        .and_then(|rt| rt.block_on(commands::run(args.command, &mut out)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if json {
                out.error_line(&failure.json_line());
            } else {
                // One line, except where failure.rs documents more (login's guide and preflight).
                for line in failure.lines() {
                    out.error_line(&line);
                }
            }
            ExitCode::from(failure.exit_code())
        }
    }
}
