// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
import type { AppKind } from "./AppKind";

/**
 * The registration form as typed (`register_app`, `validate_app`). The client secret goes straight to the
 * keychain and is never returned; its `Debug` is redacted.
 */
export type RegisterAppArgs = { name: string, client_id: string, client_secret: string, redirect_uri: string, 
/**
 * Required scopes, separated by spaces, commas or new lines (as typed).
 */
scopes: string, 
/**
 * Optional scopes, same format.
 */
optional_scopes: string, kind: AppKind, 
/**
 * Send PKCE S256 (default true). Off only for a standard app whose HubSpot refuses the verifier
 * (`pkce_rejected`); MCP auth apps use PKCE whatever this says.
 */
pkce?: boolean, };
