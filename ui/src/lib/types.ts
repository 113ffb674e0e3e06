/**
 * The IPC types, generated from hubkey-core's Rust types with ts-rs (ui/src/lib/bindings/, kept fresh by
 * src-tauri/tests/it/bindings.rs). Import them from here; the event names are in `api.ts` (generated too).
 */
export type * from "./bindings";
