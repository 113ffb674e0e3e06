import { invoke, isTauri } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import {
  CONNECTION_CHANGED,
  CONNECTIONS_RELOAD,
  LOGIN_FINISHED,
  type AppArgs,
  type AppInfo,
  type AppView,
  type CommandError,
  type ConnectionArgs,
  type ConnectionView,
  type CopyAck,
  type CopyTokenArgs,
  type DoctorView,
  type InstallFailureView,
  type LoginFinished,
  type LoginStarted,
  type LoginState,
  type McpCheckView,
  type PageTimings,
  type PreflightView,
  type RegisterAppArgs,
  type RegisterAppResult,
  type ScopeInfoView,
  type SignOutArgs,
  type SignOutView,
  type StartLoginArgs,
} from "./types";

/** Thrown when the page runs in a plain browser (e.g. `npm run dev` opened directly) instead of Hubkey. */
export class NotInHubkeyError extends Error {
  constructor() {
    super("This page runs outside the Hubkey app, so it cannot talk to the Rust side.");
    this.name = "NotInHubkeyError";
  }
}

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

function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  if (!isTauri()) {
    return Promise.reject(new NotInHubkeyError());
  }
  return invoke<T>(cmd, args);
}

export const getAppInfo = (): Promise<AppInfo> => call("app_info");
export const registerApp = (args: RegisterAppArgs): Promise<RegisterAppResult> => call("register_app", { args });
export const listApps = (): Promise<AppView[]> => call("list_apps");
export const removeApp = (args: AppArgs): Promise<void> => call("remove_app", { args });
export const startLogin = (args: StartLoginArgs): Promise<LoginStarted> => call("start_login", { args });
export const cancelLogin = (args: AppArgs): Promise<boolean> => call("cancel_login", { args });
/** The sign-ins still pending, and the results no page has seen (handed over once): ask after subscribing. */
export const loginState = (): Promise<LoginState> => call("login_state");
export const listConnections = (): Promise<ConnectionView[]> => call("list_connections");
export const copyToken = (args: CopyTokenArgs): Promise<CopyAck> => call("copy_token", { args });
export const copyRedirectUrl = (url: string): Promise<void> => call("copy_redirect_url", { args: { url } });
export const refreshNow = (args: ConnectionArgs): Promise<ConnectionView> => call("refresh_now", { args });
export const signOut = (args: SignOutArgs): Promise<SignOutView> => call("sign_out", { args });
export const preflightApp = (args: AppArgs): Promise<PreflightView> => call("preflight_app", { args });
export const scopeSuggestions = (prefix: string): Promise<ScopeInfoView[]> =>
  call("scope_suggestions", { args: { prefix } });
export const checkMcp = (args: ConnectionArgs): Promise<McpCheckView> => call("check_mcp", { args });
export const runDoctor = (): Promise<DoctorView> => call("doctor");
/** Tells the host that the page has rendered: it shows the window, which it built hidden (src-tauri/src/window.rs). */
export const pageReady = (timings: PageTimings): Promise<void> => call("page_ready", { timings });

let guide: Promise<InstallFailureView[]> | null = null;
/** HubSpot's install-error pages, explained (fixed data: asked for once, then remembered). */
export function installGuide(): Promise<InstallFailureView[]> {
  guide ??= call<InstallFailureView[]>("install_guide").catch((error: unknown) => {
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
    listen<LoginFinished>(LOGIN_FINISHED, (e) => handlers.loginFinished(e.payload)),
    listen<ConnectionView>(CONNECTION_CHANGED, (e) => handlers.connectionChanged(e.payload)),
    listen<null>(CONNECTIONS_RELOAD, () => handlers.reload()),
  ]);
  return () => stops.forEach((stop) => stop());
}
