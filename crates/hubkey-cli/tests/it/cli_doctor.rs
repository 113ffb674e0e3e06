//! `hubkey doctor` and `hubkey login`'s preflight against the HubSpot sandbox: a healthy setup
//! exits 0 with every check listed; each kind of failure has its exit code (2 configuration,
//! 4 keychain, 5 network) and HubSpot's own wording; a login that preflight refuses stops before
//! any listener, browser or request to HubSpot; a login that times out prints the install guide.
//! Run under `scripts/with-keyring.sh` (a private Secret Service).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::cli_support;

use cli_support::{free_port, World, APP};
use serde_json::Value;

/// The checks of a `doctor --json` run, whatever its exit code.
fn checks(out: &cli_support::Outcome) -> Vec<Value> {
    let v: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {out:?}"));
    v["checks"].as_array().unwrap().clone()
}

fn status_of<'a>(checks: &'a [Value], id: &str) -> Vec<&'a str> {
    checks
        .iter()
        .filter(|c| c["id"] == id)
        .map(|c| c["status"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_healthy_setup_when_doctor_runs_then_it_exits_0_listing_every_check() {
    let w = World::start().await;
    w.add_app().await;

    let out = w.run(&["doctor"]).await;

    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
    for expected in [
        "HubSpot hosts",
        "System keychain",
        "Authorize page host",
        "API host",
        "MCP server host",
        "Settings of app \"demo\"",
    ] {
        assert!(out.stdout.contains(expected), "{expected}: {}", out.stdout);
    }
    assert!(
        out.stdout.lines().any(|l| l.starts_with("ok    System keychain")),
        "{}",
        out.stdout
    );
    // The sandbox endpoints are an override: a warning with its fix, not a failure.
    assert!(
        out.stdout.lines().any(|l| l.starts_with("warn  HubSpot hosts")),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("      fix: "), "{}", out.stdout);
    assert!(
        out.stdout.trim_end().ends_with("0 failed, 1 warning, 6 ok."),
        "{}",
        out.stdout
    );

    // --json: the same report, parseable.
    let json = w.run(&["doctor", "--json"]).await;
    assert_eq!(json.code, 0, "{json:?}");
    let checks = checks(&json);
    for (id, status) in [
        ("config.endpoints", "warn"),
        ("preflight.ok", "ok"),
        ("scopes.legacy", "ok"),
        ("keychain", "ok"),
        ("network.app_host", "ok"),
        ("network.api_host", "ok"),
        ("network.mcp_host", "ok"),
    ] {
        assert_eq!(status_of(&checks, id), vec![status], "{id}: {checks:?}");
    }
    for c in &checks {
        for field in ["id", "title", "category", "subject", "status", "detail", "fix"] {
            assert!(c.get(field).is_some(), "{field} missing: {c}");
        }
    }
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_an_app_with_an_ip_literal_redirect_when_doctor_runs_then_it_exits_2_with_hubspots_wording() {
    let w = World::start().await;
    w.add_app().await;
    let ip = format!("http://127.0.0.1:{}/callback", w.port);
    w.store_app_as("by-ip", &ip, "oauth crm.objects.contacts.read", "")
        .await;

    let out = w.run(&["doctor", "--app", "by-ip"]).await;

    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stdout
            .contains("You also must use a domain, as IP addresses are not supported."),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("FAIL  Redirect URL of app \"by-ip\"")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("fix: Use localhost instead of 127.0.0.1"),
        "{}",
        out.stdout
    );
    // Only the named app is checked.
    assert!(!out.stdout.contains("app \"demo\""), "{}", out.stdout);
    let line = out.stderr_lines();
    assert_eq!(line.len(), 1, "{out:?}");
    assert!(
        line[0].starts_with("hubkey: doctor found 1 failing check (redirect.ip_literal"),
        "{out:?}"
    );

    let json = w.run(&["doctor", "--app", "by-ip", "--json"]).await;
    assert_eq!(json.code, 2);
    assert_eq!(status_of(&checks(&json), "redirect.ip_literal"), vec!["fail"]);

    // An app that does not exist is a usage error.
    w.run(&["doctor", "--app", "nope"]).await.assert_one_error_line(2);
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_scope_in_both_lists_when_doctor_runs_then_it_exits_2_quoting_the_mismatch_page() {
    let w = World::start().await;
    let redirect = w.redirect_uri();
    w.store_app_as(
        APP,
        &redirect,
        "oauth crm.objects.contacts.read",
        "crm.objects.contacts.read",
    )
    .await;

    let out = w.run(&["doctor", "--json"]).await;

    assert_eq!(out.code, 2, "{out:?}");
    let checks = checks(&out);
    let both: Vec<&Value> = checks
        .iter()
        .filter(|c| c["id"] == "scopes.in_both_lists")
        .collect();
    assert_eq!(both.len(), 1, "{checks:?}");
    assert_eq!(both[0]["status"], "fail");
    assert_eq!(both[0]["category"], "config");
    assert!(
        both[0]["detail"]
            .as_str()
            .unwrap()
            .contains("mismatch between the scopes in the install URL and the app's configured scopes"),
        "{}",
        both[0]
    );
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_given_no_keychain_when_doctor_runs_then_it_exits_4_and_still_reports_everything_else() {
    let w = World::start().await;
    w.add_app().await;

    let out = w
        .run_with(
            &["doctor", "--json"],
            None,
            &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")],
        )
        .await;

    assert_eq!(out.code, 4, "{out:?}");
    let checks = checks(&out);
    assert_eq!(status_of(&checks, "keychain"), vec!["fail"], "{checks:?}");
    let keychain = checks.iter().find(|c| c["id"] == "keychain").unwrap();
    assert!(keychain["fix"].is_string(), "{keychain}");
    assert_eq!(status_of(&checks, "network.api_host"), vec!["ok"]);
    assert_eq!(status_of(&checks, "preflight.ok"), vec!["ok"]);
    assert_eq!(out.stderr_lines().len(), 1, "{out:?}");
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_an_unreachable_api_host_when_doctor_runs_then_it_exits_5_naming_the_host() {
    let w = World::start().await;
    w.add_app().await;
    let port = free_port();
    let closed = format!("http://127.0.0.1:{port}");

    let out = w
        .run_with(&["doctor"], None, &[("HUBKEY_API_BASE_URL", &closed)])
        .await;

    assert_eq!(out.code, 5, "{out:?}");
    let fail = out
        .stdout
        .lines()
        .find(|l| l.starts_with("FAIL  API host"))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(fail.contains(&format!("Cannot reach 127.0.0.1:{port}")), "{fail}");
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("ok    Authorize page host")),
        "{}",
        out.stdout
    );
    let lines = out.stderr_lines();
    assert_eq!(lines.len(), 1, "{out:?}");
    assert!(lines[0].contains("network.api_host"), "{out:?}");

    let json = w
        .run_with(&["doctor", "--json"], None, &[("HUBKEY_API_BASE_URL", &closed)])
        .await;
    assert_eq!(json.code, 5);
    assert_eq!(status_of(&checks(&json), "network.api_host"), vec!["fail"]);
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_an_app_failing_preflight_when_logging_in_then_it_exits_2_before_any_listener_or_request() {
    let w = World::start().await;
    let ip = format!("http://127.0.0.1:{}/callback", w.port);
    w.store_app_as(
        APP,
        &ip,
        "oauth crm.objects.contacts.read",
        "crm.objects.contacts.read",
    )
    .await;
    w.sandbox.clear_requests();

    let out = w.run(&["login", "--no-browser", "--timeout", "5"]).await;

    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let lines = out.stderr_lines();
    assert_eq!(lines.len(), 2, "one line per error: {out:?}");
    assert!(lines.iter().all(|l| l.starts_with("hubkey: ")), "{out:?}");
    assert!(lines[0].contains("IP addresses are not supported"), "{out:?}");
    assert!(lines[0].contains("Fix: "), "{out:?}");
    assert!(lines[1].contains("mismatch between the scopes"), "{out:?}");
    assert!(
        !out.stderr.contains("/oauth/authorize"),
        "no URL was printed: {out:?}"
    );
    assert!(w.sandbox.requests().is_empty(), "{:?}", w.sandbox.requests());
    // Nothing listens on the redirect's port.
    assert!(std::net::TcpListener::bind(("127.0.0.1", w.port)).is_ok());
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_the_redirect_port_taken_by_another_program_when_logging_in_then_preflight_says_so_with_exit_2()
{
    let w = World::start().await;
    w.add_app().await;
    let _squatter = std::net::TcpListener::bind(("127.0.0.1", w.port)).unwrap();
    w.sandbox.clear_requests();

    let out = w.run(&["login", "--no-browser"]).await;

    let line = out.assert_one_error_line(2);
    assert!(
        line.contains(&format!("Port {} on localhost is already in use", w.port)),
        "{line}"
    );
    assert!(line.contains("lsof -i"), "{line}");
    assert!(w.sandbox.requests().is_empty());
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_no_redirect_in_time_when_logging_in_then_the_error_line_is_followed_by_the_install_guide() {
    let w = World::start().await;
    w.add_app().await;

    let out = w.run(&["login", "--no-browser", "--timeout", "1"]).await;

    assert_eq!(out.code, 5, "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let lines = out.stderr_lines();
    let at = lines
        .iter()
        .position(|l| l.starts_with("hubkey: no answer from HubSpot after 1 s"))
        .unwrap_or_else(|| panic!("{out:?}"));
    let guide = &lines[at + 1..];
    assert!(guide.len() >= 2, "{out:?}");
    assert!(guide[0].contains("never redirects back"), "{out:?}");
    assert!(guide[1..].iter().all(|l| l.starts_with("  - ")), "{out:?}");
    assert!(
        guide
            .iter()
            .any(|l| l.contains("doesn't match the app's registered redirect URL")),
        "{out:?}"
    );
    // Before the wait: the legacy-scope note of preflight, then the URL.
    assert!(
        lines[..at]
            .iter()
            .any(|l| l.starts_with("hubkey: note: automation")),
        "{out:?}"
    );
    w.cleanup().await;
}
