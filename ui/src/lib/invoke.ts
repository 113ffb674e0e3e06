/**
 * How the window reaches Rust: one `invoke` wrapper the generated `api.ts` calls. Outside Hubkey (a plain
 * browser, `npm run dev` opened directly) every call rejects with {@link NotInHubkeyError}.
 */
import { invoke, isTauri } from "@tauri-apps/api/core";

/** Thrown when the page runs in a plain browser (e.g. `npm run dev` opened directly) instead of Hubkey. */
export class NotInHubkeyError extends Error {
  constructor() {
    super("This page runs outside the Hubkey app, so it cannot talk to the Rust side.");
    this.name = "NotInHubkeyError";
  }
}

export function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  if (!isTauri()) {
    return Promise.reject(new NotInHubkeyError());
  }
  return invoke<T>(cmd, args);
}
