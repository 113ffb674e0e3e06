//! The loopback listener over real TCP (threat-model.md §6, L1-L6, C1, C4, C7).

// Test helpers outside #[test] functions may unwrap too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::loopback_support::{listening, pending, CODE, PATH, STATE};
use hubkey_core::login::LoginFlow;
use hubkey_core::loopback::run_loopback_login;
use hubkey_core::loopback::LoopbackListener;
use hubkey_core::Error;
use hubkey_testkit::free_port;
use std::net::{IpAddr, SocketAddr, TcpListener as StdListener};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn callback_url(port: u16, query: &str) -> String {
    format!("http://localhost:{port}{PATH}?{query}")
}

/// A raw HTTP/1.1 GET with a chosen `Host` header; returns (status, whole response).
async fn raw_get(addr: SocketAddr, target: &str, host: Option<&str>) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let host_line = host.map(|h| format!("Host: {h}\r\n")).unwrap_or_default();
    let req = format!("GET {target} HTTP/1.1\r\n{host_line}Connection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}

async fn assert_refused(port: u16) {
    for ip in ["127.0.0.1", "::1"] {
        let addr = SocketAddr::new(ip.parse().unwrap(), port);
        if let Ok(res) = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await {
            assert!(res.is_err(), "{addr} still accepts connections");
        }
    }
}

/// A non-loopback address of this machine (the UDP "connect" trick sends nothing).
fn non_loopback_ip() -> Option<IpAddr> {
    let sock = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    sock.connect("10.255.255.255:1").ok()?;
    let ip = sock.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[tokio::test]
async fn l1_given_a_listener_when_bound_then_only_loopback_listens_and_a_non_loopback_address_is_refused() {
    let (_flow, _handle, listener, port) = listening().await;
    assert!(!listener.local_addrs().is_empty());
    for a in listener.local_addrs() {
        assert!(a.ip().is_loopback(), "bound to {a}");
        assert_eq!(a.port(), port);
    }
    assert!(listener.local_addrs().iter().any(|a| a.is_ipv4()));
    match non_loopback_ip() {
        Some(ip) => {
            let res = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect((ip, port))).await;
            assert!(
                !matches!(res, Ok(Ok(_))),
                "the listener accepted a connection on {ip}:{port}"
            );
        }
        None => eprintln!(
            "L1: this machine has no non-loopback IPv4 address; the remote-connect check was skipped"
        ),
    }
}

#[tokio::test]
async fn l2_given_a_pending_login_when_other_paths_are_requested_then_404_and_the_login_still_completes() {
    let (flow, handle, listener, port) = listening().await;
    let c = client();
    for path in [
        "/favicon.ico",
        "/other",
        "/oauth-callback/",
        "/oauth-callback/x",
        "/",
    ] {
        let r = c
            .get(format!("http://localhost:{port}{path}?code=x&state={STATE}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-store");
    }
    assert!(flow.is_pending("my-app"));
    assert!(!listener.is_closing());
    let r = c
        .get(callback_url(port, &format!("code={CODE}&state={STATE}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(handle.wait().await.unwrap().code.expose(), CODE);
}

#[tokio::test]
async fn attack_l3_given_a_foreign_host_header_when_the_callback_is_requested_then_400_and_a_good_callback_still_completes(
) {
    let (flow, handle, mut listener, port) = listening().await;
    let v4 = SocketAddr::from(([127, 0, 0, 1], port));
    let target = format!("{PATH}?code={CODE}&state={STATE}");
    for host in [
        Some("evil.example"),
        Some("evil.example:{port}"),
        Some("localhost"),
        None,
    ] {
        let host = host.map(|h| h.replace("{port}", &port.to_string()));
        let (status, _) = raw_get(v4, &target, host.as_deref()).await;
        assert_eq!(status, 400, "Host {host:?}");
        assert!(flow.is_pending("my-app"), "Host {host:?}");
    }
    let (status, _) = raw_get(v4, &target, Some(&format!("127.0.0.1:{port}"))).await;
    assert_eq!(status, 200);
    assert_eq!(handle.wait().await.unwrap().code.expose(), CODE);
    listener.closed().await;
    assert_refused(port).await;
}

#[tokio::test]
async fn attack_l4_given_a_port_taken_on_ipv4_when_binding_then_port_in_use_names_the_port() {
    let taken = StdListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = LoopbackListener::bind(LoginFlow::default(), port, PATH)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PortInUse { port: p } if p == port), "{err}");
    assert!(err.to_string().contains(&port.to_string()));
    assert!(err.hint().contains(&port.to_string()));
}

#[tokio::test]
async fn attack_l4_given_a_port_taken_on_ipv6_loopback_when_binding_then_port_in_use() {
    let Ok(taken) = StdListener::bind("[::1]:0") else {
        eprintln!("L4 (IPv6): no IPv6 loopback on this machine; skipped");
        return;
    };
    let port = taken.local_addr().unwrap().port();
    if StdListener::bind(("127.0.0.1", port)).is_err() {
        eprintln!("L4 (IPv6): port {port} also busy on IPv4; skipped");
        return;
    }
    let err = LoopbackListener::bind(LoginFlow::default(), port, PATH)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PortInUse { port: p } if p == port), "{err}");
}

#[tokio::test]
async fn l4_given_a_busy_port_when_running_a_loopback_login_then_port_in_use_before_the_browser_opens() {
    let taken = StdListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let flow = LoginFlow::default();
    let mut opened = false;
    let err = run_loopback_login(&flow, pending(port, STATE), || {
        opened = true;
        Ok(())
    })
    .await
    .unwrap_err();
    assert!(matches!(err, Error::PortInUse { port: p } if p == port), "{err}");
    assert!(!opened, "the browser was opened although the port is busy");
    assert!(!flow.is_pending("my-app"));
}

#[tokio::test]
async fn l5_given_a_successful_callback_when_the_login_completes_then_later_connects_are_refused() {
    let port = free_port();
    let flow = LoginFlow::default();
    let done = run_loopback_login(&flow, pending(port, STATE), || {
        // Plays the browser following HubSpot's redirect.
        tokio::spawn(async move {
            let r = client()
                .get(callback_url(port, &format!("code={CODE}&state={STATE}")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        });
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(done.code.expose(), CODE);
    assert_eq!(done.pkce_verifier.unwrap().expose(), "the-verifier");
    assert_eq!(done.redirect_uri, format!("http://localhost:{port}{PATH}"));
    assert_refused(port).await;
}

#[tokio::test]
async fn l5_given_a_cancelled_login_when_it_ends_then_later_connects_are_refused() {
    let port = free_port();
    let flow = LoginFlow::default();
    let canceller = flow.clone();
    let err = run_loopback_login(&flow, pending(port, STATE), || {
        tokio::spawn(async move {
            // The listener is up while the browser would be open.
            TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            assert!(canceller.cancel_app("my-app"));
        });
        Ok(())
    })
    .await
    .unwrap_err();
    assert!(matches!(err, Error::LoginCancelled), "{err}");
    assert_refused(port).await;
}

#[tokio::test]
async fn l5_given_no_callback_when_the_timeout_passes_then_login_timed_out_and_later_connects_are_refused() {
    let port = free_port();
    let flow = LoginFlow::default();
    let p = pending(port, STATE).with_timeout(Duration::from_millis(300));
    let err = run_loopback_login(&flow, p, || Ok(())).await.unwrap_err();
    assert!(
        matches!(err, Error::LoginTimedOut(d) if d == Duration::from_millis(300)),
        "{err}"
    );
    assert!(!flow.is_pending("my-app"));
    assert_refused(port).await;
}

#[tokio::test]
async fn l5_given_a_failing_browser_opener_when_running_a_login_then_its_error_returns_and_the_port_is_closed(
) {
    let port = free_port();
    let flow = LoginFlow::default();
    let err = run_loopback_login(&flow, pending(port, STATE), || {
        Err(Error::Config("no browser".into()))
    })
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
    assert!(!flow.is_pending("my-app"));
    assert_refused(port).await;
}

#[tokio::test]
async fn l5_given_a_dropped_listener_when_dropped_then_the_port_closes() {
    let (_flow, _handle, listener, port) = listening().await;
    drop(listener);
    // The serve tasks stop asynchronously; give them a moment.
    let mut refused = false;
    for _ in 0..50 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "port {port} still open after drop");
}

#[tokio::test]
async fn given_a_running_login_when_the_same_app_starts_another_on_the_same_port_then_the_first_is_cancelled_and_the_second_completes(
) {
    let port = free_port();
    let flow = LoginFlow::default();
    let first_flow = flow.clone();
    let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
    let first = tokio::spawn(async move {
        run_loopback_login(&first_flow, pending(port, "state-one"), move || {
            let _ = bound_tx.send(());
            Ok(())
        })
        .await
    });
    bound_rx.await.unwrap();
    let done = run_loopback_login(&flow, pending(port, "state-two"), || {
        tokio::spawn(async move {
            let r = client()
                .get(callback_url(port, &format!("code={CODE}&state=state-two")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        });
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(done.code.expose(), CODE);
    assert!(matches!(first.await.unwrap().unwrap_err(), Error::LoginCancelled));
}

#[tokio::test]
async fn l6_given_a_successful_callback_when_answered_then_the_page_is_self_contained_uncached_and_never_echoes_the_code(
) {
    let (_flow, handle, mut listener, port) = listening().await;
    let r = client()
        .get(callback_url(port, &format!("code={CODE}&state={STATE}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.starts_with("default-src 'none'; style-src 'unsafe-inline'"),
        "{csp}"
    );
    let body = r.text().await.unwrap();
    assert!(!body.contains(CODE), "the page echoes the code");
    assert!(!body.contains(STATE), "the page echoes the state");
    for external in [
        "http://", "https://", "src=", "<link", "<script", "@import", "url(",
    ] {
        assert!(
            !body.contains(external),
            "the page loads something external ({external}): {body}"
        );
    }
    assert!(body.contains("close this tab"));
    handle.wait().await.unwrap();
    listener.closed().await;
    assert_refused(port).await;
}

#[tokio::test]
async fn c7_given_an_access_denied_callback_over_loopback_then_the_page_escapes_the_description_and_the_waiter_gets_consent_denied(
) {
    let (_flow, handle, mut listener, port) = listening().await;
    let q =
        format!("error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state={STATE}");
    let r = client().get(callback_url(port, &q)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body = r.text().await.unwrap();
    assert!(!body.contains("<script>"), "{body}");
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{body}");
    assert!(body.contains("access_denied"));
    match handle.wait().await.unwrap_err() {
        Error::ConsentDenied { error, description } => {
            assert_eq!(error, "access_denied");
            assert_eq!(description.as_deref(), Some("<script>alert(1)</script>"));
        }
        e => panic!("{e}"),
    }
    listener.closed().await;
    assert_refused(port).await;
}

#[tokio::test]
async fn attack_c1_given_a_forged_callback_with_a_wrong_state_over_loopback_then_400_the_login_stays_pending_and_the_right_one_completes(
) {
    let (flow, handle, listener, port) = listening().await;
    let c = client();
    let r = c
        .get(callback_url(port, "code=attacker-code&state=wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body = r.text().await.unwrap();
    assert!(!body.contains("attacker-code"));
    assert!(body.contains("still waiting"), "{body}");
    // C2 too: no state at all.
    let r = c
        .get(callback_url(port, "code=attacker-code"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(flow.is_pending("my-app"));
    assert!(!listener.is_closing());
    let r = c
        .get(callback_url(port, &format!("code={CODE}&state={STATE}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(handle.wait().await.unwrap().code.expose(), CODE);
}

#[tokio::test]
async fn attack_c4_given_a_completed_loopback_login_when_the_callback_is_replayed_then_it_is_rejected_everywhere(
) {
    let (flow, handle, mut listener, port) = listening().await;
    let query = format!("code={CODE}&state={STATE}");
    let r = client().get(callback_url(port, &query)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    handle.wait().await.unwrap();
    listener.closed().await;
    // Replayed on the loopback port: nobody listens any more.
    assert_refused(port).await;
    // Replayed into the flow with the same URL: already completed.
    assert!(matches!(
        flow.deliver(&callback_url(port, &query)),
        Err(Error::AlreadyCompleted)
    ));
    // Replayed as a deep link (a second instance's argv): not a pending login's callback.
    let err = flow
        .deliver(&format!("hubkey://oauth/callback?{query}"))
        .unwrap_err();
    assert!(matches!(err, Error::NoPendingLogin), "{err}");
}

#[tokio::test]
async fn attack_given_a_post_to_the_callback_path_when_requested_then_405_and_the_login_stays_pending() {
    let (flow, _handle, _listener, port) = listening().await;
    let r = client()
        .post(callback_url(port, &format!("code={CODE}&state={STATE}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET");
    assert!(flow.is_pending("my-app"));
}

// ----- docs/SECURITY.md findings 1 and 4, replayed -------------------------------------------

/// The headers Chromium 156 (headless, Linux) sent with `fetch(url, {mode: "no-cors"})` from a page on another
/// site: the web-page half of the login CSRF. Captured through the DevTools protocol by tests/e2e/csrf.mjs
/// (hubkey-cli's cli_red_team.rs runs it in real Chromium too).
const CHROMIUM_NO_CORS: &[&str] = &[
    "Connection: keep-alive",
    "sec-ch-ua-platform: \"Linux\"",
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
    "sec-ch-ua: \"Not:A-Brand\";v=\"8\", \"Chromium\";v=\"156\"",
    "sec-ch-ua-mobile: ?0",
    "Accept: */*",
    "Sec-Fetch-Storage-Access: none",
    "Sec-Fetch-Site: cross-site",
    "Sec-Fetch-Mode: no-cors",
    "Sec-Fetch-Dest: empty",
    "Referer: http://127.0.0.1:33023/",
    "Accept-Encoding: gzip, deflate, br, zstd",
    "Accept-Language: en-US,en;q=0.9",
];

/// What the same Chromium sent when HubSpot's consent form (a POST answered with a 302) took the tab to the
/// callback: a top-level navigation, with no `Origin`.
const CHROMIUM_NAVIGATION: &[&str] = &[
    "Connection: keep-alive",
    "Cache-Control: max-age=0",
    "sec-ch-ua: \"Not:A-Brand\";v=\"8\", \"Chromium\";v=\"156\"",
    "sec-ch-ua-mobile: ?0",
    "sec-ch-ua-platform: \"Linux\"",
    "Upgrade-Insecure-Requests: 1",
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/jxl,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
    "Sec-Fetch-Site: cross-site",
    "Sec-Fetch-Mode: navigate",
    "Sec-Fetch-User: ?1",
    "Sec-Fetch-Dest: document",
    "Referer: http://127.0.0.1:41391/",
    "Accept-Encoding: gzip, deflate, br, zstd",
    "Accept-Language: en-US,en;q=0.9",
];

/// A raw GET of `target` on the listener with `Host: localhost:PORT` and these header lines.
async fn browser_get(port: u16, target: &str, headers: &[&str]) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut req = format!("GET {target} HTTP/1.1\r\nHost: localhost:{port}\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn attack_f1_given_a_pending_login_when_a_web_page_fires_the_callback_with_the_right_state_then_it_is_refused_and_the_navigation_still_completes(
) {
    let (flow, handle, mut listener, port) = listening().await;
    let attacker = format!("{PATH}?code=ATTACKERS-CODE&state={STATE}");

    // When: a page fires the callback as fetch no-cors, as an <img>, as a CORS fetch, in an iframe.
    let img: Vec<&str> = CHROMIUM_NO_CORS
        .iter()
        .map(|h| match *h {
            "Sec-Fetch-Dest: empty" => "Sec-Fetch-Dest: image",
            "Accept: */*" => {
                "Accept: image/jxl,image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
            }
            h => h,
        })
        .collect();
    let cors: Vec<&str> = CHROMIUM_NO_CORS
        .iter()
        .map(|h| match *h {
            "Sec-Fetch-Mode: no-cors" => "Sec-Fetch-Mode: cors",
            h => h,
        })
        .chain(["Origin: https://evil.example"])
        .collect();
    let iframe: Vec<&str> = CHROMIUM_NAVIGATION
        .iter()
        .map(|h| match *h {
            "Sec-Fetch-Dest: document" => "Sec-Fetch-Dest: iframe",
            h => h,
        })
        .collect();
    let origin_only = ["Origin: null"];
    for (what, headers) in [
        ("fetch no-cors", CHROMIUM_NO_CORS),
        ("img", &img[..]),
        ("fetch cors", &cors[..]),
        ("iframe", &iframe[..]),
        ("opaque Origin", &origin_only[..]),
    ] {
        let (status, page) = browser_get(port, &attacker, headers).await;
        // Then: refused, the state is not consumed, the code is never echoed.
        assert_eq!(status, 403, "{what}: {page}");
        assert!(!page.contains("ATTACKERS-CODE"), "{what}");
        assert!(flow.is_pending("my-app"), "{what} ended the login");
        assert!(!listener.is_closing(), "{what} closed the listener");
    }

    // The same state from a top-level navigation (HubSpot's redirect of the tab Hubkey opened) works.
    let (status, _) = browser_get(
        port,
        &format!("{PATH}?code={CODE}&state={STATE}"),
        CHROMIUM_NAVIGATION,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(handle.wait().await.unwrap().code.expose(), CODE);
    listener.closed().await;
}

#[tokio::test]
async fn attack_f1_given_a_pending_login_when_a_web_page_sends_access_denied_with_the_right_state_then_the_login_is_not_aborted(
) {
    let (flow, handle, mut listener, port) = listening().await;
    let abort = format!("{PATH}?error=access_denied&state={STATE}");
    let (status, _) = browser_get(port, &abort, CHROMIUM_NO_CORS).await;
    assert_eq!(status, 403);
    assert!(flow.is_pending("my-app"), "the forged error ended the login");

    // An error from a navigation (HubSpot's own redirect) still ends it.
    let (status, page) = browser_get(port, &abort, CHROMIUM_NAVIGATION).await;
    assert_eq!(status, 200, "{page}");
    assert!(matches!(
        handle.wait().await.unwrap_err(),
        Error::ConsentDenied { .. }
    ));
    listener.closed().await;
}

#[test]
fn f1_given_request_headers_when_judged_then_only_top_level_navigations_or_header_less_clients_pass() {
    use hubkey_core::loopback::not_a_navigation;
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
    let judge = |pairs: &[(&str, &str)]| {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        not_a_navigation(&h, 3000)
    };
    assert_eq!(judge(&[]), None, "curl, an old browser: left to the state check");
    assert_eq!(
        judge(&[("sec-fetch-mode", "navigate"), ("sec-fetch-dest", "document")]),
        None
    );
    assert_eq!(judge(&[("Sec-Fetch-Mode", "NAVIGATE")]), None);
    assert_eq!(judge(&[("origin", "http://localhost:3000")]), None);
    assert_eq!(judge(&[("origin", "http://127.0.0.1:3000")]), None);
    assert!(judge(&[("sec-fetch-mode", "no-cors")]).is_some());
    assert!(judge(&[("sec-fetch-mode", "cors")]).is_some());
    assert!(judge(&[("sec-fetch-mode", "navigate"), ("sec-fetch-mode", "navigate")]).is_some());
    assert!(judge(&[("sec-fetch-dest", "empty")]).is_some());
    assert!(judge(&[("sec-fetch-dest", "iframe")]).is_some());
    assert!(judge(&[("origin", "https://evil.example")]).is_some());
    assert!(judge(&[("origin", "http://localhost:3001")]).is_some());
    assert!(judge(&[("origin", "null")]).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_f4_given_1029_idle_connections_when_hubspot_redirects_then_the_callback_still_gets_through() {
    let (_flow, handle, mut listener, port) = listening().await;
    let v4 = SocketAddr::from(([127, 0, 0, 1], port));
    // Given: the flood of the red team's run, connections that never send a byte.
    let mut idle = Vec::with_capacity(1029);
    for i in 0..1029 {
        match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(v4)).await {
            Ok(Ok(s)) => idle.push(s),
            other => panic!("idle connection {i} could not connect: {other:?}"),
        }
    }
    // When: the browser follows HubSpot's redirect.
    let (status, page) = browser_get(
        port,
        &format!("{PATH}?code={CODE}&state={STATE}"),
        CHROMIUM_NAVIGATION,
    )
    .await;
    // Then: it is answered, and the login completes.
    assert_eq!(status, 200, "{page}");
    assert_eq!(handle.wait().await.unwrap().code.expose(), CODE);
    // The listener held no more than its cap: most of the idle connections were closed by it.
    let mut closed = 0;
    for s in &idle {
        let mut byte = [0u8; 1];
        if let Ok(Ok(0)) = tokio::time::timeout(Duration::from_millis(5), s.peek(&mut byte)).await {
            closed += 1;
        }
    }
    assert!(
        closed >= 1029 - hubkey_core::loopback::MAX_CONNECTIONS,
        "only {closed} idle connections were dropped"
    );
    listener.closed().await;
    assert_refused(port).await;
}

#[tokio::test(start_paused = true)]
async fn attack_f4_given_a_client_that_sends_its_headers_byte_by_byte_when_the_timeout_passes_then_it_is_cut_off_and_the_login_goes_on(
) {
    let (flow, _handle, listener, port) = listening().await;
    let mut slow = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let started = tokio::time::Instant::now();
    let request =
        format!("GET {PATH}?code={CODE}&state={STATE} HTTP/1.1\r\nHost: localhost:{port}\r\nX-Slow: ");
    slow.write_all(request.as_bytes()).await.unwrap();
    // One more header byte every second, never the blank line that ends the head.
    let cut_off = loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut byte = [0u8; 1];
        match tokio::time::timeout(Duration::from_millis(1), slow.read(&mut byte)).await {
            Ok(Ok(_)) | Ok(Err(_)) => break started.elapsed(),
            Err(_) => {}
        }
        if slow.write_all(b"a").await.is_err() {
            break started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(60), "never cut off");
    };
    assert!(
        cut_off >= hubkey_core::loopback::HEADER_READ_TIMEOUT,
        "cut off after {cut_off:?}, before the timeout"
    );
    assert!(
        cut_off <= hubkey_core::loopback::HEADER_READ_TIMEOUT + Duration::from_secs(2),
        "{cut_off:?}"
    );
    assert!(flow.is_pending("my-app"));
    listener.close().await;
}
