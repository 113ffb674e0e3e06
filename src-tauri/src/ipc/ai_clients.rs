//! The "Use in an AI client…" dialog: every AI client's entry for a connection, Install, and copying an
//! entry. All three are `hubkey_mcp::setup`'s, the same as `hubkey mcp install <client> [--print]`; an
//! entry names the `hubkey` program and flags, never a token.

use hubkey_core::view::{AiClientArgs, AiClientInstalled, AiClientsView, ConnectionArgs};
use hubkey_core::Error;
use hubkey_mcp::setup;
use tauri::State;

use super::CmdResult;
use crate::host::Host;

/// The dialog for a connection: each client's entry, the `hubkey` it runs, and why an account-level
/// connection will not work with HubSpot's MCP server.
#[tauri::command]
pub async fn ai_clients(host: State<'_, Host>, args: ConnectionArgs) -> CmdResult<AiClientsView> {
    let conn = host.hubkey().connection(&args.key()).await?;
    Ok(setup::view_here(
        &conn,
        host.hubkey().endpoints().mcp_server_url(),
    ))
}

/// Writes or merges the client's config file (a backup of the old one is kept).
#[tauri::command]
pub async fn install_ai_client(host: State<'_, Host>, args: AiClientArgs) -> CmdResult<AiClientInstalled> {
    let conn = host.hubkey().connection(&args.key()).await?;
    Ok(setup::install_here(
        &conn,
        &args.client,
        host.hubkey().endpoints().mcp_server_url(),
    )?)
}

/// Puts the client's entry on the clipboard, from Rust (the window holds no clipboard permission).
#[tauri::command]
pub async fn copy_ai_snippet(host: State<'_, Host>, args: AiClientArgs) -> CmdResult<()> {
    let conn = host.hubkey().connection(&args.key()).await?;
    let snippet = setup::snippet_here(&conn, &args.client, host.hubkey().endpoints().mcp_server_url())?;
    Ok(host
        .copier()
        .clipboard()
        .write_text(&snippet)
        .map_err(Error::Clipboard)?)
}
