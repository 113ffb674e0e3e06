//! The command line, exactly as design.md §4 states it (clap derive).
//!
//! There is deliberately no flag for the client secret: secrets never go in argv, where `ps`,
//! shell history and CI logs would see them. `app add` reads it from stdin or a no-echo prompt.
//!
//! Parse errors keep clap's exit code 2 but are reported as one line (the contract: errors are
//! one clear line on stderr); `--help` and `--version` print clap's text and exit 0.

use crate::output::Output;
use clap::error::ErrorKind;
use clap::{Args, Parser, Subcommand};
use std::process::ExitCode;

/// Connect HubSpot portals through OAuth, keep the tokens in the OS keychain and hand out fresh
/// access tokens.
#[derive(Debug, Parser)]
#[command(name = "hubkey", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Register, list or remove HubSpot apps (client id, redirect URL, scopes).
    #[command(subcommand)]
    App(AppCommand),
    /// Connect a portal: opens HubSpot's consent page and waits for the redirect.
    ///
    /// The app's settings are checked against HubSpot's rules first (as `hubkey doctor` does): an
    /// error stops the login with exit 2 before anything is sent to HubSpot. If no redirect arrives
    /// in time, the error line is followed by a guide to HubSpot's install-error pages.
    Login(LoginArgs),
    /// Show every connection: portal, user, scopes, expiry, health.
    Status(StatusArgs),
    /// Print a valid access token (refreshed first when it expires within 5 minutes).
    Token(Selection),
    /// Refresh a connection's access token now.
    Refresh(Selection),
    /// Disconnect a portal: revoke the refresh token at HubSpot and delete the local tokens.
    Logout(LogoutArgs),
    /// Check the apps' settings against HubSpot's rules, the keychain and the network.
    ///
    /// Exit code 0 when nothing failed (warnings allowed), else 2 (configuration), 4 (keychain)
    /// or 5 (network): the smallest applicable code when several kinds fail.
    Doctor(DoctorArgs),
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Check only this app (default: every registered app).
    #[arg(long)]
    pub app: Option<String>,
    /// Print the report as JSON (`{"checks": [...]}`) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Register (or update) an app. The client secret is read from stdin, or prompted for.
    Add(AppAddArgs),
    /// List the registered apps.
    List(JsonFlag),
    /// Remove an app and its client secret (log out of its portals first).
    Remove(AppRemoveArgs),
}

#[derive(Debug, Args)]
pub struct AppAddArgs {
    /// Your name for the app in Hubkey.
    pub name: String,
    /// The client ID from the app's Auth tab in HubSpot.
    #[arg(long)]
    pub client_id: String,
    /// The redirect URL exactly as registered at HubSpot (e.g. http://localhost:3000/oauth-callback).
    #[arg(long)]
    pub redirect_uri: String,
    /// Required scopes, separated by spaces (e.g. "oauth crm.objects.contacts.read").
    #[arg(long)]
    pub scopes: String,
    /// Optional scopes, separated by spaces.
    #[arg(long)]
    pub optional_scopes: Option<String>,
    /// The app is an MCP auth app (user-level tokens from mcp.hubspot.com).
    #[arg(long)]
    pub mcp: bool,
    /// Sign in without PKCE (standard apps only), for an app whose HubSpot refuses the code verifier.
    #[arg(long)]
    pub no_pkce: bool,
}

