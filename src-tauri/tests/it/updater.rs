//! Signed auto-update (issue 16, point 2): the app's own check (`hubkey_desktop_lib::update::find`, the code
//! path `update::start` runs at start and daily) against a local static HTTP server on loopback that serves a
//! `latest.json` and a "newer build", signed by keys this test makes with the Tauri signer of
//! node_modules/@tauri-apps/cli. A build signed by the release key is found, downloaded, verified and offered;
//! the same build signed by another key is refused with a message that says so. Installing on request
//! (`update::install`, the window's Install) runs the plugin's real install against a stand-in for the
//! installed AppImage in a temporary folder: it becomes the verified build, once.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tauri::test::{mock_builder, mock_context, noop_assets};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `tauri signer …` from the project's node_modules, with no key password.
fn signer(args: &[&str]) {
    let out = std::process::Command::new("node")
        .arg(root().join("node_modules/@tauri-apps/cli/tauri.js"))
        .arg("signer")
        .args(args)
        .env("CI", "true")
        .env("TAURI_SIGNING_PRIVATE_KEY_PASSWORD", "")
        .env_remove("TAURI_SIGNING_PRIVATE_KEY")
        .output()
        .expect("node and `npm ci` (node_modules/@tauri-apps/cli) are needed");
    assert!(
        out.status.success(),
        "tauri signer {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A key pair in `dir`: returns (private key path, public key as tauri.conf.json's `pubkey` takes it).
fn key_pair(dir: &Path, name: &str) -> (PathBuf, String) {
    let key = dir.join(name);
    signer(&["generate", "--ci", "-p", "", "-w", key.to_str().unwrap()]);
    let public = std::fs::read_to_string(key.with_extension("key.pub")).unwrap();
    (key, public.trim().to_string())
}

/// Signs `file` with `key`; returns the signature as latest.json carries it (the `.sig` file's content).
fn sign(key: &Path, file: &Path) -> String {
    signer(&[
        "sign",
        "-f",
        key.to_str().unwrap(),
        "-p",
        "",
        file.to_str().unwrap(),
    ]);
    let sig = PathBuf::from(format!("{}.sig", file.display()));
    std::fs::read_to_string(sig).unwrap().trim().to_string()
}

/// Python's static file server on 127.0.0.1 over `dir`.
struct StaticServer {
    child: std::process::Child,
    base: String,
}

impl StaticServer {
    fn start(dir: &Path) -> Self {
        let port = hubkey_testkit::free_port();
        let child = std::process::Command::new("python3")
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                &port.to_string(),
                "--directory",
            ])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 serves the files");
        // Owned by the guard first, so the process is killed and reaped on every path, a failed start included.
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the static server did not start");
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write_latest(dir: &Path, version: &str, url: &str, signature: &str) {
    let platform = serde_json::json!({ "signature": signature, "url": url });
    let latest = serde_json::json!({
        "version": version,
        "notes": "A newer test build",
        "pub_date": "2026-12-01T00:00:00Z",
        "platforms": { "linux-x86_64": platform, "darwin-aarch64": platform, "darwin-x86_64": platform,
                       "windows-x86_64": platform }
    });
    std::fs::write(
        dir.join("latest.json"),
        serde_json::to_vec_pretty(&latest).unwrap(),
    )
    .unwrap();
}

/// An app on the mock runtime with the updater plugin as lib.rs registers it, trusting `pubkey` (what
/// tauri.conf.json's `plugins.updater.pubkey` is in a release).
fn app_trusting(pubkey: &str) -> tauri::App<tauri::test::MockRuntime> {
    let mut context = mock_context(noop_assets());
    context.config_mut().plugins.0.insert(
        "updater".into(),
        serde_json::json!({ "pubkey": pubkey, "endpoints": ["https://example.invalid/latest.json"] }),
    );
    mock_builder()
        .plugin(tauri_plugin_updater::Builder::new().build())
        .build(context)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_newer_build_when_the_app_checks_then_the_release_keys_signature_is_offered_and_another_keys_is_refused(
) {
    let dir = tempfile::tempdir().unwrap();
    let (release_key, release_pub) = key_pair(dir.path(), "release.key");
    let (other_key, _) = key_pair(dir.path(), "other.key");
    let build = b"Hubkey 99.0.0, a newer test build".to_vec();
    for channel in ["good", "bad", "old"] {
        std::fs::create_dir_all(dir.path().join(channel)).unwrap();
        std::fs::write(dir.path().join(channel).join("hubkey.tar.gz"), &build).unwrap();
    }
    let server = StaticServer::start(dir.path());
    let good_sig = sign(&release_key, &dir.path().join("good/hubkey.tar.gz"));
    let bad_sig = sign(&other_key, &dir.path().join("bad/hubkey.tar.gz"));
    for (channel, version, sig) in [
        ("good", "99.0.0", &good_sig),
        ("bad", "99.0.0", &bad_sig),
        ("old", "0.0.1", &good_sig),
    ] {
        let url = format!("{}/{channel}/hubkey.tar.gz", server.base);
        write_latest(&dir.path().join(channel), version, &url, sig);
    }
    let app = app_trusting(&release_pub);
    let endpoint = |channel: &str| {
        let url = format!("{}/{channel}/latest.json", server.base);
        hubkey_desktop_lib::update::UpdateSource {
            endpoint: Some(hubkey_desktop_lib::update::parse_endpoint(&url).unwrap()),
            ..Default::default()
        }
    };

    // Given the release key's signature: found, downloaded, verified and offered.
    let (available, _update, bytes) = hubkey_desktop_lib::update::find(app.handle(), endpoint("good"))
        .await
        .unwrap()
        .expect("the newer build is offered");
    assert_eq!(available.version, "99.0.0");
    assert_eq!(available.current_version, "0.1.0");
    assert_eq!(available.notes.as_deref(), Some("A newer test build"));
    assert_eq!(bytes, build, "the verified download is the served build");

    // Given the same build signed by another key: refused, and the message says why.
    let refused = hubkey_desktop_lib::update::find(app.handle(), endpoint("bad"))
        .await
        .map(|found| found.map(|(a, _, _)| a))
        .unwrap_err();
    assert!(refused.contains("the update to 99.0.0 was refused"), "{refused}");
    assert!(
        refused.contains("it is not signed by Hubkey's release key"),
        "{refused}"
    );
    // minisign's own reason: the signature names another key than the one the app trusts.
    assert!(
        refused.contains("created with a different key than the one provided"),
        "{refused}"
    );
    assert!(refused.contains("nothing was installed"), "{refused}");

    // Given a latest.json that is not newer: nothing is offered.
    let none = hubkey_desktop_lib::update::find(app.handle(), endpoint("old"))
        .await
        .unwrap();
    assert!(none.is_none());

    // The app's own check (what update::start runs at start and daily), through HUBKEY_UPDATE_URL: the verified
    // build becomes what the window's `update_available` command returns; nothing is installed.
    use tauri::Manager;
    app.manage(hubkey_desktop_lib::update::PendingUpdate::default());
    assert_eq!(hubkey_desktop_lib::update::pending(app.handle()), None);
    std::env::set_var(
        hubkey_desktop_lib::update::UPDATE_URL_ENV,
        format!("{}/bad/latest.json", server.base),
    );
    assert!(hubkey_desktop_lib::update::check_now(app.handle()).await.is_err());
    assert_eq!(
        hubkey_desktop_lib::update::pending(app.handle()),
        None,
        "a refused build is never offered"
    );
    std::env::set_var(
        hubkey_desktop_lib::update::UPDATE_URL_ENV,
        format!("{}/good/latest.json", server.base),
    );
    let offered = hubkey_desktop_lib::update::check_now(app.handle())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(offered.version, "99.0.0");
    let shown = hubkey_desktop_lib::update::pending(app.handle()).expect("the window is offered the update");
    assert_eq!(
        (shown.version.as_str(), shown.current_version.as_str()),
        ("99.0.0", "0.1.0")
    );
}

#[test]
fn given_an_update_url_that_is_plain_http_to_another_host_when_the_app_checks_then_it_is_refused() {
    std::env::set_var(
        hubkey_desktop_lib::update::UPDATE_URL_ENV,
        "http://updates.example.com/latest.json",
    );
    let e = hubkey_desktop_lib::update::endpoint_override().unwrap_err();
    assert!(e.contains("HUBKEY_UPDATE_URL must be an https URL"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_verified_update_when_the_user_installs_it_then_the_installed_program_becomes_the_verified_build_once(
) {
    let dir = tempfile::tempdir().unwrap();
    let (release_key, release_pub) = key_pair(dir.path(), "release.key");
    let build = b"Hubkey 99.0.0 as an AppImage".to_vec();
    std::fs::create_dir_all(dir.path().join("good")).unwrap();
    std::fs::write(dir.path().join("good/Hubkey.AppImage"), &build).unwrap();
    let server = StaticServer::start(dir.path());
    let sig = sign(&release_key, &dir.path().join("good/Hubkey.AppImage"));
    let url = format!("{}/good/Hubkey.AppImage", server.base);
    write_latest(&dir.path().join("good"), "99.0.0", &url, &sig);
    // What the user runs today: an AppImage of the current version (the plugin's Linux install for a program
    // that is neither a .deb nor an .rpm install).
    let installed = dir.path().join("installed/Hubkey.AppImage");
    std::fs::create_dir_all(installed.parent().unwrap()).unwrap();
    std::fs::write(&installed, b"Hubkey 0.1.0, the installed build").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&installed, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let app = app_trusting(&release_pub);
    use tauri::Manager;
    app.manage(hubkey_desktop_lib::update::PendingUpdate::default());

    // Given nothing was found yet, Install has nothing to do and says so.
    let nothing = hubkey_desktop_lib::update::install(app.handle()).unwrap_err();
    assert!(nothing.contains("no verified update is waiting"), "{nothing}");

    // When the check finds and verifies the newer build, it is offered, and nothing is installed yet.
    let source = hubkey_desktop_lib::update::UpdateSource {
        endpoint: Some(
            hubkey_desktop_lib::update::parse_endpoint(&format!("{}/good/latest.json", server.base)).unwrap(),
        ),
        installed_at: Some(installed.clone()),
        ..Default::default()
    };
    let found = hubkey_desktop_lib::update::find(app.handle(), source)
        .await
        .unwrap()
        .expect("the newer build is offered");
    let offered = hubkey_desktop_lib::update::offer(app.handle(), found);
    assert_eq!(offered.version, "99.0.0");
    assert!(hubkey_desktop_lib::update::pending(app.handle()).is_some());
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        b"Hubkey 0.1.0, the installed build",
        "nothing is installed before the user asks"
    );

    // When the user presses Install (the window's install_update command), the installed program is the verified
    // build, still executable; the offer is used up.
    hubkey_desktop_lib::update::install(app.handle()).unwrap();
    assert_eq!(std::fs::read(&installed).unwrap(), build);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&installed).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o755, "the new build keeps the installed program's mode");
    }
    assert_eq!(hubkey_desktop_lib::update::pending(app.handle()), None);
    let again = hubkey_desktop_lib::update::install(app.handle()).unwrap_err();
    assert!(again.contains("no verified update is waiting"), "{again}");
}
