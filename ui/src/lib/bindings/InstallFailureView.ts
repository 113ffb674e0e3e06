// Generated from src-tauri/src (ts-rs) by `cargo test -p hubkey-desktop --test bindings export_bindings -- --ignored`. Do not edit.
/**
 * One way an install fails on HubSpot's authorize page ([`hubkey_core::install_guide::InstallFailure`]).
 */
export type InstallFailureView = { id: string, title: string, 
/**
 * HubSpot's wording; `{…}` marks a part HubSpot fills in.
 */
hubspot_message: string, 
/**
 * Other wordings HubSpot has used for the same failure.
 */
also_seen: Array<string>, cause: string, fix: string, };
