// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * `copy_redirect_url` input: a non-secret redirect URL to put on the clipboard.
 */
export type CopyRedirectArgs = { url: string, };
