// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * What HubSpot's MCP server said about a connection's token.
 */
export type McpOutcome = "accepted" | "not_user_level" | "unauthorized" | "unexpected";
