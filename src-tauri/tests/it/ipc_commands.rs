//! Every command through the mock runtime's IPC, with the real capabilities, against the HubSpot sandbox and an
//! in-memory keychain (design.md §7 IPC tier). Covers threat-model.md S3 (no secret in any response or event; the
//! copy command returns no token), S4 (commands refused for a window without the capability, body not run)
//! and C5 (an unsolicited hubkey:// URL is ignored without a network call). Also the explaining commands:
//! preflight before the browser opens (`start_login` refused with code `preflight`, no request to HubSpot),
//! `preflight_app`, `scope_suggestions`, `install_guide`, `check_mcp` (a standard app's token is "not
//! user-level", an MCP auth app's is accepted) and `doctor`.

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;
use support::{free_port, local_origin, request, wait_for, window};

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use hubkey_core::client::HubSpotClient;
use hubkey_core::config::Endpoints;
use hubkey_core::store::{MemoryStore, TokenStore};
use hubkey_core::ConnectionKey;
use hubkey_desktop_lib::clipboard::Clipboard;
use hubkey_desktop_lib::{Browser, Host};
use hubspot_sandbox::{Fixture, Sandbox, SandboxHandle, DEMO_MCP_CLIENT_ID, DEMO_STANDARD_CLIENT_ID};
use serde_json::{json, Value};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime};
use tauri::{AppHandle, Listener, WebviewWindow};
use url::Url;

const RELAY: &str = "https://relay.example.com/hubkey-relay.html";

/// A clipboard in memory.
#[derive(Debug, Default)]
struct FakeClipboard(Mutex<Option<String>>);

impl Clipboard for FakeClipboard {
    fn write_text(&self, text: &str) -> Result<(), String> {
        *self.0.lock().unwrap() = Some(text.to_string());
        Ok(())
    }
    fn read_text(&self) -> Result<Option<String>, String> {
        Ok(self.0.lock().unwrap().clone())
    }
    fn clear(&self) -> Result<(), String> {
        *self.0.lock().unwrap() = None;
        Ok(())
    }
}

/// Records every response and event so they can be scanned for secrets at the end.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<(String, String)>>,
}

impl Recorder {
    fn push(&self, what: &str, json: String) {
        self.seen.lock().unwrap().push((what.to_string(), json));
    }
    fn events(&self, name: &str) -> Vec<Value> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(w, _)| w == &format!("event {name}"))
            .map(|(_, j)| serde_json::from_str(j).unwrap())
            .collect()
    }
}

struct Ipc<'a> {
    main: &'a WebviewWindow<MockRuntime>,
    recorder: &'a Recorder,
}

impl Ipc<'_> {
    fn call(&self, cmd: &str, body: Value) -> Result<Value, Value> {
        let response = get_ipc_response(self.main, request(cmd, body, local_origin()))
            .map(|b| b.deserialize::<Value>().unwrap());
        let json = match &response {
            Ok(v) | Err(v) => v.to_string(),
        };
        self.recorder.push(&format!("response {cmd}"), json);
        response
    }

    fn ok(&self, cmd: &str, body: Value) -> Value {
        self.call(cmd, body)
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }
}

/// The "system browser": fetches the authorize page (the sandbox grants at once with `auto_grant`) and follows
/// HubSpot's redirect: to the loopback listener, or — for the relay page — as the `hubkey://` deep link the
/// relay would forward to.
fn fake_browser(app_handle: Arc<OnceLock<AppHandle<MockRuntime>>>) -> Browser {
    Browser::Custom(Arc::new(move |url: &Url| {
        let url = url.clone();
        let app_handle = Arc::clone(&app_handle);
        tauri::async_runtime::spawn(async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let answer = client.get(url).send().await.unwrap();
            // HubSpot's install errors are pages that never redirect: then nothing comes back, as in a
            // real browser, and the login waits until it is cancelled or times out.
            let Some(location) = answer
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .map(str::to_string)
            else {
                return;
            };
            if let Some(query) = location.strip_prefix(&format!("{RELAY}?")) {
                let deep_link = format!("hubkey://oauth/callback?{query}");
                let app = app_handle.get().unwrap();
                assert!(hubkey_desktop_lib::deliver_deep_link(app, &deep_link));
            } else {
                client.get(&location).send().await.unwrap();
            }
        });
        Ok(())
    }))
}

struct Secrets(Vec<String>);

impl Secrets {
    fn assert_absent(&self, recorder: &Recorder) {
        let seen = recorder.seen.lock().unwrap();
        assert!(
            seen.len() > 20,
            "too few responses/events recorded: {}",
            seen.len()
        );
        for (what, json) in seen.iter() {
            for secret in &self.0 {
                assert!(secret.len() >= 16, "weak probe");
                assert!(
                    !json.contains(secret.as_str()),
                    "S3: {what} carries a secret: {json}"
                );
                // Not even a long piece of it.
                assert!(
                    !json.contains(&secret[..12]),
                    "S3: {what} carries part of a secret"
                );
            }
        }
    }
}

