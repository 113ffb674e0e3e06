//! Issue 13 at the command line, against the HubSpot sandbox: a scope name Hubkey does not know never
//! stops a login or a registration; HubSpot (the sandbox) has the last word. `hubkey login` for an
//! app requesting HubSpot's engagement scopes completes; one requesting every scope of the catalog,
//! or a made-up scope, starts (the made-up one with a warning line); `hubkey doctor` reports the
//! made-up one as a warning and exits 0. Run under `scripts/with-keyring.sh`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::cli_support;

use cli_support::{World, APP, PRO};
use hubkey_core::scopes::ScopeCatalog;
use hubspot_sandbox::DEMO_STANDARD_CLIENT_ID;
use serde_json::Value;

/// The scopes the first catalog took for typos (issue 13), all in HubSpot's table.
const ENGAGEMENT: [&str; 4] = [
    "crm.objects.tasks.write",
    "crm.objects.notes.write",
    "crm.objects.calls.write",
    "crm.objects.tickets.read",
];

/// The line of stderr that is the authorize URL.
fn url_line(stderr: &str) -> Option<&str> {
    stderr
        .lines()
        .find(|l| l.starts_with("http://") || l.starts_with("https://"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_an_app_requesting_hubspots_engagement_scopes_when_logging_in_then_the_login_completes_without_a_warning(
) {
    // HubSpot's side: the app is configured with them (HubSpot's table lists them: hubspot-oauth.md,
    // Corrections of 2026-12-02).
    let w = World::start_with(|f| {
        let app = f
            .apps
            .iter_mut()
            .find(|a| a.client_id == DEMO_STANDARD_CLIENT_ID)
            .unwrap();
        app.required_scopes
            .extend(ENGAGEMENT.iter().map(|s| (*s).to_owned()));
    })
    .await;
    let scopes = format!("oauth crm.objects.contacts.read {}", ENGAGEMENT.join(" "));
    let added = w
        .add_app_as(APP, &w.redirect_uri(), &scopes, "crm.objects.deals.read")
        .await;
    assert!(added.stderr.is_empty(), "no warning for real scopes: {added:?}");

    let (login, _url) = w.login(&[]).await;

    let conn = login.json();
    assert_eq!(conn["hub_id"], PRO);
    let granted: Vec<&str> = conn["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for s in ENGAGEMENT {
        assert!(granted.contains(&s), "{s}: {granted:?}");
    }
    assert!(
        !login.stderr.contains("warning"),
        "no preflight warning: {}",
        login.stderr
    );
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_an_app_requesting_every_scope_of_the_catalog_when_logging_in_then_the_login_starts() {
    let w = World::start().await;
    let all: Vec<&str> = ScopeCatalog::embedded()
        .all()
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert!(all.len() > 240);
    w.add_app_as(APP, &w.redirect_uri(), &all.join(" "), "").await;
    w.sandbox.clear_requests();

    let out = w.run(&["login", "--no-browser", "--timeout", "1"]).await;

    // It started: the authorize URL was printed with every scope, and it waited for HubSpot.
    let url = url_line(&out.stderr).unwrap_or_else(|| panic!("no URL: {out:?}"));
    let scope = url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert_eq!(scope.split(' ').count(), all.len());
    assert!(
        out.stderr.contains("hubkey: no answer from HubSpot after 1 s"),
        "{out:?}"
    );
    assert_eq!(out.code, 5, "a timeout, not a refusal (exit 2): {out:?}");
    assert!(!out.stderr.contains("is not in HubSpot's scope list"), "{out:?}");
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_an_app_with_a_made_up_scope_when_added_and_logging_in_then_each_warns_once_and_the_login_starts(
) {
    let w = World::start().await;
    let as_of = ScopeCatalog::embedded().as_of();

    let added = w
        .add_app_as(
            APP,
            &w.redirect_uri(),
            "oauth crm.objects.contacts.read zz.made.up.scope",
            "",
        )
        .await;
    let warning = format!("hubkey: warning: zz.made.up.scope is not in HubSpot's scope list as of {as_of}.");
    assert_eq!(added.stderr_lines().len(), 1, "{added:?}");
    assert!(added.stderr.starts_with(&warning), "{added:?}");

    let out = w.run(&["login", "--no-browser", "--timeout", "2"]).await;

    let lines = out.stderr_lines();
    let warned = lines
        .iter()
        .position(|l| l.starts_with(&warning))
        .unwrap_or_else(|| panic!("no warning line: {out:?}"));
    let url = url_line(&out.stderr).unwrap_or_else(|| panic!("the login did not start: {out:?}"));
    let at = lines.iter().position(|l| *l == url).unwrap();
    assert!(warned < at, "the warning comes before the URL: {out:?}");
    assert!(url.contains("zz.made.up.scope"), "{url}");
    assert_eq!(out.code, 5, "timed out waiting, not refused: {out:?}");
    // HubSpot has the last word: the sandbox, like HubSpot, does not know the name.
    let page = w.http.get(url).send().await.unwrap();
    assert_eq!(
        page.headers().get("x-sandbox-error").map(|v| v.to_str().unwrap()),
        Some("invalid_scope_name")
    );
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_an_app_with_a_made_up_scope_when_doctor_runs_then_it_is_a_warning_and_doctor_exits_0() {
    let w = World::start().await;
    w.add_app_as(
        APP,
        &w.redirect_uri(),
        "oauth crm.objects.contacts.read zz.made.up.scope",
        "",
    )
    .await;

    let text = w.run(&["doctor"]).await;
    assert_eq!(text.code, 0, "{text:?}");
    assert!(
        text.stdout.lines().any(|l| l
            .starts_with("warn  Scopes of app \"demo\": zz.made.up.scope is not in HubSpot's scope list")),
        "{}",
        text.stdout
    );

    let json = w.run(&["doctor", "--json"]).await;
    assert_eq!(json.code, 0, "{json:?}");
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    let unknown: Vec<&Value> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == "scopes.unknown")
        .collect();
    assert_eq!(unknown.len(), 1, "{v}");
    assert_eq!(unknown[0]["status"], "warn");
    assert_eq!(unknown[0]["subject"], "demo");
    w.cleanup().await;
}
