// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
import type { AppKind } from "./AppKind";
import type { RedirectKind } from "./RedirectKind";

/**
 * A registered app, without its client secret.
 */
export type AppView = { name: string, client_id: string, redirect_uri: string, 
/**
 * `None` when Hubkey cannot receive this redirect (then `redirect_problem` says why).
 */
redirect_kind: RedirectKind | null, redirect_problem: string | null, scopes: Array<string>, optional_scopes: Array<string>, kind: AppKind, pkce: boolean, 
/**
 * Portals connected with this app.
 */
connections: number, };
