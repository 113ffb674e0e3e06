import { invoke, isTauri } from "@tauri-apps/api/core";
import type { AppInfo, CommandError } from "./types";

/** Thrown when the page runs in a plain browser (e.g. `npm run dev` opened directly) instead of Hubkey. */
export class NotInHubkeyError extends Error {
  constructor() {
    super("This page runs outside the Hubkey app, so it cannot talk to the Rust side.");
    this.name = "NotInHubkeyError";
  }
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

export async function getAppInfo(): Promise<AppInfo> {
  if (!isTauri()) {
    throw new NotInHubkeyError();
  }
  return invoke<AppInfo>("app_info");
}
