//! Issue 18, point 5: a Secret Service that never answers. A process of the attacker's (or a wedged keyring
//! daemon) owns `org.freedesktop.secrets` on the session bus and never replies. Every command that needs the
//! keychain must still answer within a bounded time, with exit 4 and one line, and never fall back to writing
//! a secret anywhere else. The bus is a private `dbus-daemon` of the test's; the connection the commands use
//! was made before, with the real gnome-keyring of scripts/with-keyring.sh.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli_support::World;

/// A private session bus; killed on drop.
struct Bus {
    daemon: Child,
    address: String,
}

impl Bus {
    fn start() -> Bus {
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (package dbus) starts");
        let mut line = String::new();
        BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line.trim().to_string();
        assert!(address.starts_with("unix:"), "dbus-daemon printed {line:?}");
        Bus { daemon, address }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// Owns `org.freedesktop.secrets` on `bus` and never reads a message: every call to it waits for an answer
/// that does not come. Held until dropped.
fn hanging_secret_service(bus: &Bus) -> dbus::blocking::Connection {
    let mut channel = dbus::channel::Channel::open_private(&bus.address).unwrap();
    channel.register().unwrap();
    let conn = dbus::blocking::Connection::from(channel);
    let reply = conn
        .request_name("org.freedesktop.secrets", false, true, true)
        .unwrap();
    assert_eq!(
        reply,
        dbus::blocking::stdintf::org_freedesktop_dbus::RequestNameReply::PrimaryOwner
    );
    conn
}

/// Every file under `dir`, as bytes.
fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push((path, bytes));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_a_secret_service_that_never_answers_makes_every_keychain_command_exit_4_in_bounded_time_and_nothing_falls_back_to_files(
) {
    let w = World::start().await;
    w.add_app().await;
    let (login, _) = w.login(&[]).await;
    assert_eq!(login.code, 0, "{login:?}");

    let bus = Bus::start();
    let _hang = hanging_secret_service(&bus);
    let canary = "canary-client-secret-that-must-not-land-in-a-file";
    let redirect = w.redirect_uri();
    let commands: Vec<(Vec<&str>, Option<&str>)> = vec![
        (vec!["token"], None),
        (vec!["token", "--json"], None),
        (vec!["headers"], None),
        (vec!["refresh"], None),
        (vec!["exec", "--", "true"], None),
        (
            vec![
                "app",
                "add",
                "other",
                "--client-id",
                hubspot_sandbox::DEMO_STANDARD_CLIENT_ID,
                "--redirect-uri",
                &redirect,
                "--scopes",
                "oauth",
            ],
            Some(canary),
        ),
    ];
    for (args, stdin) in &commands {
        let started = Instant::now();
        let out = w
            .run_with(
                args,
                *stdin,
                &[("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str())],
            )
            .await;
        let took = started.elapsed();
        assert_eq!(out.code, 4, "hubkey {args:?}: {out:?}");
        assert!(
            took < Duration::from_secs(60),
            "hubkey {args:?} took {took:?} (it must give up on a silent keychain)"
        );
        let line = out.assert_stderr_one_line().to_ascii_lowercase();
        assert!(
            line.contains("keychain") || line.contains("secret service"),
            "hubkey {args:?}: {line}"
        );
        assert!(
            out.stdout.trim().is_empty() || args.contains(&"--json"),
            "hubkey {args:?} printed {}",
            out.stdout
        );
    }
    // Nothing fell back to a file: the canary secret is nowhere under the home, and the app was not added.
    for (path, bytes) in files_under(w.home.path()) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(canary),
            "{} holds the secret",
            path.display()
        );
    }
    let apps = w.run(&["app", "list", "--json"]).await;
    assert!(!apps.stdout.contains("\"other\""), "{apps:?}");
    w.cleanup().await;
}
