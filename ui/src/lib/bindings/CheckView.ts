// Generated from src-tauri/src (ts-rs) by `cargo test -p hubkey-desktop --test bindings export_bindings -- --ignored`. Do not edit.
import type { CheckCategoryView } from "./CheckCategoryView";
import type { CheckStatusView } from "./CheckStatusView";

/**
 * One line of the diagnostics ([`hubkey_core::doctor::Check`]).
 */
export type CheckView = { 
/**
 * Stable id (`keychain`, `network.api_host`, a preflight finding id…).
 */
id: string, title: string, category: CheckCategoryView, 
/**
 * The app or host concerned.
 */
subject: string | null, status: CheckStatusView, detail: string, fix: string | null, };
