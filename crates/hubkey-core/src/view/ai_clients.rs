//! The window's "Use in an AI client…" dialog: per AI client, the config entry `hubkey mcp install
//! <client> --print` shows for a connection, and what an Install did. Built by `hubkey_mcp::setup`, which
//! owns the writers; nothing here holds a token (the entries name the `hubkey` program and flags only).

use serde::{Deserialize, Serialize};

use crate::ids::ConnectionKey;

/// The dialog for one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "AiClientsView.ts"))]
pub struct AiClientsView {
    /// The `hubkey` CLI the entries run (absolute), or `None` when it was not found.
    pub cli: Option<String>,
    /// When the CLI was not found: what to do (the entries cannot be made without it).
    pub cli_missing: Option<String>,
    /// When the connection is known to be account-level: why HubSpot's MCP server will refuse it, and the fix.
    pub not_user_level: Option<String>,
    /// One per supported AI client, in the CLI's order (empty when the CLI was not found).
    pub clients: Vec<AiClientEntry>,
}

/// One AI client's entry for the connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "AiClientEntry.ts"))]
pub struct AiClientEntry {
    /// The CLI's name for it (`claude-code`, `cursor`…): the argument of `hubkey mcp install`.
    pub id: String,
    /// For people (`Claude Code`).
    pub name: String,
    /// How it gets a token: `"headers helper"` (it calls `hubkey headers`) or `"stdio bridge"` (`hubkey mcp`).
    pub method: String,
    /// The config file Install writes (`None` when it cannot be found here: see `config_path_error`).
    pub config_path: Option<String>,
    /// Why the config file cannot be found here (no home folder, an unsupported OS).
    pub config_path_error: Option<String>,
    /// The entry, exactly as `hubkey mcp install <id> --print` prints it.
    pub snippet: String,
}

/// Names an AI client for a connection (`install_ai_client`, `copy_ai_snippet`).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "AiClientArgs.ts"))]
pub struct AiClientArgs {
    pub app: String,
    pub hub_id: u64,
    /// An [`AiClientEntry::id`].
    pub client: String,
}

impl AiClientArgs {
    /// The connection named.
    pub fn key(&self) -> ConnectionKey {
        ConnectionKey::new(&self.app, self.hub_id)
    }
}

/// What Install did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "AiClientInstalled.ts"))]
pub struct AiClientInstalled {
    /// The config file.
    pub path: String,
    /// The copy of the previous file, when there was one and it changed.
    pub backup: Option<String>,
    /// False when the file already held exactly this entry.
    pub changed: bool,
    /// One sentence for the dialog, the CLI's own (`Added "hubspot" to Cursor (…). Restart Cursor to load it.`).
    pub message: String,
}
