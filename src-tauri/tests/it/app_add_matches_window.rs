//! `hubkey app add` refuses exactly what the window refuses, with the same message (issue 14): each draft below
//! goes through the window's `register_app` (IPC on the mock runtime, the real capabilities) and through the
//! `hubkey` binary, and both refuse it with hubkey-core's one message, storing nothing; a draft the window
//! accepts, the CLI accepts too.

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;
use support::{local_origin, window};

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use hubkey_core::client::HubSpotClient;
use hubkey_core::config::Endpoints;
use hubkey_core::store::{MemoryStore, TokenStore};
use hubkey_core::Hubkey;
use hubkey_desktop_lib::Host;
use serde_json::{json, Value};
use tauri::test::{get_ipc_response, mock_builder};

const CLIENT_ID: &str = "5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60";
const SECRET: &str = "0d6e4c2a-9f8b-4e7d-a6c5-b4a3f2e1d0c9";

/// A registration as the form and the flags give it.
struct Draft {
    name: &'static str,
    redirect: &'static str,
    scopes: &'static str,
    optional: &'static str,
}

/// The `hubkey` binary of this build: beside this test's, else built now.
fn hubkey_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().unwrap().parent().unwrap();
    let bin = debug.join(format!("hubkey{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--locked", "-p", "hubkey-cli", "--bin", "hubkey"])
            .status()
            .unwrap();
        assert!(status.success(), "cannot build the hubkey binary");
    }
    bin
}

/// The window's answer to `register_app` for `d`: `Ok` with the app's name, or the error's code and message.
fn window_registers(d: &Draft) -> Result<String, (String, String)> {
    let home = tempfile_dir("window");
    let store = TokenStore::new(Arc::new(MemoryStore::new()), &home);
    let hubkey = Hubkey::builder(HubSpotClient::new(Endpoints::hubspot()).unwrap(), store).build();
    let app = hubkey_desktop_lib::configure_with(mock_builder(), Host::new(hubkey))
        .build(hubkey_desktop_lib::context())
        .unwrap();
    let main = window(&app, "main");
    let args = json!({"args": {
        "name": d.name, "client_id": CLIENT_ID, "client_secret": SECRET, "redirect_uri": d.redirect,
        "scopes": d.scopes, "optional_scopes": d.optional, "kind": "standard",
    }});
    let answer = get_ipc_response(&main, support::request("register_app", args, local_origin()));
    let _ = std::fs::remove_dir_all(&home);
    match answer {
        Ok(body) => Ok(body.deserialize::<Value>().unwrap()["app"]["name"]
            .as_str()
            .unwrap()
            .to_string()),
        Err(e) => Err((
            e["code"].as_str().unwrap().to_string(),
            e["message"].as_str().unwrap().to_string(),
        )),
    }
}

/// `hubkey app add` for `d` (the secret on stdin): its exit code, its stderr, and `app list --json` afterwards.
fn cli_adds(d: &Draft) -> (i32, String, Value) {
    let home = tempfile_dir("cli");
    let service = support::unique("hubkey-test-app-add");
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut child = Command::new(hubkey_binary())
            .args(args)
            .env("HUBKEY_HOME", &home)
            .env("HUBKEY_KEYCHAIN_SERVICE", &service)
            .env("HUBKEY_LOG", "off")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    };
    let mut args = vec![
        "app",
        "add",
        d.name,
        "--client-id",
        CLIENT_ID,
        "--redirect-uri",
        d.redirect,
        "--scopes",
        d.scopes,
    ];
    if !d.optional.is_empty() {
        args.extend(["--optional-scopes", d.optional]);
    }
    let added = run(&args, Some(&format!("{SECRET}\n")));
    let listed = run(&["app", "list", "--json"], None);
    if added.status.success() {
        let removed = run(&["app", "remove", d.name], None);
        assert!(removed.status.success(), "{removed:?}");
    }
    let _ = std::fs::remove_dir_all(&home);
    (
        added.status.code().unwrap(),
        String::from_utf8(added.stderr).unwrap(),
        serde_json::from_slice(&listed.stdout).unwrap(),
    )
}

fn tempfile_dir(tag: &str) -> PathBuf {
    std::env::temp_dir().join(support::unique(&format!("hubkey-app-add-{tag}")))
}

#[test]
fn given_a_draft_the_window_refuses_when_added_with_the_cli_then_it_is_refused_with_the_same_message() {
    let refused = [
        Draft {
            name: "my app",
            redirect: "http://localhost:53682/callback",
            scopes: "oauth crm.objects.contacts.read",
            optional: "",
        },
        Draft {
            name: "by-ip",
            redirect: "http://127.0.0.1:53682/callback",
            scopes: "oauth crm.objects.contacts.read",
            optional: "",
        },
        Draft {
            name: "both",
            redirect: "http://localhost:53682/callback",
            scopes: "oauth crm.objects.contacts.read",
            optional: "crm.objects.contacts.read",
        },
        Draft {
            name: "no-oauth",
            redirect: "http://localhost:53682/callback",
            scopes: "crm.objects.contacts.read",
            optional: "",
        },
        Draft {
            name: "url-chars",
            redirect: "https://relay.example.com/hubkey-relay.html",
            scopes: "oauth crm.objects.contacts.read;x=1",
            optional: "",
        },
    ];
    for d in &refused {
        let (code, message) = window_registers(d).expect_err(d.name);
        assert_eq!(code, "invalid_input", "{}", d.name);

        let (exit, stderr, listed) = cli_adds(d);

        assert_eq!(exit, 2, "{}: {stderr}", d.name);
        let line = stderr
            .lines()
            .find(|l| l.starts_with("hubkey: "))
            .unwrap_or_default();
        assert!(
            line.starts_with(&format!("hubkey: {}", message.trim_end_matches('.'))),
            "{}: the window says {message:?}, the CLI {line:?}",
            d.name
        );
        assert_eq!(listed["apps"], json!([]), "{}: nothing stored", d.name);
    }
}

#[test]
fn given_a_draft_the_window_accepts_when_added_with_the_cli_then_it_is_saved_there_too() {
    let d = Draft {
        name: "demo",
        redirect: "http://localhost:53682/callback",
        scopes: "oauth crm.objects.contacts.read",
        optional: "zz.made.up",
    };
    assert_eq!(window_registers(&d), Ok("demo".to_string()));

    let (exit, stderr, listed) = cli_adds(&d);

    assert_eq!(exit, 0, "{stderr}");
    assert_eq!(listed["apps"][0]["name"], "demo");
    assert_eq!(listed["apps"][0]["optional_scopes"], json!(["zz.made.up"]));
}
