// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
import type { LoginFinished } from "./LoginFinished";
import type { LoginStarted } from "./LoginStarted";

/**
 * `login_state` result: what the page needs when it loads while logins run in Rust (the window is destroyed on
 * close and built again, and a new page knows nothing of the old one's logins).
 */
export type LoginState = { 
/**
 * The logins still waiting for HubSpot's redirect, as `start_login` returned them.
 */
pending: Array<LoginStarted>, 
/**
 * The `login-finished` results no page has seen (at most one per app, the latest); handed over once.
 */
unseen: Array<LoginFinished>, };
