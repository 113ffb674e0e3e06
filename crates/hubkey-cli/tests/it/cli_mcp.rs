//! `hubkey headers`, `hubkey exec`, `hubkey mcp` and `hubkey mcp install`, as child processes of
//! the real binary against the HubSpot sandbox, in the private keyring of
//! scripts/with-keyring.sh (threat-model.md T13 for the needs-reauth rule).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::cli_support;
use crate::mcp_support;

use cli_support::{World, APP, CLIENT_SECRET, PRO};
use hubspot_sandbox::DEMO_STANDARD_CLIENT_ID;
use serde_json::{json, Value};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

async fn connected() -> World {
    let w = World::start().await;
    w.add_app().await;
    let (out, _) = w.login(&[]).await;
    assert_eq!(out.code, 0, "{out:?}");
    w
}

/// The sandbox's introspection of `token` (the demo standard app's credentials).
async fn introspect(w: &World, client_id: &str, secret: &str, token: &str) -> Value {
    w.http
        .post(format!("{}/oauth/2026-03/token/introspect", w.sandbox.base_url()))
        .form(&[
            ("client_id", client_id),
            ("client_secret", secret),
            ("token", token),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Uninstalls the app at the sandbox and lets `hubkey refresh` find out (it marks the
/// connection `needs_reauth`; its last access token has not expired yet).
async fn revoke(w: &World) {
    assert!(w.sandbox.uninstall(DEMO_STANDARD_CLIENT_ID, PRO) >= 1);
    let out = w.run(&["refresh"]).await;
    assert_eq!(out.code, 3, "{out:?}");
}

#[tokio::test]
async fn given_a_connection_when_headers_json_runs_then_stdout_is_exactly_the_authorization_object_with_a_working_token(
) {
    let w = connected().await;
    let out = w.run(&["headers", "--json"]).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
    let line = out.stdout.strip_suffix('\n').unwrap();
    let token = line
        .strip_prefix("{\"Authorization\":\"Bearer ")
        .and_then(|t| t.strip_suffix("\"}"))
        .unwrap_or_else(|| panic!("not exactly the object: {line}"));
    assert_eq!(w.api_status(token).await, 200);
    let plain = w.run(&["headers"]).await;
    assert_eq!(plain.stdout, format!("Authorization: Bearer {token}\n"));
    w.cleanup().await;
}

#[tokio::test]
async fn given_exec_when_the_command_echoes_the_variable_then_it_prints_a_token_the_sandbox_issued() {
    let w = connected().await;
    let out = w
        .run(&["exec", "--", "sh", "-c", "echo $HUBSPOT_ACCESS_TOKEN"])
        .await;
    assert_eq!(out.code, 0, "{out:?}");
    let token = out.stdout.trim();
    let info = introspect(&w, DEMO_STANDARD_CLIENT_ID, CLIENT_SECRET, token).await;
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["hub_id"], PRO);
    assert_eq!(info["token_use"], "access_token");
    let custom = w
        .run(&[
            "exec",
            "--env",
            "HS_TOKEN",
            "sh",
            "-c",
            "test -z \"$HUBSPOT_ACCESS_TOKEN\" && echo $HS_TOKEN",
        ])
        .await;
    assert_eq!(custom.stdout.trim(), token, "{custom:?}");
    w.cleanup().await;
}

#[tokio::test]
async fn given_exec_when_the_command_fails_or_is_killed_then_its_status_passes_through() {
    let w = connected().await;
    let out = w.run(&["exec", "--", "sh", "-c", "exit 7"]).await;
    assert_eq!(out.code, 7, "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "hubkey adds nothing to a failing command: {out:?}"
    );
    let killed = w.run(&["exec", "--", "sh", "-c", "kill -KILL $$"]).await;
    assert_eq!(killed.code, 128 + 9, "{killed:?}");
    let missing = w.run(&["exec", "--", "no-such-command-hubkey-test"]).await;
    assert_eq!(missing.code, 127, "{missing:?}");
    assert!(
        missing
            .stderr
            .starts_with("hubkey: cannot run no-such-command-hubkey-test"),
        "{missing:?}"
    );
    w.cleanup().await;
}

#[cfg(unix)]
#[tokio::test]
async fn given_exec_when_hubkey_gets_sigterm_then_the_child_gets_it_and_its_exit_code_is_returned() {
    let w = connected().await;
    let mut cmd = w.command(&[
        "exec",
        "--",
        "sh",
        "-c",
        "trap 'echo got-term; exit 42' TERM; echo ready; while :; do sleep 0.05; done",
    ]);
    let mut child = cmd.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(20), stdout.read_line(&mut line))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(line, "ready\n");
    let pid = child.id().unwrap().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).await.unwrap();
    assert_eq!(rest, "got-term\n", "the child's trap ran");
    assert_eq!(status.code(), Some(42));
    w.cleanup().await;
}

#[tokio::test]
async fn given_a_connection_that_needs_reauth_when_headers_exec_or_mcp_run_then_each_refuses_with_exit_3_and_the_login_line(
) {
    let w = connected().await;
    revoke(&w).await;
    for args in [
        vec!["headers", "--json"],
        vec!["exec", "--", "sh", "-c", "echo $HUBSPOT_ACCESS_TOKEN"],
        vec!["mcp"],
    ] {
        let out = w.run(&args).await;
        let line = out.assert_one_error_line(3);
        assert!(
            line.contains(&format!("hubkey login --app {APP} --portal {PRO}")),
            "{args:?}: {line}"
        );
    }
    w.cleanup().await;
}

/// `hubkey mcp` as an MCP client's child: JSON-RPC lines in, JSON-RPC lines out.
struct Bridge {
    child: tokio::process::Child,
    stdin: Option<tokio::process::ChildStdin>,
    stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    stderr: tokio::task::JoinHandle<String>,
}

impl Bridge {
    fn start(w: &World, args: &[&str], env: &[(&str, &str)]) -> Bridge {
        let mut argv = vec!["mcp"];
        argv.extend_from_slice(args);
        let mut cmd = w.command(&argv);
        cmd.stdin(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut err = child.stderr.take().unwrap();
        let stderr = tokio::spawn(async move {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s).await;
            s
        });
        Bridge {
            child,
            stdin,
            stdout,
            stderr,
        }
    }

    async fn send(&mut self, v: Value) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(format!("{v}\n").as_bytes()).await.unwrap();
        stdin.flush().await.unwrap();
    }

    async fn recv(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(30), self.stdout.next_line())
            .await
            .expect("an answer within 30 s")
            .unwrap()
            .expect("stdout open");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("stdout carries only JSON-RPC ({e}): {line}"))
    }

    async fn call(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        self.recv().await
    }

    /// Closes stdin; returns the exit code, the rest of stdout and stderr.
    async fn finish(mut self) -> (i32, String, String) {
        drop(self.stdin.take());
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .unwrap()
            .unwrap();
        let mut rest = String::new();
        while let Ok(Some(line)) = self.stdout.next_line().await {
            rest.push_str(&line);
        }
        (status.code().unwrap_or(-1), rest, self.stderr.await.unwrap())
    }
}

