//! Shared set-up of the `cli_*` tests: the real `hubkey` binary, run as a child process against
//! the HubSpot sandbox (in-process, over loopback), with its own Hubkey home and its own keychain
//! namespace per test, in the private keyring of `scripts/with-keyring.sh`.
//!
//! Each world adds a `http://localhost:{free port}/callback` redirect URL to the demo app, so
//! tests that log in can run in parallel without fighting over the fixture's fixed ports.
#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use hubspot_sandbox::{Fixture, Sandbox, SandboxHandle, DEMO_STANDARD_CLIENT_ID};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

pub use hubspot_sandbox::{DEMO_PRO_HUB_ID as PRO, DEMO_STARTER_HUB_ID as STARTER};

/// The demo app's client secret (fixture data, not a real secret).
pub const CLIENT_SECRET: &str = "0d6e4c2a-9f8b-4e7d-a6c5-b4a3f2e1d0c9";
/// The app's name in Hubkey.
pub const APP: &str = "demo";
/// The sandbox's protected API (answers 200 only to a valid access token).
pub const PROTECTED: &str = "/account-info/2026-09/details";

/// The line every run against the sandbox starts its stderr with (docs/SECURITY.md, finding 6).
pub const OVERRIDE_WARNING: &str = "hubkey: warning: not talking to HubSpot: ";

/// What a finished `hubkey` run left behind. `stderr` is without the override warning, which
/// every run against the sandbox prints; `override_warnings` holds those lines.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub override_warnings: Vec<String>,
}

impl Outcome {
    pub fn new(code: i32, stdout: String, stderr: String) -> Self {
        let (warnings, rest): (Vec<&str>, Vec<&str>) =
            stderr.lines().partition(|l| l.starts_with(OVERRIDE_WARNING));
        let mut kept = rest.join("\n");
        if !kept.is_empty() {
            kept.push('\n');
        }
        Outcome {
            code,
            stdout,
            stderr: kept,
            override_warnings: warnings.into_iter().map(str::to_string).collect(),
        }
    }

    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.lines().collect()
    }

    /// Asserts success and returns stdout parsed as JSON.
    pub fn json(&self) -> Value {
        assert_eq!(self.code, 0, "{self:?}");
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// Asserts exactly one stderr line and returns it.
    pub fn assert_stderr_one_line(&self) -> &str {
        let lines = self.stderr_lines();
        assert_eq!(lines.len(), 1, "expected one stderr line: {self:?}");
        lines[0]
    }

    /// Asserts exactly one stderr line, starting with `hubkey: `, and the exit code.
    pub fn assert_one_error_line(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "{self:?}");
        let lines = self.stderr_lines();
        assert_eq!(lines.len(), 1, "expected one stderr line: {self:?}");
        assert!(lines[0].starts_with("hubkey: "), "{self:?}");
        assert!(self.stdout.is_empty(), "{self:?}");
        lines[0]
    }
}

/// A sandbox, a Hubkey home and a keychain namespace for one test.
#[derive(Debug)]
pub struct World {
    pub sandbox: SandboxHandle,
    pub home: tempfile::TempDir,
    pub service: String,
    pub port: u16,
    pub http: reqwest::Client,
}

pub use hubkey_testkit::free_port;

/// The arguments of `hubkey app add NAME` for the demo app's client id, with this redirect and these scopes
/// (the secret goes on stdin).
pub fn app_add_args<'a>(name: &'a str, redirect: &'a str, scopes: &'a str) -> Vec<&'a str> {
    vec![
        "app",
        "add",
        name,
        "--client-id",
        DEMO_STANDARD_CLIENT_ID,
        "--redirect-uri",
        redirect,
        "--scopes",
        scopes,
    ]
}

impl World {
    pub async fn start() -> World {
        Self::start_with(|_| {}).await
    }

    /// As [`World::start`], with the demo fixture changed by `change` first (HubSpot's side of an app).
    pub async fn start_with(change: impl FnOnce(&mut Fixture)) -> World {
        let port = free_port();
        let mut fixture = Fixture::demo();
        change(&mut fixture);
        hubkey_testkit::accept_redirect(
            &mut fixture,
            DEMO_STANDARD_CLIENT_ID,
            &format!("http://localhost:{port}/callback"),
        );
        let sandbox = Sandbox::start(fixture).await.expect("sandbox starts");
        let home = tempfile::Builder::new()
            .prefix("hubkey-cli-test")
            .tempdir()
            .unwrap();
        let service = hubkey_testkit::unique("hubkey-cli-test");
        World {
            sandbox,
            home,
            service,
            port,
            http: reqwest::Client::new(),
        }
    }

    pub fn redirect_uri(&self) -> String {
        format!("http://localhost:{}/callback", self.port)
    }

    pub fn index_path(&self) -> PathBuf {
        self.home.path().join("index.json")
    }

