#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `doctor`: preflight of each app, the keychain self-test and the reachability of the configured
//! hosts (the HubSpot sandbox), with the exit codes of design.md §4.

use crate::preflight_support;

use hubkey_core::config::Endpoints;
use hubkey_core::doctor::{doctor, CheckCategory, CheckStatus, DoctorReport};
use hubkey_core::preflight::PreflightEnv;
use hubkey_core::store::secrets::{self_test, Fault, MemoryStore};
use hubkey_core::Error;
use hubkey_testkit::closed_port_url;
use preflight_support::*;

async fn run(
    apps: &[hubkey_core::app::AppConfig],
    e: &Endpoints,
    keychain: hubkey_core::Result<()>,
) -> DoctorReport {
    doctor(
        apps,
        e,
        &PreflightEnv::without_port_check(),
        async { keychain },
        true,
    )
    .await
}

#[tokio::test]
async fn given_a_healthy_setup_when_doctor_runs_then_every_check_passes_and_the_exit_code_is_0() {
    let sb = sandbox().await;
    let e = endpoints(&sb);
    let store = MemoryStore::new();
    let report = doctor(
        &[demo_app(), mcp_app()],
        &e,
        &PreflightEnv::without_port_check(),
        async { self_test(&store) },
        true,
    )
    .await;
    assert_eq!(report.exit_code(), 0, "{:#?}", report.checks);
    assert!(report.ok());
    assert_eq!(report.with_id("preflight.ok").count(), 2);
    assert_eq!(report.find("keychain").unwrap().status, CheckStatus::Ok);
    for id in ["network.app_host", "network.api_host", "network.mcp_host"] {
        let c = report.find(id).unwrap();
        assert_eq!(c.status, CheckStatus::Ok, "{c:?}");
        assert!(c.detail.contains("answered (HTTP"), "{}", c.detail);
    }
    // The sandbox is an override of the real HubSpot: a warning, not a failure.
    let endpoints_check = report.find("config.endpoints").unwrap();
    assert_eq!(endpoints_check.status, CheckStatus::Warn);
    assert!(endpoints_check.detail.contains("Overridden by HUBKEY_*_BASE_URL"));
    // The report serializes for `hubkey doctor --json` and the UI.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["checks"][0]["id"], "config.endpoints");
    assert_eq!(json["checks"][0]["status"], "warn");
}

#[tokio::test]
async fn given_an_app_with_an_ip_redirect_when_doctor_runs_then_a_config_failure_exits_2() {
    let sb = sandbox().await;
    let mut app = demo_app();
    app.redirect_uri = "http://127.0.0.1:53682/callback".into();
    let report = run(&[app], &endpoints(&sb), Ok(())).await;
    let c = report.find("redirect.ip_literal").unwrap();
    assert_eq!(c.status, CheckStatus::Fail);
    assert_eq!(c.category, CheckCategory::Config);
    assert_eq!(c.subject.as_deref(), Some("demo"));
    assert_eq!(c.title, "Redirect URL of app \"demo\"");
    assert!(c.detail.contains("IP addresses are not supported"));
    assert!(c
        .fix
        .as_deref()
        .unwrap()
        .contains("http://localhost:53682/callback"));
    assert!(report.find("preflight.ok").is_none());
    assert_eq!(report.exit_code(), 2);
}

#[tokio::test]
async fn given_a_warning_only_app_when_doctor_runs_then_it_warns_and_still_exits_0() {
    // Issue 13: a made-up scope name is a warning (only HubSpot decides), so doctor exits 0.
    let sb = sandbox().await;
    let app = with_scopes(
        demo_app(),
        &["oauth", "crm.objects.contacts.read", "zz.made.up"],
        &[],
    );
    let report = run(&[app], &endpoints(&sb), Ok(())).await;
    let unknown = report.find("scopes.unknown").unwrap();
    assert_eq!(unknown.status, CheckStatus::Warn);
    assert!(unknown
        .detail
        .contains("zz.made.up is not in HubSpot's scope list as of"));
    assert_eq!(report.exit_code(), 0);
    // oauth missing, by contrast, is certain from HubSpot's rules: a failure.
    let no_oauth = with_scopes(demo_app(), &["crm.objects.contacts.read"], &[]);
    let report = run(&[no_oauth], &endpoints(&sb), Ok(())).await;
    assert_eq!(
        report.find("scopes.oauth_missing").unwrap().status,
        CheckStatus::Fail
    );
    assert_eq!(report.exit_code(), 2);
}

#[tokio::test]
async fn given_a_locked_keychain_when_doctor_runs_then_the_keychain_check_fails_and_exits_4() {
    let sb = sandbox().await;
    let store = MemoryStore::new();
    store.set_fault(Some(Fault::Locked));
    let report = doctor(
        &[demo_app()],
        &endpoints(&sb),
        &PreflightEnv::without_port_check(),
        async { self_test(&store) },
        true,
    )
    .await;
    let c = report.find("keychain").unwrap();
    assert_eq!(c.status, CheckStatus::Fail);
    assert_eq!(c.detail, "the system keychain is locked");
    assert_eq!(c.fix.as_deref(), Some(Error::KeychainLocked.hint().as_str()));
    assert_eq!(report.exit_code(), 4);
}

#[tokio::test]
async fn given_an_unreachable_api_host_when_doctor_runs_then_the_host_is_named_and_exit_is_5() {
    let sb = sandbox().await;
    let mut e = endpoints(&sb);
    let (closed, host) = closed_port_url();
    e.api_base = closed;
    let report = run(&[demo_app()], &e, Ok(())).await;
    let c = report.find("network.api_host").unwrap();
    assert_eq!(c.status, CheckStatus::Fail);
    assert_eq!(c.subject.as_deref(), Some(host.as_str()));
    assert!(
        c.detail
            .starts_with(&format!("Cannot reach {host}: could not connect")),
        "{}",
        c.detail
    );
    assert_eq!(report.find("network.app_host").unwrap().status, CheckStatus::Ok);
    assert_eq!(report.exit_code(), 5);
    // A configuration failure as well: configuration is fixed first (exit 2).
    let mut bad = demo_app();
    bad.redirect_uri = "hubkey://oauth/callback".into();
    assert_eq!(run(&[bad], &e, Ok(())).await.exit_code(), 2);
}

#[tokio::test]
async fn given_no_apps_and_reachability_off_when_doctor_runs_then_a_warning_and_no_network_checks() {
    let e = Endpoints::hubspot();
    let report = doctor(
        &[],
        &e,
        &PreflightEnv::without_port_check(),
        async { Ok(()) },
        false,
    )
    .await;
    let c = report.find("config.apps").unwrap();
    assert_eq!(c.status, CheckStatus::Warn);
    assert!(c.fix.as_deref().unwrap().contains("hubkey app add"));
    assert_eq!(report.find("config.endpoints").unwrap().status, CheckStatus::Ok);
    assert!(report.checks.iter().all(|c| c.category != CheckCategory::Network));
    assert_eq!(report.exit_code(), 0);
}
