//! Issue 18, point 5: a Secret Service that never answers. A process of the attacker's (or a wedged keyring
//! daemon) owns `org.freedesktop.secrets` on the session bus and never replies. Every command that needs the
//! keychain must still answer within a bounded time, with exit 4 and one line, and never fall back to writing
//! a secret anywhere else. The bus is a private `dbus-daemon` of the test's; the connection the commands use
//! was made before, with the real gnome-keyring of scripts/with-keyring.sh.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli_support::{app_add_args, World};

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
        (app_add_args("other", &redirect, "oauth"), Some(canary)),
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

// ----- point 4: the store's files ----------------------------------------------------------------------------

/// `index.json` planted as a link to a file of the user's: nothing is ever written through it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_an_index_planted_as_a_link_to_a_users_file_is_never_written_through() {
    let w = World::start().await;
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("bashrc");
    std::fs::write(&victim, "precious\n").unwrap();
    std::fs::create_dir_all(w.home.path()).unwrap();
    std::os::unix::fs::symlink(&victim, w.index_path()).unwrap();

    let redirect = w.redirect_uri();
    let add = app_add_args("demo", &redirect, "oauth");
    let out = w.run_with(&add, Some("secret\n"), &[]).await;
    assert_ne!(out.code, 0, "an index that is a link is refused: {out:?}");
    for args in [vec!["status"], vec!["app", "list"], vec!["token"]] {
        let out = w.run(&args).await;
        assert_ne!(out.code, 0, "hubkey {args:?}: {out:?}");
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(
        std::fs::symlink_metadata(w.index_path())
            .unwrap()
            .file_type()
            .is_symlink(),
        "the planted link is left for the user to see, not replaced blindly"
    );
    std::fs::remove_file(w.index_path()).unwrap();
    w.cleanup().await;
}

/// Eight `hubkey app add` processes at once, each adding its own app: none of them is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_eight_processes_writing_the_index_at_once_lose_nothing() {
    let w = World::start().await;
    let names: Vec<String> = (0..8).map(|i| format!("app-{i}")).collect();
    let mut children = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let redirect = format!("http://localhost:{}/callback", 40000 + i);
        let mut cmd = w.command(&app_add_args(name, &redirect, "oauth"));
        cmd.stdin(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        children.push(tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            stdin.write_all(b"secret\n").await.unwrap();
            drop(stdin);
            child.wait_with_output().await.unwrap()
        }));
    }
    for child in children {
        let out = child.await.unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let list = w.run(&["app", "list", "--json"]).await;
    assert_eq!(list.code, 0, "{list:?}");
    for name in &names {
        assert!(
            list.stdout.contains(&format!("\"{name}\"")),
            "{name} was lost: {}",
            list.stdout
        );
    }
    w.cleanup().await;
}

// ----- point 6: the process surface ----------------------------------------------------------------------------

/// This process's effective uid, from /proc.
fn euid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

/// Whether the kernel treats `pid` as not dumpable, seen from outside: its `/proc` files then belong to root,
/// and a process of the same (non-root) user may not read its environment.
fn looks_not_dumpable(pid: u32, runs_as: u32) -> bool {
    use std::os::unix::fs::MetadataExt;
    let environ = format!("/proc/{pid}/environ");
    if runs_as != 0 && euid() == runs_as {
        return matches!(std::fs::read(&environ), Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied);
    }
    std::fs::metadata(&environ).is_ok_and(|m| m.uid() == 0)
}

/// Starts `program args` waiting on its stdin, as `nobody` when the test runs as root (so ownership tells);
/// returns the child and the uid it runs as.
fn waiting_on_stdin(program: &str, args: &[&str], home: &std::path::Path) -> (Child, u32) {
    let me = euid();
    let mut cmd = if me == 0 {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--", program]);
        c
    } else {
        Command::new(program)
    };
    let child = cmd
        .args(args)
        .env("HUBKEY_HOME", home)
        .env("HOME", home)
        .env("HUBKEY_API_BASE_URL", "http://127.0.0.1:9")
        .env("HUBKEY_APP_BASE_URL", "http://127.0.0.1:9")
        .env("HUBKEY_MCP_BASE_URL", "http://127.0.0.1:9")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("setpriv (util-linux) starts");
    (child, if me == 0 { 65534 } else { me })
}

