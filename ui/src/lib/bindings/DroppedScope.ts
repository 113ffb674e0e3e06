// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * An optional scope the account did not grant, and the likely reason.
 */
export type DroppedScope = { 
/**
 * The scope.
 */
scope: string, 
/**
 * Why HubSpot probably dropped it (from the catalog's tier), e.g. "needs Marketing Hub
 * Professional or Enterprise".
 */
likely_reason: string, };
