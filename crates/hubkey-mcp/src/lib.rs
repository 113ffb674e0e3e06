//! Hubkey's MCP side, free of Tauri and of the CLI (issue 15: fresh tokens where developers use
//! them):
//!
//! * [`bridge`]: `hubkey mcp`, a stdio MCP server that forwards every message to HubSpot's
//!   remote MCP server over streamable HTTP with a fresh token, so clients that start only local
//!   servers (Claude Desktop, Cursor, VS Code, agents on the MCP SDKs) use HubSpot without
//!   holding a token that dies in 30 minutes;
//! * [`sse`]: the incremental `text/event-stream` reader it needs;
//! * [`classify`]: HubSpot's two 401s (expired vs. account-level token);
//! * [`token`]: the one trait through which the bridge gets tokens ([`TokenSource`]), and the
//!   cache that makes a burst of 401s one refresh;
//! * [`clients`]: each AI client's config entry, as a snippet and as a merge into its file
//!   (`hubkey mcp install`, and the window's "Use in an AI client…" dialog);
//! * [`stdio`]: the process's stdin/stdout as line channels.
//!
//! No `rmcp` here: it would bring a second HTTP stack and much more code than the bridge needs.

pub mod bridge;
pub mod classify;
pub mod clients;
pub mod json_doc;
pub mod setup;
pub mod sse;
pub mod stdio;
pub mod token;

pub use bridge::{run, BridgeEnd, BridgeOptions};
pub use clients::{AiClient, Invocation, Os};
pub use token::{TokenCache, TokenLease, TokenSource};
