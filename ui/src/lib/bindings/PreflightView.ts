// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
import type { Finding } from "./Finding";

/**
 * `preflight_app` result: everything preflight found for one app, errors first.
 */
export type PreflightView = { app: string, 
/**
 * No error: the sign-in can start.
 */
ok: boolean, findings: Array<Finding>, };
