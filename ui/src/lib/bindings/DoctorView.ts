// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
import type { Check } from "./Check";

/**
 * `doctor` result.
 */
export type DoctorView = { 
/**
 * No check failed.
 */
ok: boolean, 
/**
 * What `hubkey doctor` would exit with: 0, 2 (configuration), 4 (keychain) or 5 (network).
 */
exit_code: number, checks: Array<Check>, };
