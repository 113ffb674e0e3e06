// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
import type { AppKind } from "./AppKind";
import type { ConnectionState } from "./ConnectionState";
import type { DroppedScope } from "./DroppedScope";

/**
 * One connected portal, everything the UI shows. The token itself never appears: `masked_token` is computed
 * in Rust ("••••••••abcd"), and only when the token is long enough for the tail to reveal nothing useful.
 */
export type ConnectionView = { app: string, app_kind: AppKind | null, hub_id: number, hub_domain: string | null, 
/**
 * The installing user's e-mail.
 */
user: string | null, user_id: number | null, installing_user_id: number | null, app_id: number | null, is_user_level: boolean | null, 
/**
 * The portal's data centre (`na1`, `eu1`…), from introspection; `None` when HubSpot did not say.
 */
hublet: string | null, 
/**
 * Every granted scope, as HubSpot reported it.
 */
scopes: Array<string>, 
/**
 * What the login asked for (required + optional).
 */
requested_scopes: Array<string>, 
/**
 * The app's required scopes (all granted, or HubSpot would have refused the install).
 */
required_scopes: Array<string>, 
/**
 * Optional scopes HubSpot granted.
 */
optional_granted: Array<string>, 
/**
 * Optional scopes HubSpot dropped (usually: the portal's tier lacks the feature).
 */
optional_dropped: Array<string>, 
/**
 * Granted scopes the app did not ask for (e.g. ones added on HubSpot's side).
 */
extra_granted: Array<string>, 
/**
 * Why each of `optional_dropped` was probably dropped (from the scope catalog's tiers and the token's
 * level), in the same order. Empty when the app is no longer registered.
 */
dropped_reasons: Array<DroppedScope>, expires_at: string, 
/**
 * When the background refresher will refresh this token.
 */
next_refresh_at: string, state: ConnectionState, state_reason: string | null, connected_at: string, last_refreshed_at: string | null, masked_token: string | null, };
