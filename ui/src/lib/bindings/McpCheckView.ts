// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
import type { McpOutcome } from "./McpOutcome";

/**
 * `check_mcp` result. Never contains the token.
 */
export type McpCheckView = { app: string, hub_id: number, outcome: McpOutcome, 
/**
 * One sentence for the card.
 */
summary: string, 
/**
 * What to do, when something is wrong (for `not_user_level`: MCP auth app or user-level app).
 */
fix: string | null, 
/**
 * HubSpot's message, when it gave one.
 */
hubspot_message: string | null, 
/**
 * `accepted`: the protocol version the server chose.
 */
protocol_version: string | null, 
/**
 * `accepted`: the server's name.
 */
server_name: string | null, 
/**
 * `unexpected`: the HTTP status.
 */
http_status: number | null, 
/**
 * Whether the MCP server was asked; false when the connection was already known to be account-level.
 */
asked_server: boolean, };