#[tokio::test]
async fn given_a_user_level_connection_when_an_mcp_client_drives_hubkey_mcp_then_it_works_and_nothing_leaks()
{
    let w = mcp_support::world().await;
    let hub = mcp_support::connect_user_level(&w).await;
    let mut bridge = Bridge::start(&w, &["--app", "ul"], &[("HUBKEY_LOG", "debug")]);
    let init = bridge
        .call(0, "initialize", json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}))
        .await;
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18", "{init}");
    bridge
        .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    let tools = bridge.call(1, "tools/list", json!({})).await;
    assert_eq!(tools["result"]["tools"][0]["name"], "get_user_details");
    let call = bridge
        .call(
            2,
            "tools/call",
            json!({"name": "get_user_details", "arguments": {}}),
        )
        .await;
    let details: Value =
        serde_json::from_str(call["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(details["hubId"], hub);
    let (code, rest, stderr) = bridge.finish().await;
    assert_eq!(code, 0, "EOF ends the bridge cleanly: {stderr}");
    assert!(rest.is_empty(), "nothing after the answers: {rest}");
    // Leak scan: the token is on no log line and in no file Hubkey wrote.
    let token = w.run(&["token", "--app", "ul"]).await.stdout.trim().to_owned();
    assert!(token.len() > 20);
    assert!(
        stderr.contains("bridging stdio"),
        "debug logging was on: {stderr}"
    );
    assert!(!stderr.contains(&token), "the token leaked to stderr");
    assert!(mcp_support::files_containing(w.home.path(), &token).is_empty());
    w.cleanup().await;
}

#[tokio::test]
async fn given_an_account_level_connection_when_hubkey_mcp_starts_then_it_warns_and_each_request_gets_the_fix(
) {
    let w = connected().await;
    let mut bridge = Bridge::start(&w, &[], &[]);
    let init = bridge
        .call(0, "initialize", json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}))
        .await;
    assert_eq!(init["error"]["data"]["hubkey"], "not_user_level", "{init}");
    assert!(init["error"]["message"]
        .as_str()
        .unwrap()
        .contains("MCP auth app"));
    let (code, _, stderr) = bridge.finish().await;
    assert_eq!(code, 0);
    assert!(stderr.contains("account-level token"), "{stderr}");
    assert_eq!(
        w.sandbox.count("/token", Some("refresh_token")),
        0,
        "no refresh loop"
    );
    w.cleanup().await;
}

