// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * `copy_token` input.
 */
export type CopyTokenArgs = { app: string, hub_id: number, 
/**
 * Copy `Authorization: Bearer …` instead of the bare token.
 */
as_header: boolean, };
