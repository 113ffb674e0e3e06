// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
import type { CheckCategory } from "./CheckCategory";
import type { CheckStatus } from "./CheckStatus";

/**
 * One line of the doctor's report.
 */
export type Check = { 
/**
 * Stable id (`keychain`, `network.api_host`, a preflight finding id…).
 */
id: string, 
/**
 * What was checked, for people.
 */
title: string, 
/**
 * Configuration, keychain or network.
 */
category: CheckCategory, 
/**
 * The app or host concerned, when there is one.
 */
subject: string | null, 
/**
 * Ok, warn or fail.
 */
status: CheckStatus, 
/**
 * What was found.
 */
detail: string, 
/**
 * How to fix it (warn and fail).
 */
fix: string | null, };
