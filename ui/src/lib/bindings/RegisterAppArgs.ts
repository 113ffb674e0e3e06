// Generated from src-tauri/src (ts-rs) by `cargo test -p hubkey-desktop --test bindings export_bindings -- --ignored`. Do not edit.
import type { AppKindView } from "./AppKindView";

/**
 * `register_app` input. The client secret goes straight to the keychain and is never returned.
 */
export type RegisterAppArgs = { name: string, client_id: string, client_secret: string, redirect_uri: string, 
/**
 * Required scopes, separated by spaces, commas or new lines (as typed).
 */
scopes: string, 
/**
 * Optional scopes, same format.
 */
optional_scopes: string, kind: AppKindView, 
/**
 * Send PKCE S256 (default true). Off only for a standard app whose HubSpot refuses the verifier
 * (`pkce_rejected`); MCP auth apps use PKCE whatever this says.
 */
pkce?: boolean, };
