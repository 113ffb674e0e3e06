//! Nothing logs a callback's query (threat-model.md §4.1, §4.7; C5 "logged without query").
//!
//! Its own test binary: it installs a global TRACE subscriber writing to a buffer.

// Test helpers outside #[test] functions may unwrap too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hubkey_core::callback::CallbackTarget;
use hubkey_core::login::{LoginFlow, PendingLogin};
use hubkey_core::loopback::LoopbackListener;
use hubkey_core::{CsrfState, Error, PkceVerifier};
use std::io::Write;
use std::sync::{Arc, Mutex};

const CODE: &str = "na1-c0de-5ecret-aaaa-bbbb";
const STATE: &str = "sT4te-5ecret-0123456789";
const FORGED_STATE: &str = "f0rged-5tate-value";
const VERIFIER: &str = "ver1fier-5ecret-value";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_c5_given_trace_logging_when_callbacks_are_ignored_accepted_and_replayed_then_no_code_or_state_is_logged(
) {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let flow = LoginFlow::default();

    // C5: an unsolicited deep link while nothing is pending.
    let err = flow
        .deliver(&format!("hubkey://oauth/callback?code={CODE}&state={STATE}"))
        .unwrap_err();
    assert!(matches!(err, Error::NoPendingLogin));

    // A full loopback login: a forged callback, then the right one, then a replay.
    let mut listener = LoopbackListener::bind(flow.clone(), 0, "/cb").await.unwrap();
    let port = listener.port();
    let handle = flow.start(PendingLogin::new(
        "app",
        CallbackTarget::loopback(port, "/cb"),
        CsrfState::new(STATE),
        Some(PkceVerifier::new(VERIFIER)),
        format!("http://localhost:{port}/cb"),
    ));
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let r = client
        .get(format!(
            "http://localhost:{port}/cb?code={CODE}&state={FORGED_STATE}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = client
        .get(format!("http://localhost:{port}/nope?code={CODE}&state={STATE}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let good = format!("http://localhost:{port}/cb?code={CODE}&state={STATE}");
    let r = client.get(&good).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let done = handle.wait().await.unwrap();
    assert_eq!(done.code.expose(), CODE);
    listener.closed().await;
    assert!(matches!(flow.deliver(&good), Err(Error::AlreadyCompleted)));
    // Debug output of the result is redacted too.
    tracing::debug!(?done, "completed");

    let out = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        out.contains("ignored a sign-in callback"),
        "nothing captured?\n{out}"
    );
    // Refused links are logged as scheme and length only (docs/SECURITY.md, finding 2).
    assert!(out.contains("hubkey: URL, "), "{out}");
    assert!(!out.contains("hubkey://oauth/callback"), "{out}");
    for secret in [CODE, STATE, FORGED_STATE, VERIFIER, "5ecret", "code=", "state="] {
        assert!(!out.contains(secret), "{secret:?} appears in the logs:\n{out}");
    }
}
