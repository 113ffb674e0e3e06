// Generated from src-tauri/src (ts-rs) by `cargo test -p hubkey-desktop --test bindings export_bindings -- --ignored`. Do not edit.
/**
 * `start_login` input.
 */
export type StartLoginArgs = { app: string, 
/**
 * Preselect a portal (skips HubSpot's account picker).
 */
portal_id?: number, };
