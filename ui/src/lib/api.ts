// Generated from the IPC table (src-tauri/src/ipc/mod.rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { call } from "./invoke";
import type { AiClientArgs, AiClientInstalled, AiClientsView, AppArgs, AppInfo, AppValidation, AppView, ConnectionArgs, ConnectionView, CopyAck, CopyRedirectArgs, CopyTokenArgs, DoctorView, InstallFailure, LoginFinished, LoginStarted, LoginState, McpCheckView, PageTimings, PreflightView, RegisterAppArgs, RegisterAppResult, ScopeInfoView, ScopeSuggestionsArgs, SignOutArgs, SignOutView, StartAtLoginArgs, StartAtLoginView, StartLoginArgs, UpdateView } from "./bindings";

export const getAppInfo = (): Promise<AppInfo> => call("app_info");
export const validateApp = (args: RegisterAppArgs): Promise<AppValidation> => call("validate_app", { args });
export const registerApp = (args: RegisterAppArgs): Promise<RegisterAppResult> => call("register_app", { args });
export const listApps = (): Promise<Array<AppView>> => call("list_apps");
export const removeApp = (args: AppArgs): Promise<void> => call("remove_app", { args });
export const copyRedirectUrl = (args: CopyRedirectArgs): Promise<void> => call("copy_redirect_url", { args });
export const pageReady = (timings: PageTimings): Promise<void> => call("page_ready", { timings });
export const startLogin = (args: StartLoginArgs): Promise<LoginStarted> => call("start_login", { args });
export const cancelLogin = (args: AppArgs): Promise<boolean> => call("cancel_login", { args });
export const loginState = (): Promise<LoginState> => call("login_state");
export const listConnections = (): Promise<Array<ConnectionView>> => call("list_connections");
export const copyToken = (args: CopyTokenArgs): Promise<CopyAck> => call("copy_token", { args });
export const refreshNow = (args: ConnectionArgs): Promise<ConnectionView> => call("refresh_now", { args });
export const signOut = (args: SignOutArgs): Promise<SignOutView> => call("sign_out", { args });
export const preflightApp = (args: AppArgs): Promise<PreflightView> => call("preflight_app", { args });
export const scopeSuggestions = (args: ScopeSuggestionsArgs): Promise<Array<ScopeInfoView>> => call("scope_suggestions", { args });
export const loadInstallGuide = (): Promise<Array<InstallFailure>> => call("install_guide");
export const checkMcp = (args: ConnectionArgs): Promise<McpCheckView> => call("check_mcp", { args });
export const runDoctor = (): Promise<DoctorView> => call("doctor");
export const aiClients = (args: ConnectionArgs): Promise<AiClientsView> => call("ai_clients", { args });
export const installAiClient = (args: AiClientArgs): Promise<AiClientInstalled> => call("install_ai_client", { args });
export const copyAiSnippet = (args: AiClientArgs): Promise<void> => call("copy_ai_snippet", { args });
export const updateAvailable = (): Promise<UpdateView | null> => call("update_available");
export const installUpdate = (): Promise<void> => call("install_update");
export const startAtLogin = (): Promise<StartAtLoginView> => call("start_at_login");
export const setStartAtLogin = (args: StartAtLoginArgs): Promise<StartAtLoginView> => call("set_start_at_login", { args });

/** Event `login-finished`. */
export const LOGIN_FINISHED = "login-finished";
/** Listens to `login-finished`. */
export const onLoginFinished = (handler: (payload: LoginFinished) => void): Promise<UnlistenFn> =>
  listen<LoginFinished>(LOGIN_FINISHED, (event) => handler(event.payload));
/** Event `connection-changed`. */
export const CONNECTION_CHANGED = "connection-changed";
/** Listens to `connection-changed`. */
export const onConnectionChanged = (handler: (payload: ConnectionView) => void): Promise<UnlistenFn> =>
  listen<ConnectionView>(CONNECTION_CHANGED, (event) => handler(event.payload));
/** Event `connections-reload`. */
export const CONNECTIONS_RELOAD = "connections-reload";
/** Listens to `connections-reload`. */
export const onConnectionsReload = (handler: (payload: null) => void): Promise<UnlistenFn> =>
  listen<null>(CONNECTIONS_RELOAD, (event) => handler(event.payload));
/** Event `update-available`. */
export const UPDATE_AVAILABLE = "update-available";
/** Listens to `update-available`. */
export const onUpdateAvailable = (handler: (payload: UpdateView) => void): Promise<UnlistenFn> =>
  listen<UpdateView>(UPDATE_AVAILABLE, (event) => handler(event.payload));
