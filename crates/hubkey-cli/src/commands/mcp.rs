//! `hubkey mcp`: a stdio MCP server that bridges to HubSpot's remote MCP server with fresh
//! tokens ([`hubkey_mcp::bridge`]), and `hubkey mcp install <client>`: that client's config entry,
//! written or printed ([`hubkey_mcp::clients`]).
//!
//! The bridge: stdout carries JSON-RPC only (one message a line), logs go to stderr. Before it
//! starts it checks the connection (exit 3 with the `hubkey login` line when it needs a new
//! login, exit 4 when no keychain can be reached), so an AI client shows why the server did not
//! start. It ends with exit 0 on EOF, Ctrl-C, SIGTERM or SIGHUP (after `DELETE` of the MCP
//! session), and with exit 3 once HubSpot refuses the refresh token (the pending request got a
//! JSON-RPC error saying to reconnect).
//!
//! `install` writes the absolute path of this `hubkey` and flags (app, portal, and any setting
//! that differs from the defaults: AI clients do not pass `HUBKEY_*` variables on), never a
//! token; the previous file is kept as a backup. `--print` only shows the entry.

use super::fresh::{resolve, CliTokens};
use super::with_reauth_hint;
use crate::cli::{ClientArg, InstallArgs, McpArgs, McpCommand};
use crate::failure::Failure;
use crate::output::Output;
use hubkey_core::{ConnectionKey, Error, Result};
use hubkey_mcp::clients::{self, AiClient, Invocation, Os};
use hubkey_mcp::setup;
use hubkey_mcp::{BridgeEnd, BridgeOptions, TokenSource};
use std::time::Duration;

impl From<ClientArg> for AiClient {
    fn from(c: ClientArg) -> Self {
        match c {
            ClientArg::ClaudeCode => AiClient::ClaudeCode,
            ClientArg::ClaudeDesktop => AiClient::ClaudeDesktop,
            ClientArg::Cursor => AiClient::Cursor,
            ClientArg::Vscode => AiClient::VsCode,
            ClientArg::Codex => AiClient::Codex,
        }
    }
}

pub async fn run(args: McpArgs, out: &mut Output) -> std::result::Result<(), Failure> {
    match args.command {
        Some(McpCommand::Install(install)) => self::install(install, out).await,
        None => bridge(args, out).await,
    }
}

async fn bridge(args: McpArgs, out: &mut Output) -> std::result::Result<(), Failure> {
    let resolved = resolve(&args.target).await?;
    let (app, hub_id) = (resolved.app.clone(), resolved.hub_id);
    let url = args
        .url
        .clone()
        .unwrap_or_else(|| resolved.hubkey.endpoints().mcp_server_url());
    let source = CliTokens::new(&resolved);
    // Fail before the client sends anything: no keychain (exit 4), a dead connection (exit 3).
    source
        .fresh_token()
        .await
        .map_err(|e| with_reauth_hint(e, &app, hub_id))?;
    if resolved.conn.is_user_level == Some(false) {
        out.note(&format!(
            "hubkey: the connection of {app} to portal {hub_id} has an account-level token; HubSpot's MCP server will refuse it. {}.",
            hubkey_mcp::classify::NOT_USER_LEVEL_FIX
        ));
    }
    let mut options = BridgeOptions::new(url);
    options.open_get_stream = !args.no_get_stream;
    options.reconnect_hint =
        format!("Reconnect the portal with `hubkey login --app {app} --portal {hub_id}`");
    let http = hubkey_mcp::bridge::http_client(&options)?;
    tracing::info!(target: "hubkey::mcp", url = %options.url, app, hub_id, "bridging stdio to the MCP server");
    let shutdown = shutdown_signal();
    let (input, output, writer) = hubkey_mcp::stdio::channels();
    let end = hubkey_mcp::run(options, http, source, input, output, shutdown).await;
    writer.wait(Duration::from_secs(3)).await;
    match end {
        BridgeEnd::Closed | BridgeEnd::OutputClosed => Ok(()),
        BridgeEnd::NeedsReauth(e) => Err(with_reauth_hint(e, &app, hub_id)),
    }
}

/// Ctrl-C, and on Unix SIGTERM and SIGHUP (how MCP clients stop a stdio server). The handlers
/// are installed now, before the bridge starts, so an early signal still ends it cleanly.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let streams = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        );
        async move {
            match streams {
                (Ok(mut int), Ok(mut term), Ok(mut hup)) => {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                        _ = hup.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

async fn install(args: InstallArgs, out: &mut Output) -> std::result::Result<(), Failure> {
    let client = AiClient::from(args.client);
    let invocation = invocation(&args).await?;
    let path = match &args.config {
        Some(p) => p.clone(),
        None => client.config_path(Os::current(), &|k| std::env::var(k).ok())?,
    };
    if args.print && args.json {
        out.json(&serde_json::json!({
            "client": client.display_name(),
            "config": path,
            "entry": clients::snippet(client, &invocation),
        }))?;
        return Ok(());
    }
    if args.print {
        out.note(&format!(
            "hubkey: the entry for {} ({}):",
            client.display_name(),
            path.display()
        ));
        out.raw_stdout(&clients::snippet(client, &invocation));
        return Ok(());
    }
    let done = clients::install(client, &invocation, &path)?;
    if args.json {
        out.json(&serde_json::json!({
            "client": client.display_name(),
            "config": path,
            "changed": done.changed,
            "backup": done.backup,
        }))?;
        return Ok(());
    }
    out.line(&setup::install_message(client, &args.name, &done))?;
    if let Some(backup) = &done.backup {
        out.line(&format!("The previous file is kept as {}.", backup.display()))?;
    }
    Ok(())
}

/// The entry's command: this executable's absolute path, the app and portal (resolved now, so
/// the entry keeps working when another app or portal is added later), and the settings.
async fn invocation(args: &InstallArgs) -> std::result::Result<Invocation, Failure> {
    let resolved = resolve(&args.target).await?;
    let program = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| Failure::from(Error::Io(format!("cannot find the path of hubkey itself: {e}"))))?;
    let server_url = args
        .url
        .clone()
        .unwrap_or_else(|| resolved.hubkey.endpoints().mcp_server_url());
    Ok(Invocation::for_connection(
        program,
        &ConnectionKey::new(&resolved.app, resolved.hub_id),
        args.target.settings.as_flags(),
        server_url,
        valid_name(&args.name)?,
        Os::current(),
    ))
}

fn valid_name(name: &str) -> Result<String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(name.to_owned())
    } else {
        Err(Error::Config(format!(
            "{name:?} is not a usable server name (letters, digits, - and _, at most 64)"
        )))
    }
}
