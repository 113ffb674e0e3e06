// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * `start_login` input.
 */
export type StartLoginArgs = { app: string, 
/**
 * Preselect a portal (skips HubSpot's account picker).
 */
portal_id?: number, 
/**
 * This one sign-in without PKCE (standard apps only): the "Retry without PKCE" action offered when
 * HubSpot refused the verifier (`pkce_rejected`). The app's setting is not changed.
 */
without_pkce?: boolean, };
