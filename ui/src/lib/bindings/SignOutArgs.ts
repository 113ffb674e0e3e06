// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * `sign_out` input.
 */
export type SignOutArgs = { app: string, hub_id: number, 
/**
 * Delete locally only; leave the refresh token valid at HubSpot.
 */
keep_remote: boolean, };
