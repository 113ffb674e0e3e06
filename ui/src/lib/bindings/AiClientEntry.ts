// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * One AI client's entry for the connection.
 */
export type AiClientEntry = { 
/**
 * The CLI's name for it (`claude-code`, `cursor`…): the argument of `hubkey mcp install`.
 */
id: string, 
/**
 * For people (`Claude Code`).
 */
name: string, 
/**
 * How it gets a token: `"headers helper"` (it calls `hubkey headers`) or `"stdio bridge"` (`hubkey mcp`).
 */
method: string, 
/**
 * The config file Install writes (`None` when it cannot be found here: see `config_path_error`).
 */
config_path: string | null, 
/**
 * Why the config file cannot be found here (no home folder, an unsupported OS).
 */
config_path_error: string | null, 
/**
 * The entry, exactly as `hubkey mcp install <id> --print` prints it.
 */
snippet: string, };
