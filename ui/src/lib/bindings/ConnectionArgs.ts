// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * Names a connection (`refresh_now`).
 */
export type ConnectionArgs = { app: string, hub_id: number, };