#[derive(Debug, Args)]
pub struct AppRemoveArgs {
    /// The app's name in Hubkey.
    pub name: String,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print `{"connections": [...]}` instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Which connection: both may be left out when there is only one choice.
#[derive(Debug, Args, Clone, Default)]
pub struct Selection {
    /// The app's name (optional when exactly one app is registered).
    #[arg(long)]
    pub app: Option<String>,
    /// The portal's hub id (optional when the app has exactly one connection).
    #[arg(long = "portal", value_name = "HUB_ID")]
    pub portal: Option<u64>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The app's name (optional when exactly one app is registered).
    #[arg(long)]
    pub app: Option<String>,
    /// Preselect this portal at HubSpot (skips the account picker).
    #[arg(long = "portal", value_name = "HUB_ID")]
    pub portal: Option<u64>,
    /// Only print the URL; do not open a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// Give up waiting for HubSpot's redirect after this many seconds (default 600, at most 86400).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: Option<u64>,
    /// Print the connection as JSON (the fields of one `status --json` entry).
    #[arg(long)]
    pub json: bool,
    /// This one sign-in without PKCE (standard apps only), when HubSpot refused the code verifier; to
    /// turn PKCE off for good, register the app again with `hubkey app add … --no-pkce`.
    #[arg(long)]
    pub no_pkce: bool,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// The app's name (optional when exactly one app is registered).
    #[arg(long)]
    pub app: Option<String>,
    /// The portal to disconnect.
    #[arg(long = "portal", value_name = "HUB_ID")]
    pub portal: u64,
    /// Keep the refresh token valid at HubSpot (only delete it here).
    #[arg(long)]
    pub keep_remote: bool,
}

/// Reports a parse failure: help and version go to stdout (exit 0); errors become one line on
/// stderr with exit code 2.
pub fn report_parse_error(e: &clap::Error, out: &mut Output) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            out.raw_stdout(&e.render().to_string());
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            out.error_line("hubkey: a command is missing. See `hubkey --help`.");
            ExitCode::from(2)
        }
        _ => {
            out.error_line(&parse_error_line(&e.render().to_string()));
            ExitCode::from(2)
        }
    }
}

/// `hubkey: <clap's first line, without "error: ">. <what to do>`.
pub fn parse_error_line(rendered: &str) -> String {
    let first = rendered
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("invalid arguments");
    let message = first.strip_prefix("error:").map(str::trim).unwrap_or(first);
    let hint = if message.contains("secret") {
        "The client secret is never taken on the command line: pipe it on stdin or type it at the prompt (hubkey app add --help)."
    } else {
        "See `hubkey --help`."
    };
    format!("hubkey: {}. {hint}", message.trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn given_the_cli_definition_when_checked_then_clap_accepts_it() {
        Cli::command().debug_assert();
    }

    #[test]
    fn given_a_client_secret_flag_when_parsing_then_it_is_rejected_with_a_one_line_hint() {
        let err = Cli::try_parse_from([
            "hubkey",
            "app",
            "add",
            "demo",
            "--client-id",
            "x",
            "--redirect-uri",
            "http://localhost:1/cb",
            "--scopes",
            "oauth",
            "--client-secret",
            "s",
        ])
        .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let line = parse_error_line(&err.render().to_string());
        assert!(!line.contains('\n'), "{line}");
        assert!(
            line.starts_with("hubkey: unexpected argument '--client-secret'"),
            "{line}"
        );
        assert!(line.contains("stdin"), "{line}");
    }

    #[test]
    fn given_logout_without_portal_when_parsing_then_it_is_a_usage_error() {
        let err = Cli::try_parse_from(["hubkey", "logout"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert_eq!(err.kind(), ErrorKind::MissingRequiredArgument);
    }

    #[test]
    fn given_token_with_app_and_portal_when_parsing_then_both_are_read() {
        let cli = Cli::try_parse_from(["hubkey", "token", "--app", "a", "--portal", "42"]).unwrap();
        match cli.command {
            Command::Token(sel) => {
                assert_eq!(sel.app.as_deref(), Some("a"));
                assert_eq!(sel.portal, Some(42));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn given_doctor_with_app_and_json_when_parsing_then_both_are_read() {
        let cli = Cli::try_parse_from(["hubkey", "doctor", "--app", "a", "--json"]).unwrap();
        match cli.command {
            Command::Doctor(args) => {
                assert_eq!(args.app.as_deref(), Some("a"));
                assert!(args.json);
            }
            other => panic!("{other:?}"),
        }
    }
}