#[test]
fn attack_reading_a_running_hubkeys_memory_environment_or_core_dump_finds_it_not_dumpable() {
    let home = tempfile::tempdir().unwrap();
    if euid() == 0 {
        std::os::unix::fs::chown(home.path(), Some(65534), Some(65534)).unwrap();
    }
    // `hubkey app add` waits for the client secret on stdin: a hubkey process that is about to hold a secret.
    // A copy that `nobody` may read: the kernel makes any program it may not read undumpable by itself.
    let bin = tempfile::tempdir().unwrap();
    let copy = bin.path().join("hubkey");
    std::fs::copy(env!("CARGO_BIN_EXE_hubkey"), &copy).unwrap();
    for dir in [bin.path(), copy.as_path()] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let hubkey = copy.to_str().unwrap();
    let add = app_add_args("demo", "http://localhost:53682/callback", "oauth");
    let (mut child, uid) = waiting_on_stdin(hubkey, &add, home.path());
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = false;
    while Instant::now() < deadline {
        // A process that has exited (a zombie) has no memory left and looks "not dumpable" too.
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let running = stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z'));
        assert!(running, "hubkey exited before the check: {stat}");
        // Only once setpriv has exec'd hubkey: between its setuid and its exec it is not dumpable itself.
        let argv0 = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let is_hubkey = argv0.split(|b| *b == 0).next() == Some(hubkey.as_bytes());
        if is_hubkey && looks_not_dumpable(pid, uid) {
            seen = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen, "hubkey (pid {pid}, uid {uid}) stayed dumpable for 20 s");

    // The same check on a program that does not do this: it would have seen a dumpable process.
    let (mut cat, uid) = waiting_on_stdin("/usr/bin/cat", &[], home.path());
    let started = Instant::now();
    while std::fs::read(format!("/proc/{}/cmdline", cat.id()))
        .unwrap_or_default()
        .split(|b| *b == 0)
        .next()
        != Some(b"/usr/bin/cat".as_slice())
    {
        assert!(started.elapsed() < Duration::from_secs(10), "cat did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    let control = looks_not_dumpable(cat.id(), uid);
    let _ = cat.kill();
    let _ = cat.wait();
    assert!(
        !control,
        "the check calls an ordinary process not dumpable too, so it shows nothing"
    );
}

/// Substrings shaped like the sandbox's secrets: access tokens (`CK` and 100+ base64url characters) and refresh
/// tokens or authorization codes (`na1-` and 20+ hex digits and dashes).
fn secret_shaped(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let run = |from: usize, ok: fn(u8) -> bool| bytes[from..].iter().take_while(|b| ok(**b)).count();
    let mut found = Vec::new();
    for i in 0..bytes.len() {
        if bytes[i..].starts_with(b"CK") {
            let n = run(i + 2, |b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if n >= 100 {
                found.push(text[i..i + 2 + n].to_string());
            }
        }
        if bytes[i..].starts_with(b"na1-") {
            let n = run(i + 4, |b| b.is_ascii_hexdigit() || b == b'-');
            if n >= 20 {
                found.push(text[i..i + 4 + n].to_string());
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_trace_logging_with_hubkey_log_and_rust_log_puts_no_secret_on_stderr() {
    let w = World::start().await;
    w.add_app().await;
    let trace = [("HUBKEY_LOG", "trace"), ("RUST_LOG", "trace")];
    let (login, _) = w.login_with(&[], &trace).await;
    assert_eq!(login.code, 0, "{login:?}");
    let token = w.run(&["token"]).await;
    assert_eq!(token.code, 0, "{token:?}");
    let access = token.stdout.trim().to_string();
    assert_eq!(
        secret_shaped(&access),
        vec![access.clone()],
        "the scan recognises a real token"
    );

    let mut stderr = login.stderr.clone();
    w.age_connections();
    for args in [
        vec!["refresh"],
        vec!["token", "--json"],
        vec!["headers"],
        vec!["exec", "--", "true"],
        vec!["status", "--json"],
        vec!["doctor"],
    ] {
        let out = w.run_with(&args, None, &trace).await;
        assert!(out.code == 0 || args == ["doctor"], "hubkey {args:?}: {out:?}");
        stderr.push_str(&out.stderr);
    }
    assert!(
        stderr.contains("TRACE") || stderr.contains("DEBUG"),
        "trace logging was on (else this test shows nothing): {}",
        &stderr[..stderr.len().min(400)]
    );
    assert!(!stderr.contains(&access), "the access token is on stderr");
    assert!(
        !stderr.contains(crate::cli_support::CLIENT_SECRET),
        "the client secret is on stderr"
    );
    assert_eq!(
        secret_shaped(&stderr),
        Vec::<String>::new(),
        "secret-shaped text on stderr"
    );
    w.cleanup().await;
}
