// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * What the `app_info` command returns.
 */
export type AppInfo = { version: string, api_base_url: string, app_base_url: string, mcp_base_url: string, 
/**
 * True when any endpoint is overridden away from HubSpot (the sandbox, usually).
 */
uses_sandbox: boolean, 
/**
 * Seconds after which a copied token is cleared from the clipboard (`None`: never).
 */
clipboard_clear_secs: number | null, };
