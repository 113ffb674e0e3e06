// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
import type { CommandError } from "./CommandError";

/**
 * `sign_out` result.
 */
export type SignOutView = { app: string, hub_id: number, 
/**
 * HubSpot confirmed the refresh token is revoked (or no longer accepted it: `already_invalid`).
 */
revoked: boolean, 
/**
 * HubSpot no longer accepted the refresh token (already revoked, uninstalled or unknown): as good as
 * revoked.
 */
already_invalid: boolean, 
/**
 * The revoke was skipped on purpose (`keep_remote`).
 */
kept_remote: boolean, 
/**
 * Why the revoke failed (the local deletion happened anyway).
 */
revoke_error: CommandError | null, 
/**
 * Revocation does not cut access tokens short: the last one works until then.
 */
access_token_valid_until: string | null, 
/**
 * One sentence for the UI: "Signed out. HubSpot revoked the refresh token; the access token stays valid
 * until 12:41."
 */
summary: string, };