#[tokio::test]
async fn given_each_client_when_mcp_install_runs_then_its_file_gets_the_absolute_hubkey_and_flags_but_no_token(
) {
    let w = connected().await;
    let user_home = tempfile::tempdir().unwrap();
    let home = user_home.path().to_str().unwrap();
    let env = [
        ("HOME", home),
        ("XDG_CONFIG_HOME", ""),
        ("CODEX_HOME", ""),
        ("CLAUDE_CONFIG_DIR", ""),
    ];
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_hubkey")).unwrap();
    let exe = exe.to_str().unwrap();
    let cases = [
        ("claude-code", ".claude.json"),
        ("claude-desktop", ".config/Claude/claude_desktop_config.json"),
        ("cursor", ".cursor/mcp.json"),
        ("vscode", ".config/Code/User/mcp.json"),
        ("codex", ".codex/config.toml"),
    ];
    // An existing Cursor file with another server.
    std::fs::create_dir_all(user_home.path().join(".cursor")).unwrap();
    std::fs::write(
        user_home.path().join(".cursor/mcp.json"),
        r#"{"mcpServers":{"fs":{"command":"npx"}},"x":1}"#,
    )
    .unwrap();
    for (client, file) in cases {
        let printed = w
            .run_with(&["mcp", "install", client, "--print"], None, &env)
            .await;
        assert_eq!(printed.code, 0, "{printed:?}");
        assert!(printed.stdout.contains(exe), "{client}: {}", printed.stdout);
        let out = w.run_with(&["mcp", "install", client], None, &env).await;
        assert_eq!(out.code, 0, "{out:?}");
        let text = std::fs::read_to_string(user_home.path().join(file)).unwrap();

        assert!(text.contains(exe), "{client}: {text}");
        for flag in [
            "--app",
            "--portal",
            "--home",
            "--keychain-service",
            "--api-base-url",
            "--mcp-base-url",
        ] {
            assert!(text.contains(flag), "{client}: {flag} missing: {text}");
        }
        let helper = client == "claude-code" || client == "codex";
        assert_eq!(text.contains(" headers "), helper, "{client}: {text}");
        assert_eq!(text.contains("\"mcp\""), !helper, "{client}: {text}");
    }
    let cursor: Value =
        serde_json::from_str(&std::fs::read_to_string(user_home.path().join(".cursor/mcp.json")).unwrap())
            .unwrap();
    assert_eq!(
        cursor["mcpServers"]["fs"]["command"], "npx",
        "the other server is kept"
    );
    assert_eq!(cursor["x"], 1);
    let backups: Vec<_> = std::fs::read_dir(user_home.path().join(".cursor"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".bak"))
        .collect();
    assert_eq!(backups.len(), 1, "the old Cursor file is kept");
    // The Claude Code entry runs: its helper prints the header with a working token.
    let claude: Value =
        serde_json::from_str(&std::fs::read_to_string(user_home.path().join(".claude.json")).unwrap())
            .unwrap();
    let helper = claude["mcpServers"]["hubspot"]["headersHelper"]
        .as_str()
        .unwrap()
        .to_owned();
    let ran = tokio::process::Command::new("sh")
        .args(["-c", &helper])
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var("PATH").unwrap())
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default(),
        )
        .output()
        .await
        .unwrap();
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    let headers: Value = serde_json::from_slice(&ran.stdout).unwrap();
    let token = headers["Authorization"]
        .as_str()
        .unwrap()
        .strip_prefix("Bearer ")
        .unwrap()
        .to_owned();
    assert_eq!(w.api_status(&token).await, 200);
    assert!(
        mcp_support::files_containing(user_home.path(), &token).is_empty(),
        "no token in any config file"
    );
    w.cleanup().await;
}

#[cfg(unix)]
#[tokio::test]
async fn given_a_running_bridge_when_it_gets_sigterm_then_it_ends_with_exit_0() {
    let w = mcp_support::world().await;
    mcp_support::connect_user_level(&w).await;
    let mut bridge = Bridge::start(&w, &["--app", "ul"], &[]);
    let init = bridge
        .call(0, "initialize", json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}))
        .await;
    assert!(init.get("result").is_some(), "{init}");
    let pid = bridge.child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = tokio::time::timeout(Duration::from_secs(20), bridge.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0), "a signal ends the bridge cleanly");
    w.cleanup().await;
}

