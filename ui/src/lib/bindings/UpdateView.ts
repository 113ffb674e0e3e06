// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * A newer build of the desktop app whose signature was verified (`update_available`, the
 * `update-available` event): what the window's banner says. No URL and no signature.
 */
export type UpdateView = { version: string, current_version: string, notes: string | null, };
