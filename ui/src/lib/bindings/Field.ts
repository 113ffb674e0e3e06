// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * A field of the registration form.
 */
export type Field = "name" | "client_id" | "client_secret" | "redirect_uri" | "scopes" | "optional_scopes";
