//! Set-up shared by the `cli_mcp*` tests: a world whose every sandbox app accepts the test's
//! redirect URL (so a user-level app can log in on a free port), and a private D-Bus session bus
//! listening at `$dir/bus` with its own unlocked gnome-keyring (the layout of a systemd user
//! session's `/run/user/<uid>/bus`), started the way scripts/with-keyring.sh starts them.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::cli_support::{free_port, World};
use hubspot_sandbox::{Fixture, Sandbox};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use hubspot_sandbox::DEMO_USER_LEVEL_CLIENT_ID;

/// The user-level app's client secret (fixture data).
pub const USER_LEVEL_SECRET: &str = "b16b00b5-7e57-4c0d-9e5e-5ca1ab1e0001";

/// A [`World`] where every fixture app also accepts `http://localhost:{port}/callback`.
pub async fn world() -> World {
    let port = free_port();
    let mut fixture = Fixture::demo();
    let redirect = format!("http://localhost:{port}/callback");
    let ids: Vec<String> = fixture.apps.iter().map(|a| a.client_id.clone()).collect();
    for id in ids {
        hubkey_testkit::accept_redirect(&mut fixture, &id, &redirect);
    }
    let sandbox = Sandbox::start(fixture).await.expect("sandbox starts");
    let home = tempfile::Builder::new()
        .prefix("hubkey-cli-mcp")
        .tempdir()
        .unwrap();
    let service = hubkey_testkit::unique("hubkey-cli-mcp");
    World {
        sandbox,
        home,
        service,
        port,
        http: reqwest::Client::new(),
    }
}

/// Adds the sandbox's user-level app as `ul` and connects the demo Professional portal.
pub async fn connect_user_level(w: &World) -> u64 {
    let redirect = w.redirect_uri();
    let out = w
        .run_with(
            &[
                "app",
                "add",
                "ul",
                "--client-id",
                DEMO_USER_LEVEL_CLIENT_ID,
                "--redirect-uri",
                &redirect,
                "--scopes",
                "oauth crm.objects.contacts.read",
            ],
            Some(&format!("{USER_LEVEL_SECRET}\n")),
            &[],
        )
        .await;
    assert_eq!(out.code, 0, "{out:?}");
    let (login, _) = w
        .login(&["--app", "ul", "--portal", &crate::cli_support::PRO.to_string()])
        .await;
    assert_eq!(login.code, 0, "{login:?}");
    crate::cli_support::PRO
}

/// Every file under `dir` (recursively) whose bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::read(&p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
            {
                found.push(p);
            }
        }
    }
    found
}

/// A D-Bus session bus at `$dir/bus` with an unlocked gnome-keyring on it.
pub struct PrivateBus {
    dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    /// `/run/user/<uid>` was created for this bus: remove it afterwards.
    created_run_user: bool,
    daemon: Child,
    keyring: Child,
}

/// This process's uid (the owner of `/proc/self`).
#[cfg(unix)]
pub fn uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").unwrap().uid()
}

impl PrivateBus {
    pub fn address(&self) -> String {
        format!("unix:path={}", self.dir.join("bus").display())
    }

    /// The folder holding `bus` (the XDG_RUNTIME_DIR of this bus).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A bus in a fresh temporary folder.
    pub fn start() -> PrivateBus {
        let temp = tempfile::Builder::new().prefix("hubkey-bus").tempdir().unwrap();
        let dir = temp.path().to_owned();
        Self::start_in(dir, Some(temp), false)
    }

    /// A bus at `/run/user/<uid>/bus`, where a systemd session has it, when that folder does not
    /// exist yet and can be made (CI runs as root on a machine without a login session). `None`
    /// on a machine with a real session there: its bus must not be touched.
    #[cfg(unix)]
    pub fn at_run_user() -> Option<PrivateBus> {
        let dir = PathBuf::from(format!("/run/user/{}", uid()));
        if dir.exists() || std::fs::create_dir_all(&dir).is_err() {
            return None;
        }
        Some(Self::start_in(dir, None, true))
    }

    fn start_in(dir: PathBuf, temp: Option<tempfile::TempDir>, created_run_user: bool) -> PrivateBus {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let bus = dir.join("bus");
        let daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address=unix:path={}", bus.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon starts (scripts/setup.sh installs dbus)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !bus.exists() {
            assert!(
                Instant::now() < deadline,
                "dbus-daemon did not create {}",
                bus.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let home = dir.join("home");
        std::fs::create_dir_all(home.join(".local/share")).unwrap();
        let address = format!("unix:path={}", bus.display());
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("XDG_RUNTIME_DIR", &dir)
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon starts");
        {
            let mut stdin = keyring.stdin.take().unwrap();
            stdin.write_all(b"hubkey-test-keyring").unwrap();
        }
        hubkey_testkit::wait_for_secret_service(Some(&address), Duration::from_secs(20));
        PrivateBus {
            dir,
            _temp: temp,
            created_run_user,
            daemon,
            keyring,
        }
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.keyring.kill();
        let _ = self.keyring.wait();
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
        if self.created_run_user {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
