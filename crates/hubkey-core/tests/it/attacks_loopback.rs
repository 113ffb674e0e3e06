//! Issue 18, point 1: what a local process or a web page can send to the loopback listener while a login
//! waits, over real TCP. Each attack is sent with the login's *right* `state` where that makes it stronger
//! (an attacker who read the authorize URL has it), and each test then checks that the attack delivered
//! nothing (the login is still pending, or completed only by the real callback with the real code) and that
//! the listener still serves the real callback. docs/SECURITY.md "Attacks as tests" lists them.

use crate::loopback_support::{listening, CODE, PATH, STATE};
use hubkey_core::login::{LoginFlow, LoginHandle};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const EVIL_CODE: &str = "na1-evil-evil-evil-evil-evilevilevil";

/// Sends `head` (a request line and headers, without the blank line) and `body` raw; returns the status (0
/// when the listener closed the connection without an answer) and the whole response.
async fn raw(port: u16, head: &str, body: &[u8]) -> (u16, String) {
    let s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    raw_on(s, head, body).await
}

/// [`raw`] over a connection already made.
async fn raw_on(mut s: TcpStream, head: &str, body: &[u8]) -> (u16, String) {
    let mut req = head.as_bytes().to_vec();
    req.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
    req.extend_from_slice(body);
    // The listener may answer and close before it has read everything (an oversized head): that is a refusal.
    let _ = s.write_all(&req).await;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(15), s.read_to_end(&mut buf))
        .await
        .expect("the listener neither answered nor closed within 15 s");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}

/// A GET of `target` with `Host: localhost:PORT` and `extra` header lines.
async fn get(port: u16, target: &str, extra: &[String]) -> (u16, String) {
    let mut head = format!("GET {target} HTTP/1.1\r\nHost: localhost:{port}");
    for h in extra {
        head.push_str("\r\n");
        head.push_str(h);
    }
    raw(port, &head, b"").await
}

fn good_query() -> String {
    format!("code={CODE}&state={STATE}")
}

/// The attack did nothing: the login still waits, and the real callback then completes it with the real code.
async fn real_callback_still_completes(flow: &LoginFlow, handle: LoginHandle, port: u16, attack: &str) {
    assert!(flow.is_pending("my-app"), "{attack}: the login no longer waits");
    let (status, page) = get(port, &format!("{PATH}?{}", good_query()), &[]).await;
    assert_eq!(status, 200, "{attack}: the real callback was not served: {page}");
    let got = tokio::time::timeout(Duration::from_secs(10), handle.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.code.expose(), CODE, "{attack}: the login got another code");
}

fn no_cors_headers(attack: &str, response: &str) {
    let lower = response.to_ascii_lowercase();
    assert!(
        !lower.contains("access-control-"),
        "{attack}: a CORS header was sent: {response}"
    );
}

#[tokio::test]
async fn attack_duplicate_code_or_state_parameters_are_refused_and_deliver_nothing() {
    let (flow, handle, _listener, port) = listening().await;
    for query in [
        format!("code={EVIL_CODE}&code={CODE}&state={STATE}"),
        format!("code={CODE}&code={EVIL_CODE}&state={STATE}"),
        format!("code={EVIL_CODE}&state={STATE}&state={STATE}"),
        format!("code={EVIL_CODE}&state=wrong&state={STATE}"),
        format!("code={EVIL_CODE}&state={STATE}&error=access_denied&error=x"),
    ] {
        let (status, page) = get(port, &format!("{PATH}?{query}"), &[]).await;
        assert_eq!(status, 400, "{query}: {page}");
        assert!(
            !page.contains(EVIL_CODE) && !page.contains(CODE),
            "{query}: the page echoes a code"
        );
        assert!(flow.is_pending("my-app"), "{query}: the login ended");
    }
    real_callback_still_completes(&flow, handle, port, "duplicate parameters").await;
}

