// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * How bad a finding is.
 */
export type Severity = "error" | "warning" | "info";
