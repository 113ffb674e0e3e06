// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
import type { Issue } from "./Issue";
import type { RedirectKind } from "./RedirectKind";

/**
 * Everything the rules found in a draft, errors and warnings, in field order.
 */
export type AppValidation = { 
/**
 * No error: the app can be saved.
 */
ok: boolean, issues: Array<Issue>, 
/**
 * How Hubkey will receive the redirect (for the hint under the field); `None` when it cannot.
 */
redirect_kind: RedirectKind | null, 
/**
 * How many scopes the two lists hold, as split ([`parse_scope_list`]).
 */
scope_count: number, };
