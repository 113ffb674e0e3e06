//! The `hubspot-sandbox` binary: starts, reports readiness, serves, prints the banner.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::common::read;

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[&str]) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hubspot-sandbox"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    (Child(child), stdout)
}

#[tokio::test]
async fn binary_prints_ready_json_and_serves_with_auto_grant() {
    let (_child, mut stdout) = spawn(&[
        "--port",
        "0",
        "--mcp-port",
        "0",
        "--auto-grant",
        "--print-ready-json",
    ]);
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(ready["ready"], true);
    let base = ready["base_url"].as_str().unwrap();
    assert!(base.starts_with("http://127.0.0.1:"));
    let switches = read(reqwest::get(format!("{base}/_sandbox/switches")).await.unwrap())
        .await
        .json();
    assert_eq!(switches["auto_grant"], true);
}

#[tokio::test]
async fn binary_banner_has_export_line_and_demo_credentials() {
    let (_child, stdout) = spawn(&["--port", "0", "--mcp-port", "0"]);
    let lines: Vec<String> = stdout
        .lines()
        .map(Result::unwrap)
        .take_while(|l| !l.starts_with("Serving until"))
        .collect();
    let text = lines.join("\n");
    assert!(
        text.contains("export HUBKEY_APP_BASE_URL=http://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("HUBKEY_MCP_BASE_URL=http://127.0.0.1:"));
    assert!(text.contains(hubspot_sandbox::DEMO_STANDARD_CLIENT_ID));
    assert!(text.contains("http://localhost:53682/callback"));
}

#[test]
fn binary_refuses_a_bad_fixture_file() {
    let status = Command::new(env!("CARGO_BIN_EXE_hubspot-sandbox"))
        .args([
            "--port",
            "0",
            "--mcp-port",
            "0",
            "--fixture",
            "/nonexistent/fixture.json",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success());
}
