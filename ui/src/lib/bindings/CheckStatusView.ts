// Generated from src-tauri/src (ts-rs) by `cargo test -p hubkey-desktop --test bindings export_bindings -- --ignored`. Do not edit.
/**
 * The outcome of one doctor check.
 */
export type CheckStatusView = "ok" | "warn" | "fail";
