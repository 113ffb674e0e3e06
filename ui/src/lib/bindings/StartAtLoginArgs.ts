// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * `set_start_at_login` input: the switch's new state.
 */
export type StartAtLoginArgs = { enabled: boolean, };
