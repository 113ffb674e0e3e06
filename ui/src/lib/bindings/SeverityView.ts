// Generated from src-tauri/src (ts-rs) by `cargo test -p hubkey-desktop --test bindings export_bindings -- --ignored`. Do not edit.
/**
 * How bad a preflight finding is.
 */
export type SeverityView = "error" | "warning" | "info";
