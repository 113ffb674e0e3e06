// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
import type { Severity } from "./Severity";

/**
 * One thing preflight found.
 */
export type Finding = { 
/**
 * Stable id (see [`ids`]).
 */
id: string, 
/**
 * How bad it is.
 */
severity: Severity, 
/**
 * What it is about: the scope or the URL concerned, when there is one.
 */
subject: string | null, 
/**
 * What is wrong and what HubSpot would do, in plain words.
 */
message: string, 
/**
 * HubSpot's exact wording for this problem, where HubSpot has one (error page or docs).
 */
hubspot_says: string | null, 
/**
 * How to fix it.
 */
fix: string, };
