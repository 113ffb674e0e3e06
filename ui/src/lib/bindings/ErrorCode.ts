// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * Stable error codes. Never renumber or rename: the UI and scripts key on these strings. With the `ts`
 * feature this is the TypeScript string union the window's error handling switches on.
 */
export type ErrorCode = "config" | "unservable_redirect" | "unsafe_url" | "hubspot_config" | "state_missing" | "state_mismatch" | "consent_denied" | "callback_invalid" | "no_pending_login" | "already_completed" | "login_timed_out" | "login_cancelled" | "port_in_use" | "needs_reauth" | "transient" | "unexpected_response" | "keychain_unavailable" | "keychain_locked" | "keychain_timeout" | "secret_too_long" | "not_signed_in" | "corrupt_record" | "not_found" | "ambiguous" | "io" | "pkce_rejected" | "clipboard" | "invalid_input" | "preflight" | "internal";