/// The messages of a short session: initialize, initialized, tools/list.
fn session_lines() -> String {
    [
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}),
    ]
    .iter()
    .map(|m| format!("{m}\n"))
    .collect()
}

fn assert_session_answers(stdout: &str) {
    let answers: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(answers.len(), 2, "{stdout}");
    assert_eq!(answers[0]["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(answers[1]["result"]["tools"][0]["name"], "get_user_details");
}

#[tokio::test]
async fn given_stdin_is_a_regular_file_when_hubkey_mcp_runs_then_it_answers_every_line_and_ends_at_eof() {
    // A file cannot wait on the reactor: the bridge reads it on its thread path (stdio.rs).
    let w = mcp_support::world().await;
    mcp_support::connect_user_level(&w).await;
    let input = w.home.path().join("session.jsonl");
    std::fs::write(&input, session_lines()).unwrap();
    let mut cmd = w.command(&["mcp", "--app", "ul"]);
    cmd.stdin(Stdio::from(std::fs::File::open(&input).unwrap()));
    let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_session_answers(&stdout);
    w.cleanup().await;
}

#[cfg(unix)]
#[tokio::test]
async fn given_stdin_and_stdout_are_one_socket_when_hubkey_mcp_runs_then_it_answers_and_ends_at_eof() {
    // Node's child_process gives a stdio server socketpairs, not pipes (libuv): the reactor path's
    // socket branch.
    use std::io::{BufRead, Write};
    use std::os::fd::OwnedFd;
    let w = mcp_support::world().await;
    mcp_support::connect_user_level(&w).await;
    let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
    let theirs_out = theirs.try_clone().unwrap();
    let mut cmd = w.command(&["mcp", "--app", "ul"]);
    cmd.stdin(Stdio::from(OwnedFd::from(theirs)));
    cmd.stdout(Stdio::from(OwnedFd::from(theirs_out)));
    let mut child = cmd.spawn().unwrap();
    let client = tokio::task::spawn_blocking(move || {
        ours.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut writer = ours.try_clone().unwrap();
        let mut reader = std::io::BufReader::new(ours.try_clone().unwrap());
        let mut stdout = String::new();
        for (i, line) in session_lines().lines().enumerate() {
            writer.write_all(format!("{line}\n").as_bytes()).unwrap();
            if i != 1 {
                reader.read_line(&mut stdout).unwrap();
            }
        }
        ours.shutdown(std::net::Shutdown::Write).unwrap();
        stdout
    });
    let stdout = client.await.unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert_session_answers(&stdout);
    w.cleanup().await;
}

#[tokio::test]
async fn given_a_connection_when_the_window_builds_its_ai_client_entries_then_each_is_exactly_what_mcp_install_print_prints(
) {
    // The window's dialog (hubkey_mcp::setup::view, behind the desktop's `ai_clients` command) and
    // `hubkey mcp install <client> --print` must show the same entry for the same `hubkey` and settings.
    let w = mcp_support::world().await;
    let hub = mcp_support::connect_user_level(&w).await;
    let base = w.sandbox.base_url();
    let mcp_base = w.sandbox.mcp_base_url();
    let home = w.home.path().to_string_lossy().into_owned();
    let env = |k: &str| -> Option<String> {
        match k {
            "HUBKEY_HOME" => Some(home.clone()),
            "HUBKEY_KEYCHAIN_SERVICE" => Some(w.service.clone()),
            "HUBKEY_APP_BASE_URL" | "HUBKEY_API_BASE_URL" => Some(base.clone()),
            "HUBKEY_MCP_BASE_URL" => Some(mcp_base.clone()),
            "HOME" => Some(home.clone()),
            _ => None,
        }
    };
    let at = time::OffsetDateTime::now_utc();
    let mut conn = hubkey_core::store::Connection::new("ul", hub, at, at);
    conn.is_user_level = Some(true);
    let cli = std::path::Path::new(env!("CARGO_BIN_EXE_hubkey"))
        .canonicalize()
        .unwrap();
    let view = hubkey_mcp::setup::view(
        &conn,
        Some(&cli),
        hubkey_mcp::setup::settings_flags(&env),
        url::Url::parse(&mcp_base).unwrap(),
        hubkey_mcp::Os::current(),
        &env,
    );
    assert_eq!(view.clients.len(), 5);
    for entry in &view.clients {
        let out = w
            .run(&["mcp", "install", &entry.id, "--print", "--app", "ul"])
            .await;
        assert_eq!(out.code, 0, "{out:?}");
        assert_eq!(
            out.stdout, entry.snippet,
            "{}: the window and the CLI differ",
            entry.id
        );
    }
    w.cleanup().await;
}
