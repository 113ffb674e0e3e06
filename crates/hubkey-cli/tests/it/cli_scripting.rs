//! Scripting on a par with gh (issue 16, point 5): `status`'s exit 1 when a connection needs
//! re-authorization, `--json` on every command that prints (errors as one JSON line on stderr),
//! and the default connection (`hubkey use`) in the selection order flags > `HUBKEY_APP` /
//! `HUBKEY_PORTAL` > the stored default > the only choice. The real binary against the sandbox.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::cli_support;

use cli_support::{World, APP, CLIENT_SECRET, PRO, STARTER};
use hubspot_sandbox::DEMO_STANDARD_CLIENT_ID;
use serde_json::Value;

async fn connected() -> World {
    let w = World::start().await;
    w.add_app().await;
    let (out, _) = w.login(&[]).await;
    assert_eq!(out.code, 0, "{out:?}");
    w
}

fn parse(out: &cli_support::Outcome) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {out:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_connection_that_needs_reauth_when_status_runs_then_it_prints_everything_and_exits_1_else_0()
{
    let w = connected().await;
    // Given a healthy connection: exit 0, text and JSON.
    let ok = w.run(&["status"]).await;
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(ok.stderr.is_empty(), "{ok:?}");
    assert_eq!(w.run(&["status", "--json"]).await.code, 0);

    // When HubSpot no longer accepts it (uninstalled; a refresh finds out).
    assert!(w.sandbox.uninstall(DEMO_STANDARD_CLIENT_ID, PRO) >= 1);
    assert_eq!(w.run(&["refresh"]).await.code, 3);

    // Then status still prints the table, says what to run on stderr, and exits 1.
    let text = w.run(&["status"]).await;
    assert_eq!(text.code, 1, "{text:?}");
    assert!(text.stdout.contains(&PRO.to_string()), "{text:?}");
    let line = text.assert_stderr_one_line();
    assert!(
        line.contains(&format!("hubkey login --app {APP} --portal {PRO}")),
        "{line}"
    );
    // Under --json: the whole document on stdout, the error as one JSON object on stderr.
    let json = w.run(&["status", "--json"]).await;
    assert_eq!(json.code, 1, "{json:?}");
    assert_eq!(parse(&json)["connections"][0]["state"], "needs_reauth");
    let err: Value = serde_json::from_str(json.stderr.trim()).unwrap();
    assert_eq!(err["error"]["code"], "needs_reauth");
    assert_eq!(err["error"]["exit_code"], 1);
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_connection_when_token_json_runs_then_the_object_holds_a_token_the_sandbox_accepts_and_nothing_is_on_stderr(
) {
    let w = connected().await;
    let out = w.run(&["token", "--json"]).await;
    let v = out.json();
    assert!(
        out.stderr.is_empty(),
        "nothing (secret or not) on stderr: {out:?}"
    );
    let token = v["token"].as_str().unwrap();
    assert_eq!(v["app"], APP);
    assert_eq!(v["hub_id"], PRO);
    assert_eq!(v["expires_at"], w.connections().await[0]["expires_at"]);
    // The token is live: the sandbox's introspection and its protected API accept it.
    let info: Value = w
        .http
        .post(format!("{}/oauth/2026-03/token/introspect", w.sandbox.base_url()))
        .form(&[
            ("client_id", DEMO_STANDARD_CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("token", token),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(w.api_status(token).await, 200);
    // The same token as plain `hubkey token` prints.
    assert_eq!(w.run(&["token"]).await.stdout, format!("{token}\n"));
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_every_command_that_prints_when_run_with_json_then_stdout_is_one_json_document() {
    let w = connected().await;
    let pro = PRO.to_string();
    let cursor = w.home.path().join("cursor-mcp.json");
    let cursor = cursor.to_str().unwrap();
    let secret = format!("{CLIENT_SECRET}\n");
    let redirect = w.redirect_uri();
    // (command line, stdin): every subcommand of `hubkey --help` that prints its own output.
    let runs: Vec<(Vec<&str>, Option<&str>)> = vec![
        (vec!["app", "list", "--json"], None),
        (
            vec![
                "app",
                "add",
                "second",
                "--client-id",
                DEMO_STANDARD_CLIENT_ID,
                "--redirect-uri",
                &redirect,
                "--scopes",
                "oauth",
                "--json",
            ],
            Some(&secret),
        ),
        (vec!["app", "remove", "second", "--json"], None),
        (vec!["status", "--json"], None),
        (vec!["token", "--json"], None),
        (vec!["refresh", "--json"], None),
        (vec!["use", "--json"], None),
        (vec!["use", "--app", APP, "--portal", &pro, "--json"], None),
        (vec!["doctor", "--json"], None),
        (vec!["headers", "--json"], None),
        (vec!["mcp", "install", "cursor", "--print", "--json"], None),
        (
            vec!["mcp", "install", "cursor", "--config", cursor, "--json"],
            None,
        ),
        (vec!["logout", "--portal", &pro, "--json"], None),
    ];
    // The list covers every subcommand but the two whose stdout is not Hubkey's: `exec` (the
    // child's) and the `mcp` bridge (JSON-RPC); `login --json` is what World::login runs.
    let help = w.run(&["--help"]).await.stdout;
    let listed: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    for command in &listed {
        let covered = runs.iter().any(|(args, _)| args[0] == *command);
        assert!(
            covered || ["exec", "login"].contains(command),
            "no --json run for {command}"
        );
    }
    assert!(listed.len() >= 11, "{listed:?}");
    for (args, stdin) in &runs {
        let out = w.run_with(args, *stdin, &[]).await;
        assert_eq!(out.code, 0, "{args:?}: {out:?}");
        parse(&out);
    }
    // The default set above named the connection logged out last: it is ignored now.
    assert_eq!(parse(&w.run(&["use", "--json"]).await)["default"], Value::Null);
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_failure_under_json_then_stderr_is_one_json_object_with_the_stable_code_and_stdout_is_empty()
{
    let w = World::start().await;
    let out = w.run(&["token", "--json"]).await;
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let err: Value = serde_json::from_str(out.assert_stderr_one_line()).unwrap();
    assert_eq!(err["error"]["code"], "not_found", "{err}");
    assert_eq!(err["error"]["exit_code"], 2);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("hubkey app add"),
        "{err}"
    );
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_two_portals_and_a_default_when_token_runs_then_flags_beat_env_and_env_beats_the_default() {
    let w = connected().await;
    let (second, _) = w.login(&["--portal", &STARTER.to_string()]).await;
    assert_eq!(second.code, 0, "{second:?}");
    let hub = |out: cli_support::Outcome| out.json()["hub_id"].as_u64().unwrap();

    // Given no default: ambiguous, as before.
    assert_eq!(w.run(&["token"]).await.code, 2);
    let none = w.run(&["use"]).await;
    assert!(none.stdout.starts_with("No default connection"), "{none:?}");

    // When the default is STARTER, `token` without flags picks it.
    let set = w
        .run(&["use", "--app", APP, "--portal", &STARTER.to_string()])
        .await;
    assert_eq!(set.code, 0, "{set:?}");
    assert_eq!(hub(w.run(&["token", "--json"]).await), STARTER);
    assert!(w.run(&["use"]).await.stdout.contains(&STARTER.to_string()));

    // HUBKEY_PORTAL beats the default; a flag beats HUBKEY_PORTAL.
    let pro = PRO.to_string();
    let env = [("HUBKEY_PORTAL", pro.as_str()), ("HUBKEY_APP", APP)];
    assert_eq!(hub(w.run_with(&["token", "--json"], None, &env).await), PRO);
    let flag = w
        .run_with(&["token", "--json", "--portal", &STARTER.to_string()], None, &env)
        .await;
    assert_eq!(hub(flag), STARTER);

    // A default whose connection is gone is ignored (ambiguity again, not an error about it).
    w.run(&["logout", "--portal", &STARTER.to_string(), "--keep-remote"])
        .await;
    assert_eq!(
        hub(w.run(&["token", "--json"]).await),
        PRO,
        "the only connection left"
    );
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_an_index_written_before_the_default_existed_when_commands_run_then_it_loads_and_stays_compatible(
) {
    let w = connected().await;
    let raw: Value = serde_json::from_slice(&std::fs::read(w.index_path()).unwrap()).unwrap();
    assert!(
        raw.get("default_connection").is_none(),
        "not written while unset: {raw}"
    );
    assert_eq!(w.run(&["status", "--json"]).await.code, 0);
    assert_eq!(w.run(&["use", "--json"]).await.json()["default"], Value::Null);
    w.run(&["use", "--portal", &PRO.to_string()]).await;
    let raw: Value = serde_json::from_slice(&std::fs::read(w.index_path()).unwrap()).unwrap();
    assert_eq!(raw["default_connection"]["hub_id"], PRO);
    assert_eq!(raw["version"], 1, "the schema version is unchanged");
    let used = w.run(&["use", "--json"]).await.json();
    assert_eq!(used["default"]["app"], APP);
    assert_eq!(used["default"]["hub_id"], PRO, "{used}");
    w.cleanup().await;
}
