/** What the `app_info` command returns. Keep in sync with `AppInfo` in src-tauri/src/commands.rs. */
export interface AppInfo {
  version: string;
  api_base_url: string;
  app_base_url: string;
  mcp_base_url: string;
  /** True when any endpoint is overridden away from HubSpot (usually: the local sandbox). */
  uses_sandbox: boolean;
}

/** The error shape every command rejects with (`CommandError` in src-tauri/src/error.rs). */
export interface CommandError {
  code: string;
  message: string;
}
