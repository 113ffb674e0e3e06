//! The `hubkey` binary end to end against the HubSpot sandbox: app add → login → status →
//! token → refresh → logout, the token-only stdout promise, and T10 across processes.
//! Run under `scripts/with-keyring.sh` (a private Secret Service).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::cli_support;

use cli_support::{World, APP, PRO};
use std::collections::HashSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_new_app_when_a_portal_is_connected_used_refreshed_and_logged_out_then_each_step_follows_the_contract(
) {
    let w = World::start().await;

    // Given: an app whose secret came on stdin.
    let added = w.add_app().await;
    assert!(added.stderr.is_empty(), "{added:?}");
    let apps = w.run(&["app", "list", "--json"]).await.json();
    assert_eq!(apps["apps"][0]["name"], APP);
    assert!(
        !apps.to_string().contains(cli_support::CLIENT_SECRET),
        "no secret in app list"
    );

    // When: logging in (the test plays the browser).
    let (login, url) = w.login(&[]).await;
    // Then: the URL went to stderr, the connection JSON to stdout.
    assert!(url.contains("/oauth/authorize?"), "{url}");
    assert!(
        url.contains("client_id=5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60"),
        "{url}"
    );
    assert!(!login.stdout.contains(&url), "the URL is not on stdout");
    let conn = login.json();
    assert_eq!(conn["app"], APP);
    assert_eq!(conn["hub_id"], PRO);
    assert_eq!(conn["hub_domain"], "acme.example");
    assert_eq!(conn["user"], "alex@acme.example");
    assert_eq!(conn["state"], "fresh");

    // status --json has the contracted fields.
    let conns = w.connections().await;
    assert_eq!(conns.len(), 1);
    let c = &conns[0];
    assert_eq!(
        c, &conn,
        "login --json prints the same fields as one status entry"
    );
    for field in [
        "app",
        "hub_id",
        "hub_domain",
        "user",
        "user_id",
        "app_id",
        "scopes",
        "optional_scopes_missing",
        "is_user_level",
        "hublet",
        "expires_at",
        "state",
    ] {
        assert!(c.get(field).is_some(), "status entry lacks {field}: {c}");
    }
    assert_eq!(c["app_id"], 3_141_592);
    assert_eq!(c["is_user_level"], false);
    // The portal's data centre, from introspection (issue 13).
    assert_eq!(c["hublet"], "na1");
    assert!(c["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "crm.objects.contacts.read"));
    time::OffsetDateTime::parse(
        c["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("expires_at is RFC 3339");

    // The human table has a header and one row.
    let table = w.run(&["status"]).await;
    assert_eq!(table.code, 0);
    assert_eq!(table.stdout.lines().count(), 2, "{table:?}");
    assert!(table.stdout.contains("acme.example"));

    // token: only the token; the sandbox accepts it.
    let token = w.run(&["token"]).await;
    assert_eq!(token.code, 0, "{token:?}");
    let first = token.stdout.trim_end_matches('\n').to_string();
    assert_eq!(w.api_status(&first).await, 200);

    // refresh: a new token, also valid.
    let before = w.sandbox.count("/token", Some("refresh_token"));
    let refreshed = w.run(&["refresh"]).await;
    assert_eq!(refreshed.code, 0, "{refreshed:?}");
    assert!(refreshed.stderr.is_empty(), "{refreshed:?}");
    assert_eq!(w.sandbox.count("/token", Some("refresh_token")), before + 1);
    let second = w
        .run(&["token", "--app", APP, "--portal", &PRO.to_string()])
        .await;
    let second = second.stdout.trim_end_matches('\n').to_string();
    assert_ne!(second, first, "refresh gave a new access token");
    assert_eq!(w.api_status(&second).await, 200);

    // logout: revoked at HubSpot, gone locally.
    let logout = w.run(&["logout", "--portal", &PRO.to_string()]).await;
    assert_eq!(logout.code, 0, "{logout:?}");
    assert!(logout.stderr.is_empty(), "{logout:?}");
    assert!(logout.stdout.contains("revoked at HubSpot"), "{logout:?}");
    assert!(logout.stdout.contains("stays valid until"), "{logout:?}");
    assert_eq!(
        w.sandbox.count("/token/revoke", None),
        1,
        "one revoke reached HubSpot"
    );
    assert!(w.connections().await.is_empty());

    // The app can go now; nothing is left in the keychain namespace.
    let removed = w.run(&["app", "remove", APP]).await;
    assert_eq!(removed.code, 0, "{removed:?}");
    assert_eq!(
        w.run(&["app", "list", "--json"]).await.json()["apps"],
        serde_json::json!([])
    );
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_connection_when_token_runs_then_stdout_is_exactly_the_token_and_stderr_is_empty() {
    let w = World::start().await;
    w.add_app().await;
    let (login, _) = w.login(&[]).await;
    assert_eq!(login.code, 0, "{login:?}");

    let out = w.run(&["token"]).await;

    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.is_empty(), "stderr must be empty: {out:?}");
    assert!(out.stdout.ends_with('\n'));
    let token = &out.stdout[..out.stdout.len() - 1];
    assert!(
        !token.is_empty() && !token.contains(char::is_whitespace),
        "{out:?}"
    );
    assert_eq!(out.stdout.lines().count(), 1);
    assert_eq!(w.api_status(token).await, 200);
    w.cleanup().await;
}

/// threat-model.md T10, across processes: the refresher's file lock and re-read make twenty
/// `hubkey token` processes share one refresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t10_twenty_concurrent_token_processes_cause_one_refresh() {
    let w = World::start().await;
    w.add_app().await;
    // Given: a connection whose access token expires within 5 minutes.
    w.sandbox.update_switches(|s| s.access_token_ttl_secs = 120);
    let (login, _) = w.login(&[]).await;
    assert_eq!(login.code, 0, "{login:?}");
    // (a young token is not due yet: this run makes no refresh)
    let old = w.run(&["token"]).await;
    assert_eq!(old.code, 0, "{old:?}");
    w.age_connections();
    w.sandbox.clear_requests();

    // When: twenty processes ask for a token at once (all started before any is awaited).
    let outcomes = w.run_many(20, &["token"]).await;

    // Then: HubSpot saw one refresh, and everyone printed the same, new, valid token.
    assert_eq!(
        w.sandbox.count("/token", Some("refresh_token")),
        1,
        "exactly one refresh for 20 processes"
    );
    let tokens: HashSet<String> = outcomes
        .iter()
        .map(|o| {
            assert_eq!(o.code, 0, "{o:?}");
            assert!(o.stderr.is_empty(), "{o:?}");
            o.stdout.clone()
        })
        .collect();
    assert_eq!(tokens.len(), 1, "all print the same token: {tokens:?}");
    let token = tokens.into_iter().next().unwrap();
    assert_ne!(token, old.stdout, "the printed token is the refreshed one");
    assert_eq!(w.api_status(token.trim_end()).await, 200);
    let conn = &w.connections().await[0];
    assert_eq!(conn["state"], "fresh");
    assert!(!conn["last_refreshed_at"].is_null(), "the refresh was recorded");
    w.cleanup().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_browser_variable_when_logging_in_then_the_browser_gets_a_private_launch_page_and_stdout_stays_clean(
) {
    let w = World::start().await;
    w.add_app().await;
    w.sandbox.update_switches(|s| s.auto_grant = true);
    // Given: BROWSER is a script that records its argument (and prints noise, which must not
    // reach hubkey's stdout).
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("url");
    let script = dir.path().join("browser.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho browser-noise\nprintf '%s' \"$1\" > '{}.tmp' && mv '{0}.tmp' '{0}'\n",
            seen.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    // When: logging in without --no-browser.
    let mut cmd = w.command(&["login", "--json", "--timeout", "60"]);
    cmd.env("BROWSER", format!("{} %s", script.display()));
    let child = cmd.spawn().unwrap();
    let arg = loop {
        if let Ok(url) = std::fs::read_to_string(&seen) {
            break url;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    // Then: the browser got a file:// page (private), which sends it on to HubSpot's authorize URL.
    let page_path = url::Url::parse(&arg).unwrap().to_file_path().unwrap();
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&page_path).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "{}", page_path.display());
    let authorize = cli_support::launch_target(&std::fs::read_to_string(&page_path).unwrap());
    assert!(authorize.contains("state="), "{authorize}");
    assert_eq!(w.http.get(&authorize).send().await.unwrap().status(), 200);
    let out = child.wait_with_output().await.unwrap();

    // The connection is on stdout (JSON only); stderr has the note, never the authorize URL.
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let conn: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(conn["hub_id"], PRO);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("Opened HubSpot in your browser"), "{stderr}");
    assert!(!stderr.contains("state="), "{stderr}");
    assert!(!page_path.exists(), "the launch page outlived the login");
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_browser_that_cannot_start_when_logging_in_then_the_login_stops_and_says_to_use_no_browser() {
    let w = World::start().await;
    w.add_app().await;
    w.sandbox.update_switches(|s| s.auto_grant = true);
    let out = w
        .run_with(
            &["login", "--timeout", "60"],
            None,
            &[("BROWSER", "/nonexistent/browser")],
        )
        .await;
    assert_eq!(out.code, 2, "{out:?}");
    // After the preflight's note about the legacy `automation` scope, the one error line.
    let line = *out.stderr_lines().last().unwrap();
    assert!(line.starts_with("hubkey: "), "{out:?}");
    assert!(line.contains("could not open a browser"), "{line}");
    assert!(line.contains("hubkey login --no-browser"), "{line}");
    assert!(
        !out.stderr.contains("state="),
        "the URL is printed only with --no-browser: {out:?}"
    );
    assert!(w.connections().await.is_empty());
    w.cleanup().await;
}
