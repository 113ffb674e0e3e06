//! Error paths of the `hubkey` binary: each is exactly one line on stderr, nothing on stdout, and
//! the exit code of design.md §4 (2 usage/configuration, 3 re-authorize, 4 keychain, 5 HubSpot or
//! network). Also T15: logout with HubSpot unreachable still deletes locally.
//! Run under `scripts/with-keyring.sh` (a private Secret Service).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::cli_support;

use cli_support::{free_port, World, APP, CLIENT_SECRET, PRO, STARTER};
use hubspot_sandbox::DEMO_STANDARD_CLIENT_ID;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_an_empty_home_when_token_runs_then_it_exits_2_pointing_at_app_add() {
    let w = World::start().await;

    let out = w.run(&["token"]).await;

    let line = out.assert_one_error_line(2);
    assert!(line.contains("no app is registered"), "{line}");
    assert!(line.contains("hubkey app add"), "{line}");
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_two_connections_when_token_runs_without_portal_then_it_exits_2_naming_both() {
    let w = World::start().await;
    w.add_app().await;
    let (first, _) = w.login(&[]).await;
    assert_eq!(first.code, 0, "{first:?}");
    let (second, url) = w.login(&["--portal", &STARTER.to_string()]).await;
    assert_eq!(second.code, 0, "{second:?}");
    assert!(url.contains(&format!("/oauth/{STARTER}/authorize")), "{url}");

    let out = w.run(&["token"]).await;

    let line = out.assert_one_error_line(2);
    assert!(
        line.contains(&PRO.to_string()) && line.contains(&STARTER.to_string()),
        "{line}"
    );
    assert!(line.contains("pass --portal"), "{line}");
    // With --portal it works.
    let ok = w.run(&["token", "--portal", &STARTER.to_string()]).await;
    assert_eq!(ok.code, 0, "{ok:?}");
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_an_uninstalled_app_and_an_expiring_token_when_token_runs_then_it_exits_3_with_a_reauthorize_hint(
) {
    let w = World::start().await;
    w.add_app().await;
    w.sandbox.update_switches(|s| s.access_token_ttl_secs = 120);
    let (login, _) = w.login(&[]).await;
    assert_eq!(login.code, 0, "{login:?}");
    w.age_connections();
    assert!(w.sandbox.uninstall(DEMO_STANDARD_CLIENT_ID, PRO) > 0);

    let out = w.run(&["token"]).await;

    let line = out.assert_one_error_line(3);
    assert!(line.contains("BAD_REFRESH_TOKEN"), "{line}");
    assert!(
        line.contains(&format!("hubkey login --app {APP} --portal {PRO}")),
        "{line}"
    );
    assert_eq!(w.connections().await[0]["state"], "needs_reauth");
    // No retry loop: a second run makes no further refresh call (T13).
    let refreshes = w.sandbox.count("/token", Some("refresh_token"));
    w.run(&["token"]).await.assert_one_error_line(3);
    assert_eq!(w.sandbox.count("/token", Some("refresh_token")), refreshes);
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_given_no_keychain_when_an_app_is_added_then_it_exits_4_and_nothing_is_stored() {
    let w = World::start().await;
    let redirect = w.redirect_uri();

    let out = w
        .run_with(
            &[
                "app",
                "add",
                APP,
                "--client-id",
                DEMO_STANDARD_CLIENT_ID,
                "--redirect-uri",
                &redirect,
                "--scopes",
                "oauth",
            ],
            Some(CLIENT_SECRET),
            &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")],
        )
        .await;

    let line = out.assert_one_error_line(4);
    assert!(line.contains("keychain"), "{line}");
    assert!(!line.contains(CLIENT_SECRET));
    assert_eq!(
        w.run(&["app", "list", "--json"]).await.json()["apps"],
        serde_json::json!([])
    );
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_hubspot_unreachable_and_a_token_about_to_expire_when_token_runs_then_it_exits_5_after_retries()
{
    let w = World::start().await;
    w.add_app().await;
    // Given: a token that will have under a minute left once the retries (about 15 s) are over,
    // too little to hand out instead of failing.
    w.sandbox.update_switches(|s| s.access_token_ttl_secs = 45);
    let (login, _) = w.login(&[]).await;
    assert_eq!(login.code, 0, "{login:?}");
    w.age_connections();
    let closed = format!("http://127.0.0.1:{}", free_port());

    let out = w
        .run_with(&["token"], None, &[("HUBKEY_API_BASE_URL", &closed)])
        .await;

    let line = out.assert_one_error_line(5);
    assert!(line.contains("HubSpot is unavailable"), "{line}");
    assert_eq!(w.connections().await[0]["state"], "retrying");
    // Nothing was lost: with HubSpot back, the same connection refreshes.
    let back = w.run(&["token"]).await;
    assert_eq!(back.code, 0, "{back:?}");
    assert_eq!(w.connections().await[0]["state"], "fresh");
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_hubspot_unreachable_and_a_token_still_valid_for_minutes_when_token_runs_then_the_current_token_is_printed(
) {
    let w = World::start().await;
    w.add_app().await;
    w.sandbox.update_switches(|s| s.access_token_ttl_secs = 240);
    let (login, _) = w.login(&[]).await;
    assert_eq!(login.code, 0, "{login:?}");
    w.age_connections();
    let closed = format!("http://127.0.0.1:{}", free_port());

    // When: the refresh is due but HubSpot cannot be reached.
    let out = w
        .run_with(&["token"], None, &[("HUBKEY_API_BASE_URL", &closed)])
        .await;

    // Then: the still-valid token is handed out, stdout holds only it, stderr stays empty.
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
    assert_eq!(out.stdout.lines().count(), 1);
    assert_eq!(w.api_status(out.stdout.trim_end()).await, 200);
    assert_eq!(w.sandbox.count("/token", Some("refresh_token")), 0);
    assert_eq!(w.connections().await[0]["state"], "retrying");
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_client_secret_flag_when_adding_an_app_then_clap_refuses_it_with_exit_2() {
    let w = World::start().await;

    let out = w
        .run(&[
            "app",
            "add",
            APP,
            "--client-id",
            DEMO_STANDARD_CLIENT_ID,
            "--redirect-uri",
            "http://localhost:3000/oauth-callback",
            "--scopes",
            "oauth",
            "--client-secret",
            "x",
        ])
        .await;

    let line = out.assert_one_error_line(2);
    assert!(line.contains("--client-secret"), "{line}");
    assert!(line.contains("stdin"), "{line}");
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_empty_stdin_when_adding_an_app_then_it_exits_2() {
    let w = World::start().await;
    let redirect = w.redirect_uri();

    let out = w
        .run_with(
            &[
                "app",
                "add",
                APP,
                "--client-id",
                "x",
                "--redirect-uri",
                &redirect,
                "--scopes",
                "oauth",
            ],
            Some(""),
            &[],
        )
        .await;

    let line = out.assert_one_error_line(2);
    assert!(line.contains("no client secret"), "{line}");
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_connected_app_when_removed_before_logout_then_it_exits_2_and_says_to_log_out() {
    let w = World::start().await;
    w.add_app().await;
    let (login, _) = w.login(&[]).await;
    assert_eq!(login.code, 0, "{login:?}");

    let out = w.run(&["app", "remove", APP]).await;

    let line = out.assert_one_error_line(2);
    assert!(line.contains("hubkey logout"), "{line}");
    w.cleanup().await;
}

/// threat-model.md T15: a failed revoke is reported, the local deletion happens anyway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t15_given_hubspot_unreachable_when_logging_out_then_local_tokens_are_deleted_and_the_failed_revoke_is_reported(
) {
    let w = World::start().await;
    w.add_app().await;
    let (login, _) = w.login(&[]).await;
    assert_eq!(login.code, 0, "{login:?}");
    let closed = format!("http://127.0.0.1:{}", free_port());

    let out = w
        .run_with(
            &["logout", "--portal", &PRO.to_string()],
            None,
            &[("HUBKEY_API_BASE_URL", &closed)],
        )
        .await;

    assert_eq!(
        out.code, 0,
        "logout exits 0 once the local deletion is done: {out:?}"
    );
    let lines = out.stderr_lines();
    assert_eq!(lines.len(), 1, "{out:?}");
    assert!(
        lines[0].starts_with("hubkey: warning: revoking the refresh token at HubSpot failed"),
        "{out:?}"
    );
    assert!(out.stdout.contains("local tokens deleted"), "{out:?}");
    assert!(out.stdout.contains("stays valid until"), "{out:?}");
    assert_eq!(w.sandbox.count("/token/revoke", None), 0);
    assert!(w.connections().await.is_empty());
    // The tokens are gone from the keychain too: nothing to hand out.
    let token = w.run(&["token"]).await;
    token.assert_one_error_line(3);
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_an_app_already_registered_when_added_again_then_it_is_refused_unless_replace_is_given() {
    let w = World::start().await;
    w.add_app().await;
    let other = format!("http://localhost:{}/other", free_port());
    let again = |extra: &'static [&'static str]| {
        let mut args = vec![
            "app",
            "add",
            APP,
            "--client-id",
            DEMO_STANDARD_CLIENT_ID,
            "--redirect-uri",
            other.as_str(),
            "--scopes",
            "oauth",
        ];
        args.extend_from_slice(extra);
        args
    };

    let refused = w
        .run_with(&again(&[]), Some(&format!("{CLIENT_SECRET}\n")), &[])
        .await;

    let line = refused.assert_one_error_line(2);
    assert!(
        line.contains(&format!("An app named “{APP}” already exists")) && line.contains("--replace"),
        "{line}"
    );
    let apps = w.run(&["app", "list", "--json"]).await.json()["apps"].clone();
    assert_eq!(
        apps[0]["redirect_uri"],
        w.redirect_uri(),
        "the first app is kept as it was"
    );

    let replaced = w
        .run_with(&again(&["--replace"]), Some(&format!("{CLIENT_SECRET}\n")), &[])
        .await;

    assert_eq!(replaced.code, 0, "{replaced:?}");
    let apps = w.run(&["app", "list", "--json"]).await.json()["apps"].clone();
    assert_eq!(apps.as_array().unwrap().len(), 1);
    assert_eq!(apps[0]["redirect_uri"], other.as_str());
    w.cleanup().await;
}
