// Generated from src-tauri/src (ts-rs) by `cargo test -p hubkey-desktop --test bindings export_bindings -- --ignored`. Do not edit.
/**
 * An optional scope HubSpot did not grant, and the likely reason ([`hubkey_core::scopes::DroppedScope`]).
 */
export type DroppedScopeView = { scope: string, 
/**
 * E.g. "needs Marketing Hub Professional or Enterprise".
 */
likely_reason: string, };
