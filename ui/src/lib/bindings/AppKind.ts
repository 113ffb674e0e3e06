// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * Which kind of HubSpot app this is; it decides the authorize and token endpoints.
 */
export type AppKind = "standard" | "mcp";