#[tokio::test]
async fn attack_percent_encoding_plus_and_fragment_tricks_on_the_state_are_refused() {
    let (flow, handle, _listener, port) = listening().await;
    let upper = STATE.to_ascii_uppercase();
    for query in [
        // `+` is a space in a query: not the state.
        format!("code={EVIL_CODE}&state={STATE}+"),
        format!("code={EVIL_CODE}&state=+{STATE}"),
        format!("code={EVIL_CODE}&state={STATE}%20"),
        format!("code={EVIL_CODE}&state={STATE}%00"),
        format!("code={EVIL_CODE}&state={STATE}%0d%0aSet-Cookie:%20x=1"),
        format!("code={EVIL_CODE}&state={upper}"),
        format!("code={EVIL_CODE}&state=%{STATE}"),
        // An encoded `&` keeps the real state inside another value.
        format!("code={EVIL_CODE}%26state%3D{STATE}"),
        format!("code={EVIL_CODE}&st%61te={STATE}x"),
        format!("code={EVIL_CODE}&state"),
        format!("code={EVIL_CODE}&state="),
    ] {
        let (status, page) = get(port, &format!("{PATH}?{query}"), &[]).await;
        assert_eq!(status, 400, "{query}: {page}");
        assert!(
            !page.to_ascii_lowercase().contains("set-cookie"),
            "{query}: {page}"
        );
        assert!(flow.is_pending("my-app"), "{query}: the login ended");
    }
    // A fragment never reaches a server from a browser; sent raw, the right state behind `#` counts for nothing.
    for target in [
        format!("{PATH}?code={EVIL_CODE}&state=wrong#&state={STATE}"),
        format!("{PATH}?code={EVIL_CODE}#state={STATE}"),
    ] {
        let (status, page) = get(port, &target, &[]).await;
        assert!(status == 400 || status == 0, "{target}: {status} {page}");
        assert!(flow.is_pending("my-app"), "{target}: the login ended");
    }
    real_callback_still_completes(&flow, handle, port, "state tricks").await;
}

#[tokio::test]
async fn attack_paths_with_dot_dot_double_slashes_and_case_changes_are_not_the_callback() {
    let (flow, handle, _listener, port) = listening().await;
    let q = format!("code={EVIL_CODE}&state={STATE}");
    for path in [
        format!("/x/..{PATH}"),
        format!("/.{PATH}"),
        format!("/{PATH}"),
        format!("{PATH}/"),
        format!("{PATH}/."),
        format!("{PATH}/../{}", &PATH[1..]),
        format!("{PATH}%2f"),
        "/OAUTH-CALLBACK".to_string(),
        "/oauth%2Dcallback".to_string(),
        format!("http://evil.example{PATH}"),
    ] {
        let (status, page) = get(port, &format!("{path}?{q}"), &[]).await;
        assert!(
            [400, 404].contains(&status) || status == 0,
            "{path}: {status} {page}"
        );
        assert!(flow.is_pending("my-app"), "{path}: the login ended");
    }
    real_callback_still_completes(&flow, handle, port, "path tricks").await;
}

#[tokio::test]
async fn attack_a_1_mb_request_line_a_1_mb_header_block_and_1000_headers_are_refused_and_the_listener_survives(
) {
    let (flow, handle, _listener, port) = listening().await;
    let mb = 1024 * 1024;
    // A 1 MB request line, the right state at its end.
    let long = format!("{PATH}?pad={}&code={EVIL_CODE}&state={STATE}", "a".repeat(mb));
    let (status, page) = get(port, &long, &[]).await;
    assert!(
        [400, 414, 431].contains(&status) || status == 0,
        "1 MB request line: {status} {}",
        &page[..page.len().min(300)]
    );
    assert!(flow.is_pending("my-app"), "1 MB request line: the login ended");

    // A 1 MB header block in one header.
    let target = format!("{PATH}?code={EVIL_CODE}&state={STATE}");
    let (status, _) = get(port, &target, &[format!("X-Pad: {}", "b".repeat(mb))]).await;
    assert!(
        [400, 431].contains(&status) || status == 0,
        "1 MB header: {status}"
    );
    assert!(flow.is_pending("my-app"), "1 MB header: the login ended");

    // 1,000 small headers.
    let many: Vec<String> = (0..1000).map(|i| format!("X-H{i}: {i}")).collect();
    let (status, _) = get(port, &target, &many).await;
    assert!(
        [400, 431].contains(&status) || status == 0,
        "1,000 headers: {status}"
    );
    assert!(flow.is_pending("my-app"), "1,000 headers: the login ended");

    real_callback_still_completes(&flow, handle, port, "oversized requests").await;
}

