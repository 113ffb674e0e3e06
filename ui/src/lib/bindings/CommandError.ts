// Generated from src-tauri/src (ts-rs) by `cargo test -p hubkey-desktop --test bindings export_bindings -- --ignored`. Do not edit.
import type { FindingView } from "./FindingView";

/**
 * The error a command returns to the UI: a stable machine-readable `code`, a sentence for people and, when
 * there is one, what to do next. Built from [`hubkey_core::Error`], whose messages never carry secrets.
 */
export type CommandError = { 
/**
 * A [`hubkey_core::ErrorCode`] string (`needs_reauth`, `port_in_use`…) or one of the host's own:
 * `invalid_input`, `io`, `internal`, `preflight`.
 */
code: string, message: string, hint: string | null, 
/**
 * `preflight` only: every finding (errors first), so the UI can show each with its fix.
 */
findings?: Array<FindingView>, };
