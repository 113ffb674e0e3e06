// Generated from src-tauri/src (ts-rs) by `cargo test -p hubkey-desktop --test bindings export_bindings -- --ignored`. Do not edit.
import type { FindingView } from "./FindingView";

/**
 * `preflight_app` result: everything preflight found for one app, errors first.
 */
export type PreflightView = { app: string, 
/**
 * No error: the sign-in can start.
 */
ok: boolean, findings: Array<FindingView>, };
