// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
import type { ErrorCode } from "./ErrorCode";
import type { Finding } from "./Finding";

/**
 * The error a command returns to the window: a stable machine-readable `code` (the core's
 * [`ErrorCode`], a string union in TypeScript), a sentence for people and, when there is one, what to do
 * next. Built from [`Error`], whose messages never carry secrets.
 */
export type CommandError = { 
/**
 * `needs_reauth`, `port_in_use`, `invalid_input`, `preflight`…
 */
code: ErrorCode, message: string, hint: string | null, 
/**
 * `preflight` only: every finding (errors first), so the UI can show each with its fix.
 */
findings?: Array<Finding>, };
