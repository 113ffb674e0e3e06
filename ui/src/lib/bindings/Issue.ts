// Generated from src-tauri/src (ts-rs) by `cargo test -p hubkey-desktop --test bindings export_bindings -- --ignored`. Do not edit.
import type { Field } from "./Field";
import type { Level } from "./Level";

/**
 * One message about one field.
 */
export type Issue = { field: Field, level: Level, message: string, };
