//! The command line, exactly as design.md §4 states it (clap derive).
//!
//! There is deliberately no flag for the client secret: secrets never go in argv, where `ps`,
//! shell history and CI logs would see them. `app add` reads it from stdin or a no-echo prompt.
//!
//! Parse errors keep clap's exit code 2 but are reported as one line (the contract: errors are
//! one clear line on stderr); `--help` and `--version` print clap's text and exit 0.

use crate::output::Output;
use clap::error::ErrorKind;
use clap::{Args, Parser, Subcommand, ValueEnum};
use hubkey_core::config::env;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use url::Url;

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
    ///
    /// Exit code 1 when any connection needs re-authorization (everything is still printed), as
    /// `gh auth status` does; 0 otherwise.
    Status(StatusArgs),
    /// Print a valid access token (refreshed first when it expires within 5 minutes).
    ///
    /// `--json`: `{"token", "expires_at", "app", "hub_id"}`. Either way the token goes to stdout only.
    Token(Selection),
    /// Refresh a connection's access token now.
    Refresh(Selection),
    /// Disconnect a portal: revoke the refresh token at HubSpot and delete the local tokens.
    Logout(LogoutArgs),
    /// Set the default connection (`--app`, `--portal`), or print it (no flags).
    ///
    /// Token commands use it when neither flags nor HUBKEY_APP / HUBKEY_PORTAL name a connection.
    Use(UseArgs),
    /// Check the apps' settings against HubSpot's rules, the keychain and the network.
    ///
    /// Exit code 0 when nothing failed (warnings allowed), else 2 (configuration), 4 (keychain)
    /// or 5 (network): the smallest applicable code when several kinds fail.
    Doctor(DoctorArgs),
    /// Run a stdio MCP server that bridges to HubSpot's MCP server with fresh tokens, or set up
    /// an AI client (`hubkey mcp install <client>`).
    Mcp(Box<McpArgs>),
    /// Print the Authorization header (`--json`: `{"Authorization":"Bearer …"}`), refreshed first
    /// when due: for Claude Code's headersHelper and Codex's http_headers_helper.
    Headers(HeadersArgs),
    /// Run a command with a fresh access token in its environment (HUBSPOT_ACCESS_TOKEN).
    ///
    /// The exit status is the command's (128+N when signal N killed it); SIGINT, SIGTERM and
    /// SIGHUP are forwarded to it.
    Exec(ExecArgs),
}

// ----- `hubkey mcp`, `hubkey headers`, `hubkey exec` (commands/{mcp,headers,exec,fresh}.rs) -----

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct McpArgs {
    #[command(subcommand)]
    pub command: Option<McpCommand>,
    /// The MCP server to bridge to (default: HUBKEY_MCP_BASE_URL, else https://mcp.hubspot.com/).
    #[arg(long, value_name = "URL")]
    pub url: Option<Url>,
    /// Do not open the GET stream for messages the server sends on its own.
    #[arg(long)]
    pub no_get_stream: bool,
    // Last: its settings heading applies to everything after it.
    #[command(flatten)]
    pub target: Target,
}

#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// Add Hubkey to an AI client's config (or print the entry with --print).
    ///
    /// Claude Code and Codex get HubSpot's MCP server with `hubkey headers` as their headers
    /// helper; Claude Desktop, Cursor and VS Code get `hubkey mcp` as a local (stdio) server.
    Install(InstallArgs),
}

/// The clients, as the command line names them.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ClientArg {
    ClaudeCode,
    ClaudeDesktop,
    Cursor,
    Vscode,
    Codex,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The AI client.
    #[arg(value_enum)]
    pub client: ClientArg,
    /// Only print the entry; change no file.
    #[arg(long)]
    pub print: bool,
    /// The config file to write (default: the client's own user-level file).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The server's name in the client.
    #[arg(long, value_name = "NAME", default_value = "hubspot")]
    pub name: String,
    /// Print the result as JSON (`{"client", "config", "changed", "backup"}`, or with --print
    /// `{"client", "config", "entry"}`).
    #[arg(long)]
    pub json: bool,
    /// The MCP server the headers-helper clients connect to (default: as for `hubkey mcp`).
    #[arg(long, value_name = "URL")]
    pub url: Option<Url>,
    #[command(flatten)]
    pub target: Target,
}

#[derive(Debug, Args)]
pub struct HeadersArgs {
    #[command(flatten)]
    pub target: Target,
    /// Print `{"Authorization":"Bearer …"}` (for headersHelper / http_headers_helper).
    #[arg(long)]
    pub json: bool,
}

/// The default variable: what HubSpot's MCP servers and SDK samples read.
pub const DEFAULT_ENV: &str = "HUBSPOT_ACCESS_TOKEN";

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The environment variable that receives the token.
    #[arg(long = "env", value_name = "NAME", default_value = DEFAULT_ENV)]
    pub env_name: String,
    #[command(flatten)]
    pub target: Target,
    /// The command and its arguments (after `--`).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<OsString>,
}

/// Which connection, and the settings that would otherwise come from `HUBKEY_*` variables.
#[derive(Debug, Args, Clone, Default)]
pub struct Target {
    /// The app's name (default: HUBKEY_APP, the `hubkey use` default, or the only app).
    #[arg(long, env = "HUBKEY_APP")]
    pub app: Option<String>,
    /// The portal's hub id (default: HUBKEY_PORTAL, the `hubkey use` default, or the only one).
    #[arg(long = "portal", value_name = "HUB_ID", env = "HUBKEY_PORTAL")]
    pub portal: Option<u64>,
    #[command(flatten)]
    pub settings: Settings,
}

