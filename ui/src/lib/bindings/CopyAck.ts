// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * `copy_token` result: what was copied, never the token.
 */
export type CopyAck = { app: string, hub_id: number, as_header: boolean, 
/**
 * The clipboard is cleared after this many seconds if it still holds the token (`None`: never).
 */
clear_after_secs: number | null, };
