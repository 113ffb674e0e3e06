// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * One way an install can fail at HubSpot's authorize page.
 */
export type InstallFailure = { 
/**
 * Stable id (the same kind name the HubSpot sandbox uses for its page).
 */
id: string, 
/**
 * A short title.
 */
title: string, 
/**
 * HubSpot's wording; `{…}` marks a part HubSpot fills in (scopes, the redirect URL).
 */
hubspot_message: string, 
/**
 * Other wordings HubSpot has used for the same failure.
 */
also_seen: Array<string>, 
/**
 * Why it happens.
 */
cause: string, 
/**
 * What to do.
 */
fix: string, };
