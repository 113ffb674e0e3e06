// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
import type { AiClientEntry } from "./AiClientEntry";

/**
 * The dialog for one connection.
 */
export type AiClientsView = { 
/**
 * The `hubkey` CLI the entries run (absolute), or `None` when it was not found.
 */
cli: string | null, 
/**
 * When the CLI was not found: what to do (the entries cannot be made without it).
 */
cli_missing: string | null, 
/**
 * When the connection is known to be account-level: why HubSpot's MCP server will refuse it, and the fix.
 */
not_user_level: string | null, 
/**
 * One per supported AI client, in the CLI's order (empty when the CLI was not found).
 */
clients: Array<AiClientEntry>, };
