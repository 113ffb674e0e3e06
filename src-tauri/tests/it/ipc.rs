//! IPC through the mock runtime with the real tauri.conf.json and capabilities (design.md §7, IPC tier).
//! It sets process-wide environment variables: nextest (how the suite runs) gives every test a process of its
//! own, so no other test sees them.

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;
use support::{local_origin, window};

use serde_json::Value;
use tauri::test::{get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;

/// A command without arguments, as a page at `url` sends it.
fn request(cmd: &str, url: tauri::Url) -> InvokeRequest {
    support::request(cmd, Value::Null, url)
}

#[test]
fn app_info_returns_env_overrides_and_is_granted_only_to_main() {
    std::env::set_var("HUBKEY_APP_BASE_URL", "http://127.0.0.1:8099");
    std::env::set_var("HUBKEY_API_BASE_URL", "http://127.0.0.1:8099/api/");
    std::env::remove_var("HUBKEY_MCP_BASE_URL");
    std::env::set_var("HUBKEY_CLIPBOARD_CLEAR_SECS", "0");

    let app = hubkey_desktop_lib::configure(mock_builder())
        .unwrap()
        .build(hubkey_desktop_lib::context())
        .unwrap();
    let main = window(&app, "main");

    // S5.1: app_info is declared in build.rs and granted to `main` by capabilities/default.json.
    let body = get_ipc_response(&main, request("app_info", local_origin())).unwrap();
    let info: serde_json::Value = body.deserialize().unwrap();
    assert_eq!(
        info,
        serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "app_base_url": "http://127.0.0.1:8099/",
            "api_base_url": "http://127.0.0.1:8099/api/",
            "mcp_base_url": "https://mcp.hubspot.com/",
            "uses_sandbox": true,
            "clipboard_clear_secs": null,
        })
    );

    // S5.2: a window no capability names gets nothing, not even app_info.
    let intruder = window(&app, "intruder");
    let denied = get_ipc_response(&intruder, request("app_info", local_origin())).unwrap_err();
    assert!(denied.to_string().contains("not allowed"), "{denied}");

    // S5.2: remote content in the main window cannot call app commands either.
    let remote = "https://evil.example/".parse().unwrap();
    let denied = get_ipc_response(&main, request("app_info", remote)).unwrap_err();
    assert!(denied.to_string().contains("not allowed"), "{denied}");

    // S5.2: no clipboard read for the UI (copying happens in Rust), and no shell. No deep-link either: its
    // `get_current` handed the webview the launch URL, authorization code included (docs/SECURITY.md, 10).
    for cmd in [
        "plugin:clipboard-manager|read_text",
        "plugin:clipboard-manager|write_text",
        "plugin:shell|execute",
        "plugin:deep-link|get_current",
        "plugin:deep-link|is_registered",
        "plugin:opener|open_url",
    ] {
        let denied = get_ipc_response(&main, request(cmd, local_origin())).unwrap_err();
        assert!(denied.to_string().contains("not allowed"), "{cmd}: {denied}");
    }
}
