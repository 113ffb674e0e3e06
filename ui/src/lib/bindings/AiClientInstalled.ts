// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * What Install did.
 */
export type AiClientInstalled = { 
/**
 * The config file.
 */
path: string, 
/**
 * The copy of the previous file, when there was one and it changed.
 */
backup: string | null, 
/**
 * False when the file already held exactly this entry.
 */
changed: boolean, 
/**
 * One sentence for the dialog, the CLI's own (`Added "hubspot" to Cursor (…). Restart Cursor to load it.`).
 */
message: string, };
