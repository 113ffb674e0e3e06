// Generated from src-tauri/src (ts-rs) by `cargo test -p hubkey-desktop --test bindings export_bindings -- --ignored`. Do not edit.
/**
 * What a doctor check is about.
 */
export type CheckCategoryView = "config" | "keychain" | "network";