/// `HUBKEY_*` settings as flags (for AI clients that do not pass the variables on).
#[derive(Debug, Args, Clone, Default)]
#[command(
    next_help_heading = "Settings (flags for the HUBKEY_* variables, which AI clients may not pass on)"
)]
pub struct Settings {
    /// Hubkey's folder (HUBKEY_HOME).
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// The keychain namespace (HUBKEY_KEYCHAIN_SERVICE).
    #[arg(long, value_name = "NAME")]
    pub keychain_service: Option<String>,
    /// HubSpot's authorize host (HUBKEY_APP_BASE_URL).
    #[arg(long, value_name = "URL")]
    pub app_base_url: Option<String>,
    /// HubSpot's API host (HUBKEY_API_BASE_URL).
    #[arg(long, value_name = "URL")]
    pub api_base_url: Option<String>,
    /// HubSpot's MCP host (HUBKEY_MCP_BASE_URL).
    #[arg(long, value_name = "URL")]
    pub mcp_base_url: Option<String>,
}

impl Settings {
    fn pairs(&self) -> [(&'static str, &'static str, Option<String>); 5] {
        [
            (
                env::HOME,
                "--home",
                self.home.as_ref().map(|p| p.to_string_lossy().into_owned()),
            ),
            (
                env::KEYCHAIN_SERVICE,
                "--keychain-service",
                self.keychain_service.clone(),
            ),
            (env::APP_BASE_URL, "--app-base-url", self.app_base_url.clone()),
            (env::API_BASE_URL, "--api-base-url", self.api_base_url.clone()),
            (env::MCP_BASE_URL, "--mcp-base-url", self.mcp_base_url.clone()),
        ]
    }

    /// Sets the variable of every flag given. Call before anything reads the environment or
    /// starts a thread.
    pub fn apply(&self) {
        for (var, _, value) in self.pairs() {
            if let Some(v) = value {
                std::env::set_var(var, v);
            }
        }
    }

    /// The flags that reproduce this run's settings (given as flags or as variables), for a
    /// command line another program will run with a stripped environment.
    pub fn as_flags(&self) -> Vec<String> {
        let mut flags = Vec::new();
        for (var, flag, value) in self.pairs() {
            let value = value
                .or_else(|| std::env::var(var).ok())
                .filter(|v| !v.trim().is_empty());
            if let Some(v) = value {
                flags.push(flag.to_owned());
                flags.push(v);
            }
        }
        flags
    }
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
    /// Replace an app already registered under this name (its settings and client secret).
    #[arg(long)]
    pub replace: bool,
    /// Print the saved app as JSON (`{"app": {...}}`, the fields of one `app list --json` entry).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AppRemoveArgs {
    /// The app's name in Hubkey.
    pub name: String,
    /// Print `{"removed": NAME}`.
    #[arg(long)]
    pub json: bool,
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

/// Which connection: flags, else HUBKEY_APP / HUBKEY_PORTAL, else the `hubkey use` default, else
/// the only choice (crate::select).
#[derive(Debug, Args, Clone, Default)]
pub struct Selection {
    /// The app's name (default: HUBKEY_APP, the `hubkey use` default, or the only app).
    #[arg(long, env = "HUBKEY_APP")]
    pub app: Option<String>,
    /// The portal's hub id (default: HUBKEY_PORTAL, the `hubkey use` default, or the only one).
    #[arg(long = "portal", value_name = "HUB_ID", env = "HUBKEY_PORTAL")]
    pub portal: Option<u64>,
    /// Print JSON: `token` → `{"token", "expires_at", "app", "hub_id"}`; `refresh` → the connection
    /// (the fields of one `status --json` entry).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UseArgs {
    /// The app's name (optional when exactly one app is registered).
    #[arg(long)]
    pub app: Option<String>,
    /// The portal's hub id (optional when the app has exactly one connection).
    #[arg(long = "portal", value_name = "HUB_ID")]
    pub portal: Option<u64>,
    /// Print `{"default": {"app", "hub_id"} | null}`.
    #[arg(long)]
    pub json: bool,
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
    /// Print the outcome as JSON (`{"app", "hub_id", "revoked", "already_invalid", "kept_remote",
    /// "access_token_valid_until", "revoke_error"}`).
    #[arg(long)]
    pub json: bool,
}

impl Command {
    /// Whether the command was asked for JSON: its error is then a JSON object too (main.rs).
    ///
    /// Two exceptions keep their text errors under `--json`: `login` (its preflight errors and the
    /// install-failure guide are several lines for a person, failure.rs) and `headers` (its
    /// `--json` is the header object a helper reads; the AI client shows the helper's stderr to
    /// the user as it is).
    pub fn wants_json(&self) -> bool {
        match self {
            Command::App(AppCommand::Add(a)) => a.json,
            Command::App(AppCommand::List(a)) => a.json,
            Command::App(AppCommand::Remove(a)) => a.json,
            Command::Status(a) => a.json,
            Command::Token(a) | Command::Refresh(a) => a.json,
            Command::Logout(a) => a.json,
            Command::Use(a) => a.json,
            Command::Doctor(a) => a.json,
            Command::Mcp(a) => matches!(&a.command, Some(McpCommand::Install(i)) if i.json),
            Command::Login(_) | Command::Headers(_) => false,
            // The child's output and the MCP protocol own stdout; there is nothing of ours to shape.
            Command::Exec(_) => false,
        }
    }
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
