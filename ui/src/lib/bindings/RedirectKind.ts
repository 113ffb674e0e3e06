// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * How Hubkey receives HubSpot's redirect for an app.
 */
export type RedirectKind = "loopback" | "deep_link";