/// "Use in an AI client…" (issue 15, point 4): given a user-level connection (`mcp`) and an account-level one
/// (`demo`), the dialog lists every client's entry for the `hubkey` it found, says why the account-level one
/// will not work with HubSpot's MCP server, Install merges into an existing config file keeping its keys and
/// a backup, and Copy puts the entry on the clipboard from Rust. The caller scans every response for secrets.
fn ai_clients_dialog(ipc: &Ipc<'_>, clipboard: &FakeClipboard, mcp_hub: u64) {
    let clipboard_before = clipboard.read_text().unwrap();
    let home = tempfile::tempdir().unwrap();
    let cli = home.path().join("bin").join("hubkey");
    std::fs::create_dir_all(cli.parent().unwrap()).unwrap();
    std::fs::write(&cli, b"#!/bin/sh\n").unwrap();
    let cli = cli.canonicalize().unwrap();
    std::env::set_var("HUBKEY_CLI", &cli);
    std::env::set_var("HOME", home.path());
    for var in ["XDG_CONFIG_HOME", "CLAUDE_CONFIG_DIR", "CODEX_HOME"] {
        std::env::remove_var(var);
    }

    let view = ipc.ok("ai_clients", json!({"args": {"app": "mcp", "hub_id": mcp_hub}}));
    assert_eq!(view["cli"], cli.display().to_string(), "{view}");
    assert!(
        view["cli_missing"].is_null() && view["not_user_level"].is_null(),
        "{view}"
    );
    let entries = view["clients"].as_array().unwrap();
    let ids: Vec<&str> = entries.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["claude-code", "claude-desktop", "cursor", "vscode", "codex"]
    );
    let portal = mcp_hub.to_string();
    for e in entries {
        let snippet = e["snippet"].as_str().unwrap();
        for word in [cli.to_str().unwrap(), "--app", "mcp", "--portal", portal.as_str()] {
            assert!(
                snippet.contains(word),
                "{} entry lacks {word}: {snippet}",
                e["id"]
            );
        }
        let helper = e["method"] == "headers helper";
        assert_eq!(helper, snippet.contains("headers"), "{e}");
        assert!(
            e["config_path"]
                .as_str()
                .unwrap()
                .starts_with(home.path().to_str().unwrap()),
            "{e}"
        );
    }

    let account_level = ipc.ok(
        "ai_clients",
        json!({"args": {"app": "demo", "hub_id": hubspot_sandbox::DEMO_PRO_HUB_ID}}),
    );
    let why = account_level["not_user_level"].as_str().unwrap_or_default();
    assert!(
        why.contains("account-level") && why.contains("MCP auth app"),
        "{account_level}"
    );

    // Install into Cursor's existing file: its keys stay, the old file is kept beside it.
    let cursor = home.path().join(".cursor").join("mcp.json");
    std::fs::create_dir_all(cursor.parent().unwrap()).unwrap();
    let before = r#"{"mcpServers": {"other": {"command": "other-server"}}, "keep": 1}"#;
    std::fs::write(&cursor, before).unwrap();
    let args = json!({"args": {"app": "mcp", "hub_id": mcp_hub, "client": "cursor"}});
    let done = ipc.ok("install_ai_client", args.clone());
    assert_eq!(done["changed"], true, "{done}");
    assert_eq!(done["path"], cursor.display().to_string());
    assert!(
        done["message"]
            .as_str()
            .unwrap()
            .starts_with("Added \"hubspot\" to Cursor"),
        "{done}"
    );
    let backup = done["backup"].as_str().unwrap();
    assert_eq!(std::fs::read_to_string(backup).unwrap(), before);
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&cursor).unwrap()).unwrap();
    assert_eq!(after["keep"], 1);
    assert_eq!(after["mcpServers"]["other"]["command"], "other-server");
    assert_eq!(
        after["mcpServers"]["hubspot"]["command"],
        cli.display().to_string()
    );
    let again = ipc.ok("install_ai_client", args);
    assert_eq!(again["changed"], false, "{again}");
    assert!(
        again["message"].as_str().unwrap().contains("already has"),
        "{again}"
    );

    // Copy: the codex entry, exactly as shown, on the clipboard.
    ipc.ok(
        "copy_ai_snippet",
        json!({"args": {"app": "mcp", "hub_id": mcp_hub, "client": "codex"}}),
    );
    let codex = entries.iter().find(|e| e["id"] == "codex").unwrap();
    assert_eq!(
        clipboard.read_text().unwrap().as_deref(),
        codex["snippet"].as_str()
    );

    let unknown = ipc
        .call(
            "install_ai_client",
            json!({"args": {"app": "mcp", "hub_id": mcp_hub, "client": "emacs"}}),
        )
        .unwrap_err();
    assert_eq!(unknown["code"], "invalid_input", "{unknown}");
    std::env::remove_var("HUBKEY_CLI");
    // The checks after this one expect the clipboard as it was.
    clipboard
        .write_text(clipboard_before.as_deref().unwrap_or_default())
        .unwrap();
}

