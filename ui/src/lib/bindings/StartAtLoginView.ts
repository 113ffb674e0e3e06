// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * The "Start at login" switch as the window shows it: `available` is false when this install has no entry
 * to switch (no home folder, or no desktop program beside the tray), and the window then hides the switch.
 */
export type StartAtLoginView = { available: boolean, enabled: boolean, };
