// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
import type { RedirectKind } from "./RedirectKind";

/**
 * `start_login` result: the browser is opening; the outcome arrives as a `login-finished` event.
 */
export type LoginStarted = { app: string, 
/**
 * The host of HubSpot's authorize page (`app.hubspot.com`, `mcp.hubspot.com`, or the sandbox).
 */
authorize_host: string, redirect_kind: RedirectKind, redirect_uri: string, 
/**
 * When the sign-in started (a window built again later shows the install guide on time).
 */
started_at: string, 
/**
 * When Hubkey stops waiting for the redirect.
 */
expires_at: string, };
