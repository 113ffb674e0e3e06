// Generated from src-tauri/src (ts-rs) by `cargo test -p hubkey-desktop --test bindings export_bindings -- --ignored`. Do not edit.
import type { SeverityView } from "./SeverityView";

/**
 * One thing preflight found ([`hubkey_core::preflight::Finding`]).
 */
export type FindingView = { 
/**
 * Stable id (`redirect.port_busy`, `scopes.unknown`…; hubkey_core::preflight::ids).
 */
id: string, severity: SeverityView, 
/**
 * The scope or URL concerned, when there is one.
 */
subject: string | null, message: string, 
/**
 * HubSpot's exact wording for this problem, where it has one.
 */
hubspot_says: string | null, fix: string, };