    /// `hubkey ARGS` with this world's environment.
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        self.command_of(tokio::process::Command::new(env!("CARGO_BIN_EXE_hubkey")), args)
    }

    /// [`World::command`] run with at most `limit` open files (`ulimit -n`, the 1024 most systems
    /// default to), through `sh`.
    pub fn command_with_fd_limit(&self, limit: u32, args: &[&str]) -> tokio::process::Command {
        let mut sh = tokio::process::Command::new("sh");
        sh.arg("-c")
            .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_hubkey"));
        self.command_of(sh, args)
    }

    fn command_of(&self, mut cmd: tokio::process::Command, args: &[&str]) -> tokio::process::Command {
        let base = self.sandbox.base_url();
        cmd.args(args)
            .env("HUBKEY_HOME", self.home.path())
            .env("HUBKEY_KEYCHAIN_SERVICE", &self.service)
            .env("HUBKEY_APP_BASE_URL", &base)
            .env("HUBKEY_API_BASE_URL", &base)
            .env("HUBKEY_MCP_BASE_URL", self.sandbox.mcp_base_url())
            .env_remove("HUBKEY_LOG")
            .env_remove("BROWSER")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    /// Runs `hubkey ARGS` to the end, with `stdin` piped in when given.
    pub async fn run(&self, args: &[&str]) -> Outcome {
        self.run_with(args, None, &[]).await
    }

    pub async fn run_with(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Outcome {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().expect("hubkey starts");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            // A command that refuses before it reads stdin (e.g. an invalid `app add`) may exit
            // before the write: its answer is what the test checks, not the write.
            match pipe.write_all(input.as_bytes()).await {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other.unwrap(),
            }
            drop(pipe);
        }
        let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
            .await
            .expect("hubkey finishes within 2 minutes")
            .unwrap();
        Outcome::new(
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    /// Starts `n` copies of `hubkey ARGS` at once, then collects them all.
    pub async fn run_many(&self, n: usize, args: &[&str]) -> Vec<Outcome> {
        let children: Vec<_> = (0..n)
            .map(|_| self.command(args).spawn().expect("hubkey starts"))
            .collect();
        let mut outcomes = Vec::with_capacity(n);
        for child in children {
            let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
                .await
                .expect("hubkey finishes within 2 minutes")
                .unwrap();
            outcomes.push(Outcome::new(
                out.status.code().unwrap_or(-1),
                String::from_utf8(out.stdout).unwrap(),
                String::from_utf8(out.stderr).unwrap(),
            ));
        }
        outcomes
    }

    /// `hubkey app add demo …` with the secret on stdin; asserts success.
    pub async fn add_app(&self) -> Outcome {
        self.add_app_with(&[]).await
    }

    /// As [`World::add_app`], with more flags (e.g. `--no-pkce`).
    pub async fn add_app_with(&self, extra: &[&str]) -> Outcome {
        let redirect = self.redirect_uri();
        let mut args = vec![
            "app",
            "add",
            APP,
            "--client-id",
            DEMO_STANDARD_CLIENT_ID,
            "--redirect-uri",
            &redirect,
            "--scopes",
            "oauth crm.objects.contacts.read",
            "--optional-scopes",
            "crm.objects.deals.read automation",
        ];
        args.extend_from_slice(extra);
        let out = self
            .run_with(&args, Some(&format!("{CLIENT_SECRET}\n")), &[])
            .await;
        assert_eq!(out.code, 0, "{out:?}");
        out
    }

    /// `hubkey app add NAME …` for the demo app's client id with this redirect and these scopes
    /// (secret on stdin); asserts success.
    pub async fn add_app_as(&self, name: &str, redirect: &str, scopes: &str, optional: &str) -> Outcome {
        let mut args = app_add_args(name, redirect, scopes);
        if !optional.is_empty() {
            args.extend(["--optional-scopes", optional]);
        }
        let out = self
            .run_with(&args, Some(&format!("{CLIENT_SECRET}\n")), &[])
            .await;
        assert_eq!(out.code, 0, "{out:?}");
        out
    }

    /// Stores the app NAME with this redirect and these scopes straight through hubkey-core, as an older build
    /// or a hand-edited index may have left it: `hubkey app add` refuses what the window refuses (a redirect
    /// Hubkey cannot receive, a scope in both lists), and preflight and doctor must still explain such an app.
    pub async fn store_app_as(&self, name: &str, redirect: &str, scopes: &str, optional: &str) {
        use hubkey_core::app::{AppConfig, AppKind};
        use hubkey_core::scopes::parse_scope_list;
        let keychain = hubkey_keychain::KeyringStore::new(self.service.clone()).unwrap();
        let store = hubkey_core::store::TokenStore::new(std::sync::Arc::new(keychain), self.home.path());
        let app = AppConfig {
            name: name.into(),
            client_id: DEMO_STANDARD_CLIENT_ID.into(),
            redirect_uri: redirect.into(),
            scopes: parse_scope_list(scopes),
            optional_scopes: parse_scope_list(optional),
            kind: AppKind::Standard,
            pkce: true,
        };
        store
            .save_app(&app, &hubkey_core::ClientSecret::new(CLIENT_SECRET))
            .await
            .unwrap();
    }

    /// `hubkey login --no-browser --json EXTRA…`, playing the browser: reads the authorize URL
    /// from the child's stderr and GETs it with the sandbox's `auto_grant` on, following the
    /// redirect to the child's loopback listener. Returns the run and the authorize URL.
    pub async fn login(&self, extra: &[&str]) -> (Outcome, String) {
        self.login_with(extra, &[]).await
    }

    /// [`World::login`] with these environment variables set for `hubkey login`.
    pub async fn login_with(&self, extra: &[&str], env: &[(&str, &str)]) -> (Outcome, String) {
        self.sandbox.update_switches(|s| s.auto_grant = true);
        let mut args = vec!["login", "--no-browser", "--json", "--timeout", "60"];
        args.extend_from_slice(extra);
        let mut cmd = self.command(&args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("hubkey starts");
        let mut stdout = child.stdout.take().unwrap();
        let stdout_task = tokio::spawn(async move {
            let mut s = String::new();
            stdout.read_to_string(&mut s).await.unwrap();
            s
        });
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut seen = Vec::new();
        let url = loop {
            let line = tokio::time::timeout(Duration::from_secs(30), stderr.next_line())
                .await
                .expect("the authorize URL is printed")
                .unwrap()
                .unwrap_or_else(|| panic!("stderr ended before the URL; saw {seen:?}"));
            seen.push(line.clone());
            if line.starts_with("http://") || line.starts_with("https://") {
                break line;
            }
        };
        let page = self
            .http
            .get(&url)
            .send()
            .await
            .expect("the redirect reaches hubkey");
        assert_eq!(page.status(), 200, "the loopback page answers");
        let rest = tokio::spawn(async move {
            while let Ok(Some(line)) = stderr.next_line().await {
                seen.push(line);
            }
            seen
        });
        let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
            .await
            .expect("login finishes")
            .unwrap();
        let stderr_lines = rest.await.unwrap();
        let out = Outcome::new(
            status.code().unwrap_or(-1),
            stdout_task.await.unwrap(),
            stderr_lines.join("\n") + "\n",
        );
        (out, url)
    }

    /// Makes the stored connections look an hour old, so a token that expires within 5 minutes
    /// is due for refresh (the refresher uses half the lifetime for tokens younger than 10 min,
    /// which would otherwise make a test wait a minute).
    pub fn age_connections(&self) {
        let path = self.index_path();
        let mut index: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for c in index["connections"].as_array_mut().unwrap() {
            let expires = time::OffsetDateTime::parse(
                c["expires_at"].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap();
            let connected = expires - time::Duration::hours(1);
            c["connected_at"] = Value::String(
                connected
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap(),
            );
            c["last_refreshed_at"] = Value::Null;
        }
        std::fs::write(&path, serde_json::to_vec_pretty(&index).unwrap()).unwrap();
    }

    /// `status --json`'s connections.
    /// (`status` exits 1 when a connection needs re-authorization; the JSON is printed all the same.)
    pub async fn connections(&self) -> Vec<Value> {
        let out = self.run(&["status", "--json"]).await;
        assert!(out.code == 0 || out.code == 1, "{out:?}");
        let v: Value =
            serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {out:?}"));
        v["connections"].as_array().unwrap().clone()
    }

    /// Status code of the sandbox's protected API for `token`.
    pub async fn api_status(&self, token: &str) -> u16 {
        self.http
            .get(format!("{}{PROTECTED}", self.sandbox.base_url()))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Removes this world's keychain entries: logs out of every portal (keeping the remote
    /// token) and removes every app.
    pub async fn cleanup(self) {
        if let Ok(index) = std::fs::read(self.index_path()) {
            let index: Value = serde_json::from_slice(&index).unwrap_or(Value::Null);
            for c in index["connections"].as_array().cloned().unwrap_or_default() {
                let app = c["app"].as_str().unwrap_or_default().to_string();
                let hub = c["hub_id"].to_string();
                self.run(&["logout", "--app", &app, "--portal", &hub, "--keep-remote"])
                    .await;
            }
            for a in index["apps"].as_array().cloned().unwrap_or_default() {
                let app = a["name"].as_str().unwrap_or_default().to_string();
                self.run(&["app", "remove", &app]).await;
            }
        }
        self.sandbox.shutdown().await;
    }
}

/// The authorize URL a launch page's meta refresh points at (hubkey-core's `launch`).
pub fn launch_target(html: &str) -> String {
    let start = html.find("0;url=").expect("a meta refresh") + "0;url=".len();
    let end = start + html[start..].find('"').expect("the attribute ends");
    html[start..end].replace("&amp;", "&")
}
