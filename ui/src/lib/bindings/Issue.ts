// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
import type { Field } from "./Field";
import type { Level } from "./Level";

/**
 * One message about one field.
 */
export type Issue = { 
/**
 * Stable id (`name.invalid`, `scopes.in_both_lists`…; see [`ids`]).
 */
id: string, field: Field, level: Level, message: string, };
