// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * What a check is about; decides the exit code of a failure.
 */
export type CheckCategory = "config" | "keychain" | "network";
