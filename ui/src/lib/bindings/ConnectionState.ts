// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * Where a connection's tokens stand (design.md §4: `status --json` `state`).
 */
export type ConnectionState = "fresh" | "refreshing" | "retrying" | "needs_reauth";
