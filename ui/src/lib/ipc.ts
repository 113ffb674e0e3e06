/**
 * Everything the window calls in Rust: the generated wrappers and event names (`api.ts`, from the IPC table in
 * src-tauri/src/ipc/mod.rs), and what the window adds on top: reading a command's rejection, subscribing to
 * every event at once, and the install guide asked for once.
 */
import { isTauri } from "@tauri-apps/api/core";
import type { UnlistenFn } from "@tauri-apps/api/event";
import { loadInstallGuide, onConnectionChanged, onConnectionsReload, onLoginFinished } from "./api";
import type { CommandError, ConnectionView, InstallFailure, LoginFinished } from "./types";

export * from "./api";
export { NotInHubkeyError } from "./invoke";

/** True for the `{ code, message, hint }` shape every command rejects with. */
export function isCommandError(error: unknown): error is CommandError {
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as CommandError).code === "string" &&
    typeof (error as CommandError).message === "string"
  );
}

/** A command's rejection as text, whatever shape it came in. */
export function errorMessage(error: unknown): string {
  if (typeof error === "string") {
    return error;
  }
  if (error instanceof Error) {
    return error.message;
  }
  if (typeof error === "object" && error !== null && "message" in error) {
    const { message } = error as CommandError;
    if (typeof message === "string") {
      return message;
    }
  }
  return "Unknown error";
}

/** "Message. Hint." for a rejection, the hint only when there is one. */
export function errorWithHint(error: unknown): string {
  const message = errorMessage(error);
  if (isCommandError(error) && error.hint) {
    return `${message.replace(/[.\s]+$/, "")}. ${error.hint}`;
  }
  return message;
}

let guide: Promise<InstallFailure[]> | null = null;
/** HubSpot's install-error pages, explained (fixed data: asked for once, then remembered). */
export function installGuide(): Promise<InstallFailure[]> {
  guide ??= loadInstallGuide().catch((error: unknown) => {
    guide = null;
    throw error;
  });
  return guide;
}

/** Subscribes to the host's events; returns one function that unsubscribes from all of them. */
export async function subscribe(handlers: {
  loginFinished: (event: LoginFinished) => void;
  connectionChanged: (connection: ConnectionView) => void;
  reload: () => void;
}): Promise<UnlistenFn> {
  if (!isTauri()) {
    return () => {};
  }
  const stops = await Promise.all([
    onLoginFinished(handlers.loginFinished),
    onConnectionChanged(handlers.connectionChanged),
    onConnectionsReload(() => handlers.reload()),
  ]);
  return () => stops.forEach((stop) => stop());
}