#[test]
fn attack_s3_s4_c5_every_command_over_ipc_without_leaking_secrets() {
    // Deterministic clipboard delay; no endpoint overrides from the caller.
    std::env::set_var("HUBKEY_CLIPBOARD_CLEAR_SECS", "45");

    let loopback_port = free_port();
    let loopback = format!("http://localhost:{loopback_port}/callback");
    let mut fixture = Fixture::demo();
    hubkey_testkit::accept_redirect(&mut fixture, DEMO_STANDARD_CLIENT_ID, &loopback);
    let mcp_loopback = format!("http://localhost:{}/callback", free_port());
    hubkey_testkit::accept_redirect(&mut fixture, DEMO_MCP_CLIENT_ID, &mcp_loopback);
    let sandbox: SandboxHandle = tauri::async_runtime::block_on(Sandbox::start(fixture)).unwrap();
    sandbox.update_switches(|s| s.auto_grant = true);
    let client_secret = sandbox
        .fixture()
        .app(DEMO_STANDARD_CLIENT_ID)
        .unwrap()
        .client_secret
        .clone();
    let mcp_client_secret = sandbox
        .fixture()
        .app(DEMO_MCP_CLIENT_ID)
        .unwrap()
        .client_secret
        .clone();

    let home = std::env::temp_dir().join(support::unique("hubkey-ipc"));
    let mem = Arc::new(MemoryStore::new());
    let store = TokenStore::new(mem.clone(), &home);
    let endpoints = Endpoints {
        app_base: Url::parse(&sandbox.base_url()).unwrap(),
        api_base: Url::parse(&sandbox.base_url()).unwrap(),
        mcp_base: Url::parse(&sandbox.mcp_base_url()).unwrap(),
    };
    let clipboard = Arc::new(FakeClipboard::default());
    let app_handle = Arc::new(OnceLock::new());
    let host = Host::new(
        hubkey_core::Hubkey::builder(HubSpotClient::new(endpoints).unwrap(), store.clone()).build(),
    )
    .with_browser(fake_browser(Arc::clone(&app_handle)))
    .with_clipboard(clipboard.clone())
    .with_clipboard_clear(Some(Duration::from_secs(45)))
    .with_autostart(Some(hubkey_shell::autostart::Autostart::new(
        "/opt/hubkey/hubkey-desktop".into(),
        &home.join("config"),
    )));

    let app = hubkey_desktop_lib::configure_with(mock_builder(), host)
        .build(hubkey_desktop_lib::context())
        .unwrap();
    app_handle.set(app.handle().clone()).unwrap();
    let recorder = Arc::new(Recorder::default());
    for name in [
        "login-finished",
        "connection-changed",
        "connections-reload",
        "deep-link://new-url",
    ] {
        let r = Arc::clone(&recorder);
        app.listen_any(name, move |event| {
            r.push(&format!("event {name}"), event.payload().to_string())
        });
    }
    hubkey_desktop_lib::background::start(app.handle());
    let main = window(&app, "main");
    let ipc = Ipc {
        main: &main,
        recorder: &recorder,
    };

    // --- app_info ------------------------------------------------------------------------------------
    let info = ipc.ok("app_info", json!({}));
    assert_eq!(info["uses_sandbox"], true);
    assert_eq!(info["clipboard_clear_secs"], 45);

    // --- register_app: validation first, nothing saved on error ---------------------------------------
    let form = |name: &str, redirect: &str, optional: &str| {
        json!({"args": {
            "name": name,
            "client_id": DEMO_STANDARD_CLIENT_ID,
            "client_secret": client_secret,
            "redirect_uri": redirect,
            "scopes": "oauth crm.objects.contacts.read",
            "optional_scopes": optional,
            "kind": "standard",
        }})
    };
    let refused = ipc
        .call(
            "register_app",
            form("demo", &loopback, "crm.objects.contacts.read"),
        )
        .unwrap_err();
    assert_eq!(refused["code"], "invalid_input");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("mismatch between the scopes"),
        "{refused}"
    );
    let refused = ipc
        .call("register_app", form("demo", "http://127.0.0.1:1/cb", ""))
        .unwrap_err();
    assert!(
        refused["message"].as_str().unwrap().contains("IP addresses"),
        "{refused}"
    );
    assert_eq!(
        ipc.ok("list_apps", json!({})),
        json!([]),
        "nothing saved after refusals"
    );

    let registered = ipc.ok(
        "register_app",
        form("demo", &loopback, "crm.objects.deals.read automation"),
    );
    assert_eq!(registered["app"]["name"], "demo");
    assert_eq!(registered["app"]["redirect_kind"], "loopback");
    assert_eq!(registered["warnings"], json!([]));
    let relay = ipc.ok("register_app", form("relay", RELAY, "crm.objects.deals.read"));
    assert_eq!(relay["app"]["redirect_kind"], "deep_link");
    let duplicate = ipc.call("register_app", form("demo", &loopback, "")).unwrap_err();
    assert!(duplicate["message"].as_str().unwrap().contains("already exists"));
    let apps = ipc.ok("list_apps", json!({}));
    assert_eq!(apps.as_array().unwrap().len(), 2);

    // --- C5: an unsolicited deep link is ignored, no HubSpot call ------------------------------------
    let token_calls = sandbox.count("/token", None);
    assert!(!hubkey_desktop_lib::deliver_deep_link(
        app.handle(),
        "hubkey://oauth/callback?code=forged-code&state=forged-state"
    ));
    assert_eq!(sandbox.count("/token", None), token_calls);
    assert!(!ipc
        .ok("cancel_login", json!({"args": {"app": "demo"}}))
        .as_bool()
        .unwrap());

    // --- start_login over the loopback, then over the relay + deep link ------------------------------
    for (name, hub_id, kind) in [
        ("demo", hubspot_sandbox::DEMO_PRO_HUB_ID, "loopback"),
        ("relay", hubspot_sandbox::DEMO_STARTER_HUB_ID, "deep_link"),
    ] {
        let started = ipc.ok("start_login", json!({"args": {"app": name, "portal_id": hub_id}}));
        assert_eq!(started["redirect_kind"], kind);
        assert_eq!(started["authorize_host"], "127.0.0.1");
        wait_for(
            &format!("login-finished for {name}"),
            Duration::from_secs(20),
            || recorder.events("login-finished").iter().any(|e| e["app"] == name),
        );
        let finished = recorder
            .events("login-finished")
            .into_iter()
            .find(|e| e["app"] == name)
            .unwrap();
        assert_eq!(finished["ok"], true, "{finished}");
        assert_eq!(finished["connection"]["hub_id"], hub_id);
    }

    // --- list_connections: everything but the token, and without the keychain ------------------------
    let keychain_calls = mem.journal().len();
    let connections = ipc.ok("list_connections", json!({}));
    assert_eq!(
        mem.journal().len(),
        keychain_calls,
        "listing reads the masked token from the index, not the keychain"
    );
    let demo = connections
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["app"] == "demo")
        .unwrap()
        .clone();
    assert_eq!(demo["hub_domain"], "acme.example");
    assert_eq!(demo["user"], "alex@acme.example");
    assert_eq!(demo["state"], "fresh");
    assert_eq!(
        demo["required_scopes"],
        json!(["oauth", "crm.objects.contacts.read"])
    );
    let tokens = tauri::async_runtime::block_on(
        store.load_tokens(&ConnectionKey::new("demo", hubspot_sandbox::DEMO_PRO_HUB_ID)),
    )
    .unwrap();
    let access = tokens.access_token.expose().to_string();
    let masked = demo["masked_token"].as_str().unwrap();
    assert!(masked.starts_with("••••••••"), "{masked}");
    assert!(access.ends_with(masked.trim_start_matches('•')), "{masked}");
    let starter = connections
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["app"] == "relay")
        .unwrap();
    assert_eq!(starter["optional_dropped"], json!([]), "{starter}");
    // A connection saved by an older build has no hint in the index: no suffix, and still no keychain call.
    tauri::async_runtime::block_on(store.modify_index(|ix| {
        for c in ix.connections.iter_mut().filter(|c| c.app == "relay") {
            c.access_token_hint = None;
        }
        Ok(())
    }))
    .unwrap();
    let keychain_calls = mem.journal().len();
    let listed = ipc.ok("list_connections", json!({}));
    assert_eq!(mem.journal().len(), keychain_calls);
    let old_relay = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["app"] == "relay")
        .unwrap();
    assert_eq!(old_relay["masked_token"], Value::Null, "{old_relay}");

    let mut secrets = vec![
        client_secret.clone(),
        access.clone(),
        tokens.refresh_token.expose().to_string(),
    ];
    let relay_tokens = tauri::async_runtime::block_on(
        store.load_tokens(&ConnectionKey::new("relay", hubspot_sandbox::DEMO_STARTER_HUB_ID)),
    )
    .unwrap();
    secrets.push(relay_tokens.access_token.expose().to_string());
    secrets.push(relay_tokens.refresh_token.expose().to_string());

    // --- copy_token: the token reaches the clipboard from Rust, never the response -------------------
    let ack = ipc.ok(
        "copy_token",
        json!({"args": {"app": "demo", "hub_id": hubspot_sandbox::DEMO_PRO_HUB_ID, "as_header": false}}),
    );
    assert_eq!(
        ack,
        json!({"app": "demo", "hub_id": hubspot_sandbox::DEMO_PRO_HUB_ID, "as_header": false, "clear_after_secs": 45})
    );
    assert_eq!(clipboard.read_text().unwrap().as_deref(), Some(access.as_str()));
    ipc.ok(
        "copy_token",
        json!({"args": {"app": "demo", "hub_id": hubspot_sandbox::DEMO_PRO_HUB_ID, "as_header": true}}),
    );
    assert_eq!(
        clipboard.read_text().unwrap(),
        Some(format!("Authorization: Bearer {access}"))
    );
    ipc.ok("copy_redirect_url", json!({"args": {"url": loopback}}));
    assert_eq!(clipboard.read_text().unwrap().as_deref(), Some(loopback.as_str()));
    let refused = ipc
        .call(
            "copy_redirect_url",
            json!({"args": {"url": "not a url, just text"}}),
        )
        .unwrap_err();
    assert_eq!(refused["code"], "invalid_input");

    // --- preflight before the browser opens -----------------------------------------------------------
    // Issue 13: a near-miss scope name is a warning (at registration and in preflight), never a refusal:
    // the login starts and HubSpot has the last word (the sandbox shows its invalid-scope page, which
    // never redirects back, so the login waits until it is cancelled).
    let typo = ipc.ok(
        "register_app",
        json!({"args": {
            "name": "typo",
            "client_id": DEMO_STANDARD_CLIENT_ID,
            "client_secret": client_secret,
            "redirect_uri": loopback,
            "scopes": "oauth crm.objects.contacts.reed",
            "optional_scopes": "",
            "kind": "standard",
        }}),
    );
    assert_eq!(typo["warnings"][0]["level"], "warning", "{typo}");
    assert!(
        typo["warnings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("did you mean crm.objects.contacts.read?"),
        "{typo}"
    );
    let checked = ipc.ok("preflight_app", json!({"args": {"app": "typo"}}));
    assert_eq!(checked["ok"], true, "{checked}");
    let unknown = checked["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "scopes.unknown")
        .unwrap_or_else(|| panic!("{checked}"))
        .clone();
    assert_eq!(unknown["severity"], "warning");
    assert_eq!(
        unknown["hubspot_says"],
        "An invalid scope name was provided. Please contact the app developer."
    );
    let authorizes = || {
        sandbox
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/authorize") && r.query_fields.iter().any(|q| q == "scope"))
            .count()
    };
    let before = authorizes();
    ipc.ok("start_login", json!({"args": {"app": "typo"}}));
    wait_for(
        "the browser at HubSpot's authorize page",
        Duration::from_secs(10),
        || authorizes() > before,
    );
    assert!(ipc
        .ok("cancel_login", json!({"args": {"app": "typo"}}))
        .as_bool()
        .unwrap());
    wait_for("login-finished for typo", Duration::from_secs(10), || {
        recorder
            .events("login-finished")
            .iter()
            .any(|e| e["app"] == "typo")
    });
    ipc.ok("remove_app", json!({"args": {"app": "typo"}}));
    // The register form's PKCE switch (issue 13): stored per app, on unless turned off; an MCP app keeps it.
    for (kind, asked, stored) in [
        ("standard", json!(false), false),
        ("standard", Value::Null, true),
        ("mcp", json!(false), true),
    ] {
        let mut args = json!({
            "name": "pkce-switch",
            "client_id": DEMO_STANDARD_CLIENT_ID,
            "client_secret": client_secret,
            "redirect_uri": loopback,
            "scopes": "oauth crm.objects.contacts.read",
            "optional_scopes": "",
            "kind": kind,
        });
        if !asked.is_null() {
            args["pkce"] = asked.clone();
        }
        let registered = ipc.ok("register_app", json!({ "args": args }));
        assert_eq!(registered["app"]["pkce"], stored, "{kind} {asked}: {registered}");
        ipc.ok("remove_app", json!({"args": {"app": "pkce-switch"}}));
    }
    let requests = sandbox.requests().len();
    let demo_finished = || {
        recorder
            .events("login-finished")
            .iter()
            .filter(|e| e["app"] == "demo")
            .count()
    };
    let demo_finished_before = demo_finished();
    // The redirect's port taken by another program.
    let squatter = std::net::TcpListener::bind(("127.0.0.1", loopback_port)).unwrap();
    let busy = ipc
        .call("start_login", json!({"args": {"app": "demo"}}))
        .unwrap_err();
    assert_eq!(busy["code"], "preflight", "{busy}");
    assert_eq!(busy["findings"][0]["id"], "redirect.port_busy", "{busy}");
    drop(squatter);
    assert_eq!(
        sandbox.requests().len(),
        requests,
        "preflight refusals reach no HubSpot endpoint"
    );
    assert_eq!(
        demo_finished(),
        demo_finished_before,
        "a preflight refusal starts no login"
    );

    // --- preflight_app, scope_suggestions, install_guide ---------------------------------------------
    let demo_preflight = ipc.ok("preflight_app", json!({"args": {"app": "demo"}}));
    assert_eq!(demo_preflight["ok"], true, "{demo_preflight}");
    assert!(
        demo_preflight["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "scopes.legacy" && f["subject"] == "automation" && f["severity"] == "info"),
        "{demo_preflight}"
    );
    let missing = ipc
        .call("preflight_app", json!({"args": {"app": "nope"}}))
        .unwrap_err();
    assert_eq!(missing["code"], "not_found");
    let suggested = ipc.ok(
        "scope_suggestions",
        json!({"args": {"prefix": "crm.objects.con"}}),
    );
    let suggested = suggested.as_array().unwrap();
    let contacts = suggested
        .iter()
        .find(|s| s["name"] == "crm.objects.contacts.read")
        .unwrap_or_else(|| panic!("{suggested:?}"));
    assert_eq!(contacts["grants"], "View contacts and their properties.");
    assert_eq!(contacts["tier"], "Any account");
    assert!(suggested
        .iter()
        .all(|s| s["name"].as_str().unwrap().starts_with("crm.objects.con")));
    let automation = ipc.ok("scope_suggestions", json!({"args": {"prefix": "automation"}}));
    assert_eq!(automation[0]["legacy"], true, "{automation}");
    assert_eq!(
        ipc.call("scope_suggestions", json!({"args": {"prefix": "x".repeat(500)}}))
            .unwrap_err()["code"],
        "invalid_input"
    );
    let guide = ipc.ok("install_guide", json!({}));
    let guide = guide.as_array().unwrap();
    assert!(guide.len() >= 7, "{guide:?}");
    let mismatch = guide.iter().find(|g| g["id"] == "redirect_uri_mismatch").unwrap();
    assert!(mismatch["hubspot_message"]
        .as_str()
        .unwrap()
        .contains("doesn't match the app's registered redirect URL"));
    assert!(mismatch["fix"].is_string() && mismatch["cause"].is_string());

    // --- check_mcp: a standard (account-level) app's token is not user-level, known without asking ----
    // (issue 13: the connection's is_user_level is false, so nothing is sent to the MCP server)
    let mcp_before = sandbox
        .requests()
        .iter()
        .filter(|r| r.listener == hubspot_sandbox::Listener::Mcp)
        .count();
    let not_user_level = ipc.ok(
        "check_mcp",
        json!({"args": {"app": "demo", "hub_id": hubspot_sandbox::DEMO_PRO_HUB_ID}}),
    );
    assert_eq!(not_user_level["outcome"], "not_user_level", "{not_user_level}");
    assert_eq!(not_user_level["asked_server"], false, "{not_user_level}");
    assert!(not_user_level["hubspot_message"].is_null(), "{not_user_level}");
    assert!(
        not_user_level["summary"]
            .as_str()
            .unwrap()
            .contains("not a user-level token"),
        "{not_user_level}"
    );
    let fix = not_user_level["fix"].as_str().unwrap();
    assert!(
        fix.contains("MCP auth app") && !fix.contains("sign in again"),
        "{not_user_level}"
    );
    assert_eq!(
        sandbox
            .requests()
            .iter()
            .filter(|r| r.listener == hubspot_sandbox::Listener::Mcp)
            .count(),
        mcp_before,
        "no request reached the MCP server"
    );

    // --- check_mcp: an MCP auth app's (user-level) token is accepted ----------------------------------
    ipc.ok(
        "register_app",
        json!({"args": {
            "name": "mcp",
            "client_id": DEMO_MCP_CLIENT_ID,
            "client_secret": mcp_client_secret,
            "redirect_uri": mcp_loopback,
            "scopes": "oauth",
            "optional_scopes": "",
            "kind": "mcp",
        }}),
    );
    ipc.ok("start_login", json!({"args": {"app": "mcp"}}));
    wait_for("login-finished for mcp", Duration::from_secs(20), || {
        recorder
            .events("login-finished")
            .iter()
            .any(|e| e["app"] == "mcp")
    });
    let finished = recorder
        .events("login-finished")
        .into_iter()
        .find(|e| e["app"] == "mcp")
        .unwrap();
    assert_eq!(finished["ok"], true, "{finished}");
    let mcp_hub = finished["connection"]["hub_id"].as_u64().unwrap();
    let accepted = ipc.ok("check_mcp", json!({"args": {"app": "mcp", "hub_id": mcp_hub}}));
    assert_eq!(accepted["outcome"], "accepted", "{accepted}");
    assert_eq!(accepted["asked_server"], true, "{accepted}");
    assert_eq!(accepted["protocol_version"], "2025-06-18");
    assert!(accepted["fix"].is_null());
    let mcp_tokens =
        tauri::async_runtime::block_on(store.load_tokens(&ConnectionKey::new("mcp", mcp_hub))).unwrap();
    secrets.push(mcp_tokens.access_token.expose().to_string());
    secrets.push(mcp_tokens.refresh_token.expose().to_string());
    secrets.push(mcp_client_secret.clone());
    ai_clients_dialog(&ipc, &clipboard, mcp_hub);
    ipc.ok(
        "sign_out",
        json!({"args": {"app": "mcp", "hub_id": mcp_hub, "keep_remote": false}}),
    );
    ipc.ok("remove_app", json!({"args": {"app": "mcp"}}));
    let unknown = ipc
        .call("check_mcp", json!({"args": {"app": "mcp", "hub_id": mcp_hub}}))
        .unwrap_err();
    assert!(unknown["code"].is_string(), "{unknown}");

    // --- doctor --------------------------------------------------------------------------------------
    let report = ipc.ok("doctor", json!({}));
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["exit_code"], 0);
    let checks = report["checks"].as_array().unwrap();
    let status = |id: &str| -> Vec<Value> {
        checks
            .iter()
            .filter(|c| c["id"] == id)
            .map(|c| c["status"].clone())
            .collect()
    };
    assert_eq!(status("config.endpoints"), vec![json!("warn")], "{report}");
    assert_eq!(status("keychain"), vec![json!("ok")], "{report}");
    assert_eq!(status("network.api_host"), vec![json!("ok")], "{report}");
    assert_eq!(status("network.mcp_host"), vec![json!("ok")], "{report}");
    assert_eq!(status("preflight.ok").len(), 2, "both apps checked: {report}");

    // --- page_ready: the page's start-up report (it shows the hidden window), answered with nothing ----
    let ready =
        json!({"timings": {"time_origin_ms": 1.7e12, "dom_interactive_ms": 18.0, "mounted_ms": 35.0}});
    assert_eq!(ipc.ok("page_ready", ready.clone()), Value::Null);
    let bad = ipc.call("page_ready", json!({"timings": {"mounted_ms": "soon"}}));
    assert!(bad.is_err(), "a malformed report is refused: {bad:?}");

    // --- start_at_login / set_start_at_login: the autostart entry the tray's switch writes too ----------
    let entry = home.join("config/autostart/Hubkey.desktop");
    assert_eq!(
        ipc.ok("start_at_login", json!({})),
        json!({"available": true, "enabled": false})
    );
    assert_eq!(
        ipc.ok("set_start_at_login", json!({"args": {"enabled": true}})),
        json!({"available": true, "enabled": true})
    );
    let text = std::fs::read_to_string(&entry).unwrap();
    assert!(
        text.lines()
            .any(|l| l == "Exec=/opt/hubkey/hubkey-desktop --background"),
        "{text}"
    );
    assert_eq!(
        ipc.ok("start_at_login", json!({})),
        json!({"available": true, "enabled": true})
    );
    assert_eq!(
        ipc.ok("set_start_at_login", json!({"args": {"enabled": false}})),
        json!({"available": true, "enabled": false})
    );
    assert!(!entry.exists(), "switching off removes the entry");
    let bad = ipc.call("set_start_at_login", json!({"args": {"enabled": "yes"}}));
    assert!(bad.is_err(), "a malformed switch is refused: {bad:?}");
    assert!(!entry.exists(), "and writes nothing");

    // --- refresh_now: new tokens, connection-changed events -----------------------------------------
    let refreshed = ipc.ok(
        "refresh_now",
        json!({"args": {"app": "demo", "hub_id": hubspot_sandbox::DEMO_PRO_HUB_ID}}),
    );
    assert_eq!(refreshed["state"], "fresh");
    wait_for("connection-changed", Duration::from_secs(10), || {
        recorder
            .events("connection-changed")
            .iter()
            .any(|e| e["app"] == "demo" && e["state"] == "fresh")
    });
    let after = tauri::async_runtime::block_on(
        store.load_tokens(&ConnectionKey::new("demo", hubspot_sandbox::DEMO_PRO_HUB_ID)),
    )
    .unwrap();
    secrets.push(after.access_token.expose().to_string());
    secrets.push(after.refresh_token.expose().to_string());
    let unknown = ipc
        .call("refresh_now", json!({"args": {"app": "demo", "hub_id": 1}}))
        .unwrap_err();
    assert!(
        unknown["code"].is_string() && unknown["hint"].is_string(),
        "{unknown}"
    );

    // --- S4: a window without the capability gets nothing, and the command body does not run ---------
    let intruder = window(&app, "intruder");
    let remote: Url = "https://evil.example/".parse().unwrap();
    let bodies = [
        ("app_info", json!({})),
        ("register_app", form("intruder-app", &loopback, "")),
        ("list_apps", json!({})),
        ("remove_app", json!({"args": {"app": "relay"}})),
        ("start_login", json!({"args": {"app": "demo"}})),
        ("cancel_login", json!({"args": {"app": "demo"}})),
        ("list_connections", json!({})),
        (
            "copy_token",
            json!({"args": {"app": "relay", "hub_id": hubspot_sandbox::DEMO_STARTER_HUB_ID, "as_header": false}}),
        ),
        ("copy_redirect_url", json!({"args": {"url": RELAY}})),
        (
            "refresh_now",
            json!({"args": {"app": "demo", "hub_id": hubspot_sandbox::DEMO_PRO_HUB_ID}}),
        ),
        (
            "sign_out",
            json!({"args": {"app": "relay", "hub_id": hubspot_sandbox::DEMO_STARTER_HUB_ID, "keep_remote": true}}),
        ),
        ("preflight_app", json!({"args": {"app": "demo"}})),
        ("scope_suggestions", json!({"args": {"prefix": "crm"}})),
        ("install_guide", json!({})),
        (
            "check_mcp",
            json!({"args": {"app": "demo", "hub_id": hubspot_sandbox::DEMO_PRO_HUB_ID}}),
        ),
        ("doctor", json!({})),
        ("page_ready", ready.clone()),
    ];
    let mcp_calls = sandbox
        .requests()
        .iter()
        .filter(|r| r.listener == hubspot_sandbox::Listener::Mcp)
        .count();
    let refreshes = sandbox.count("/token", Some("refresh_token"));
    for (cmd, body) in &bodies {
        for (who, url) in [(&intruder, local_origin()), (&main, remote.clone())] {
            let denied = get_ipc_response(who, request(cmd, body.clone(), url.clone())).unwrap_err();
            assert!(
                denied.to_string().contains("not allowed"),
                "S4 {cmd} from {}: {denied}",
                who.label()
            );
        }
    }
    assert_eq!(
        clipboard.read_text().unwrap().as_deref(),
        Some(loopback.as_str()),
        "S4: nothing copied"
    );
    assert_eq!(
        sandbox.count("/token", Some("refresh_token")),
        refreshes,
        "S4: no refresh ran"
    );
    assert_eq!(
        sandbox
            .requests()
            .iter()
            .filter(|r| r.listener == hubspot_sandbox::Listener::Mcp)
            .count(),
        mcp_calls,
        "S4: neither check_mcp nor doctor reached the MCP server"
    );
    let apps = ipc.ok("list_apps", json!({}));
    assert_eq!(
        apps.as_array().unwrap().len(),
        2,
        "S4: no app added or removed: {apps}"
    );
    assert_eq!(ipc.ok("list_connections", json!({})).as_array().unwrap().len(), 2);

    // --- sign_out: revoke reported, access token lifetime stated -------------------------------------
    let out = ipc.ok(
        "sign_out",
        json!({"args": {"app": "demo", "hub_id": hubspot_sandbox::DEMO_PRO_HUB_ID, "keep_remote": false}}),
    );
    assert_eq!(out["revoked"], true, "{out}");
    assert!(
        out["summary"].as_str().unwrap().contains("stays valid until"),
        "{out}"
    );
    let kept = ipc.ok(
        "sign_out",
        json!({"args": {"app": "relay", "hub_id": hubspot_sandbox::DEMO_STARTER_HUB_ID, "keep_remote": true}}),
    );
    assert_eq!(kept["kept_remote"], true);
    assert_eq!(ipc.ok("list_connections", json!({})), json!([]));

    // --- remove_app ----------------------------------------------------------------------------------
    ipc.ok("remove_app", json!({"args": {"app": "relay"}}));
    ipc.ok("remove_app", json!({"args": {"app": "demo"}}));
    assert_eq!(ipc.ok("list_apps", json!({})), json!([]));
    let missing = ipc
        .call("remove_app", json!({"args": {"app": "demo"}}))
        .unwrap_err();
    assert_eq!(missing["code"], "not_found");

    // --- S3: nothing recorded carries a secret -------------------------------------------------------
    assert!(!recorder.events("connections-reload").is_empty());
    Secrets(secrets).assert_absent(&recorder);

    let _ = std::fs::remove_dir_all(&home);
}
