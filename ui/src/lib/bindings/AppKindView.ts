// Generated from src-tauri/src (ts-rs) by `cargo test -p hubkey-desktop --test bindings export_bindings -- --ignored`. Do not edit.
/**
 * Standard developer-platform app or MCP auth app.
 */
export type AppKindView = "standard" | "mcp";
