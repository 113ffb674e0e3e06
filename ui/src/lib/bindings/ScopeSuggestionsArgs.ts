// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * `scope_suggestions` input.
 */
export type ScopeSuggestionsArgs = { 
/**
 * What has been typed of the scope name so far.
 */
prefix: string, };
