// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * The outcome of one check.
 */
export type CheckStatus = "ok" | "warn" | "fail";
