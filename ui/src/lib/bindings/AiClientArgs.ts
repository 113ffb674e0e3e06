// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * Names an AI client for a connection (`install_ai_client`, `copy_ai_snippet`).
 */
export type AiClientArgs = { app: string, hub_id: number, 
/**
 * An [`AiClientEntry::id`].
 */
client: string, };
