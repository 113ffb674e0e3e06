// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * Names an app (`remove_app`, `cancel_login`).
 */
export type AppArgs = { app: string, };
