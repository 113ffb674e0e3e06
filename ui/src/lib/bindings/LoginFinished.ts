// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
import type { CommandError } from "./CommandError";
import type { ConnectionView } from "./ConnectionView";

/**
 * Event `login-finished`.
 */
export type LoginFinished = { app: string, ok: boolean, connection: ConnectionView | null, error: CommandError | null, };
