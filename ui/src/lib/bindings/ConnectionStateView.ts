// Generated from src-tauri/src (ts-rs) by `cargo test -p hubkey-desktop --test bindings export_bindings -- --ignored`. Do not edit.
/**
 * A connection's token health (design.md §4 `state`).
 */
export type ConnectionStateView = "fresh" | "refreshing" | "retrying" | "needs_reauth";