#[tokio::test]
async fn attack_post_put_delete_options_and_head_with_the_right_state_are_refused_without_cors_headers() {
    let (flow, handle, _listener, port) = listening().await;
    let target = format!("{PATH}?code={EVIL_CODE}&state={STATE}");
    let body = format!("code={EVIL_CODE}&state={STATE}");
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"] {
        let head = format!(
            "{method} {target} HTTP/1.1\r\nHost: localhost:{port}\r\nOrigin: https://evil.example\r\n\
             Access-Control-Request-Method: GET\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}",
            body.len()
        );
        let (status, response) = raw(port, &head, body.as_bytes()).await;
        assert_eq!(status, 405, "{method}: {response}");
        assert!(
            response.contains("allow: GET") || response.contains("Allow: GET"),
            "{method}: {response}"
        );
        no_cors_headers(method, &response);
        assert!(flow.is_pending("my-app"), "{method}: the login ended");
    }
    real_callback_still_completes(&flow, handle, port, "other methods").await;
}

#[tokio::test]
async fn attack_dns_rebinding_host_headers_with_the_right_state_are_refused() {
    let (flow, handle, _listener, port) = listening().await;
    let target = format!("{PATH}?code={EVIL_CODE}&state={STATE}");
    for host in [
        "evil.example".to_string(),
        format!("evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        format!("localhost:{port}.evil.example"),
        format!("localhost:{}", port.wrapping_add(1)),
        "localhost".to_string(),
        format!("[::ffff:127.0.0.1]:{port}"),
        String::new(),
    ] {
        let head = format!("GET {target} HTTP/1.1\r\nHost: {host}");
        let (status, response) = raw(port, &head, b"").await;
        assert_eq!(status, 400, "Host: {host}: {response}");
        assert!(flow.is_pending("my-app"), "Host: {host}: the login ended");
    }
    // Two Host headers, one of them right.
    let head = format!("GET {target} HTTP/1.1\r\nHost: localhost:{port}\r\nHost: evil.example");
    let (status, _) = raw(port, &head, b"").await;
    assert!(status == 400 || status == 0, "two Host headers: {status}");
    // No Host at all (HTTP/1.0 allows it).
    let (status, _) = raw(port, &format!("GET {target} HTTP/1.0"), b"").await;
    assert!(status == 400 || status == 0, "no Host: {status}");
    assert!(flow.is_pending("my-app"));
    real_callback_still_completes(&flow, handle, port, "rebinding hosts").await;
}

#[tokio::test]
async fn attack_a_web_page_origin_gets_no_cors_headers_on_any_answer_and_its_callback_is_refused() {
    let (flow, handle, _listener, port) = listening().await;
    let origin = "Origin: https://evil.example".to_string();
    for (target, expect) in [
        (format!("{PATH}?code={EVIL_CODE}&state={STATE}"), 403),
        (format!("{PATH}?code={EVIL_CODE}&state=wrong"), 403),
        ("/favicon.ico".to_string(), 404),
    ] {
        let (status, response) = get(port, &target, std::slice::from_ref(&origin)).await;
        assert_eq!(status, expect, "{target}: {response}");
        no_cors_headers(&target, &response);
    }
    assert!(flow.is_pending("my-app"));
    real_callback_still_completes(&flow, handle, port, "web page origin").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_100_concurrent_callbacks_with_wrong_states_and_one_right_one_complete_with_the_right_code() {
    let (flow, handle, _listener, port) = listening().await;
    let mut attackers = Vec::new();
    for i in 0..100 {
        attackers.push(tokio::spawn(async move {
            let target = format!("{PATH}?code={EVIL_CODE}-{i}&state=guess-{i}");
            let head = format!("GET {target} HTTP/1.1\r\nHost: localhost:{port}");
            // Once the real callback has completed the login, the listener shuts down: an attacker still in the
            // accept queue is reset or refused before it has sent anything. That is a cut too.
            match TcpStream::connect(("127.0.0.1", port)).await {
                Ok(s) => raw_on(s, &head, b"").await,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionRefused
                    ) =>
                {
                    (0, format!("cut off while connecting: {e}"))
                }
                Err(e) => panic!("attacker {i} could not connect: {e}"),
            }
        }));
    }
    let real = tokio::spawn(async move { get(port, &format!("{PATH}?{}", good_query()), &[]).await });
    for (i, a) in attackers.into_iter().enumerate() {
        let (status, page) = a.await.unwrap();
        // Refused by the state check, or cut off by the connection cap or the shutdown after the real one.
        assert!(status == 400 || status == 0, "attacker {i}: {status} {page}");
    }
    let (status, page) = real.await.unwrap();
    assert_eq!(status, 200, "the real callback: {page}");
    let got = tokio::time::timeout(Duration::from_secs(10), handle.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.code.expose(), CODE);
    assert!(!flow.is_pending("my-app"));
}
