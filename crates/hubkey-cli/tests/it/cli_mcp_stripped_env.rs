//! The keychain from a stripped environment (issue 15, point 5), for real: a private D-Bus
//! session bus listening at `$dir/bus` with its own gnome-keyring (a systemd user session's
//! layout), and `hubkey` run under `env -i` with only HOME, PATH and XDG_RUNTIME_DIR — no
//! `DBUS_SESSION_BUS_ADDRESS`, no `HUBKEY_*`: settings travel as flags.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::cli_support;
use crate::mcp_support;

use cli_support::World;
use std::time::Duration;

/// `env -i HOME=… PATH=… [XDG_RUNTIME_DIR=…] hubkey ARGS… <settings flags>`. (With
/// XDG_RUNTIME_DIR set, libdbus 1.14 finds `$XDG_RUNTIME_DIR/bus` by itself; Hubkey does the same
/// for libdbus builds that do not.)
async fn stripped(
    w: &World,
    runtime_dir: Option<&std::path::Path>,
    extra_env: &[(&str, &str)],
    args: &[&str],
) -> cli_support::Outcome {
    let mut cmd = tokio::process::Command::new("env");
    cmd.arg("-i")
        .arg(format!("HOME={}", w.home.path().display()))
        .arg(format!("PATH={}", std::env::var("PATH").unwrap()));
    if let Some(dir) = runtime_dir {
        cmd.arg(format!("XDG_RUNTIME_DIR={}", dir.display()));
    }
    for (k, v) in extra_env {
        cmd.arg(format!("{k}={v}"));
    }
    let base = w.sandbox.base_url();
    let mcp = w.sandbox.mcp_base_url();
    cmd.arg(env!("CARGO_BIN_EXE_hubkey"))
        .args(args)
        .args([
            "--home",
            w.home.path().to_str().unwrap(),
            "--keychain-service",
            &w.service,
        ])
        .args([
            "--app-base-url",
            &base,
            "--api-base-url",
            &base,
            "--mcp-base-url",
            &mcp,
        ]);
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .unwrap()
        .unwrap();
    cli_support::Outcome::new(
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[tokio::test]
async fn given_env_i_with_only_home_path_and_xdg_runtime_dir_when_headers_json_runs_with_flags_then_the_keychain_is_found_on_the_user_bus(
) {
    let bus = mcp_support::PrivateBus::start();
    // Everything this test starts (app add, login) uses the private keyring; nextest runs each
    // test in its own process, so this reaches no other test.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", bus.address());
    let w = World::start().await;
    w.add_app().await;
    let (login, _) = w.login(&[]).await;
    assert_eq!(login.code, 0, "{login:?}");
    let out = stripped(&w, Some(bus.dir()), &[], &["headers", "--json"]).await;
    assert_eq!(out.code, 0, "{out:?}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let token = v["Authorization"]
        .as_str()
        .unwrap()
        .strip_prefix("Bearer ")
        .unwrap();
    assert_eq!(w.api_status(token).await, 200);
    assert!(out.stderr.is_empty(), "{out:?}");
    w.cleanup().await;
}

#[tokio::test]
async fn given_env_i_and_no_reachable_keychain_when_headers_runs_then_it_is_the_one_line_keychain_error_with_exit_4(
) {
    let w = World::start().await;
    w.add_app().await;
    let (login, _) = w.login(&[]).await;
    assert_eq!(login.code, 0, "{login:?}");
    let nowhere = tempfile::tempdir().unwrap();
    let bus = format!("unix:path={}/no-bus-here", nowhere.path().display());
    let out = stripped(
        &w,
        Some(nowhere.path()),
        &[("DBUS_SESSION_BUS_ADDRESS", &bus)],
        &["headers", "--json"],
    )
    .await;
    let line = out.assert_one_error_line(4);
    assert!(line.contains("keychain"), "{line}");
    w.cleanup().await;
}

/// The MCP SDKs' default environment has no XDG_RUNTIME_DIR either (HOME, LOGNAME, PATH, SHELL,
/// TERM, USER): libdbus then finds no bus at all, and only Hubkey's fallback to
/// `/run/user/<uid>/bus` reaches the keychain. Runs where that folder can be made for the test
/// (CI); on a machine with a real login session there, it says so and checks nothing.
#[cfg(unix)]
#[tokio::test]
async fn given_env_i_with_only_home_and_path_when_the_user_bus_is_at_run_user_then_the_keychain_is_found_there(
) {
    let Some(bus) = mcp_support::PrivateBus::at_run_user() else {
        eprintln!(
            "skipped: /run/user/{} exists (a real session's bus) or cannot be created",
            mcp_support::uid()
        );
        return;
    };
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", bus.address());
    let w = World::start().await;
    w.add_app().await;
    let (login, _) = w.login(&[]).await;
    assert_eq!(login.code, 0, "{login:?}");
    let out = stripped(&w, None, &[], &["headers", "--json"]).await;
    assert_eq!(out.code, 0, "{out:?}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let token = v["Authorization"]
        .as_str()
        .unwrap()
        .strip_prefix("Bearer ")
        .unwrap();
    assert_eq!(w.api_status(token).await, 200);
    w.cleanup().await;
}
