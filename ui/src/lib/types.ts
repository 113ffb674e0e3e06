/**
 * The IPC types, generated from the Rust types with ts-rs (ui/src/lib/bindings/, kept fresh by
 * src-tauri/tests/bindings.rs). Import them from here.
 */
export type * from "./bindings";

/** Event names (src-tauri/src/views.rs). */
export const LOGIN_FINISHED = "login-finished";
export const CONNECTION_CHANGED = "connection-changed";
export const CONNECTIONS_RELOAD = "connections-reload";
