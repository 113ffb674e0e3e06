// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
import type { AppView } from "./AppView";
import type { Issue } from "./Issue";

/**
 * `register_app` result: the app as stored, and warnings that did not block saving.
 */
export type RegisterAppResult = { app: AppView, warnings: Array<Issue>, };
