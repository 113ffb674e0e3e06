// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * What a page reports once it has rendered (`page_ready`): when its navigation started (ms since the Unix
 * epoch, `performance.timeOrigin`) and its own milestones, in ms after that.
 */
export type PageTimings = { time_origin_ms: number, dom_interactive_ms: number, mounted_ms: number, };
