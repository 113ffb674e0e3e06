//! The bridge against a tiny streamable-HTTP server written here, for what the sandbox does not
//! do: SSE answers cut into awkward chunks, comments and keep-alives, multi-line `data:`, server
//! notifications and requests before the response, sessions that disappear, the GET stream, and
//! the `DELETE` at the end. The server checks the headers every request carries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use hubkey_core::AccessToken;
use hubkey_mcp::{BridgeEnd, TokenLease, TokenSource};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{options, Client};
use tokio::sync::{mpsc, Notify};

const TOKEN: &str = "test-token-0123456789abcdef";

/// A source with one token that never needs refreshing.
#[derive(Debug, Clone)]
struct FixedToken;

impl TokenSource for FixedToken {
    async fn fresh_token(&self) -> hubkey_core::Result<TokenLease> {
        Ok(TokenLease {
            token: AccessToken::new(TOKEN),
            reuse_until: Some(Instant::now() + Duration::from_secs(3600)),
        })
    }
    async fn refresh_after_unauthorized(&self, _: &AccessToken) -> hubkey_core::Result<TokenLease> {
        self.fresh_token().await
    }
}

#[derive(Debug, Default)]
struct Seen {
    /// (method, JSON-RPC method or "-", session header, protocol header)
    requests: Vec<(String, String, Option<String>, Option<String>)>,
    sessions: Vec<String>,
    deleted: Vec<String>,
    client_answers: Vec<Value>,
}

#[derive(Clone, Default)]
struct Upstream {
    seen: Arc<Mutex<Seen>>,
    next_session: Arc<AtomicU32>,
    answered: Arc<Notify>,
    get_stream: Arc<std::sync::atomic::AtomicBool>,
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

fn sse(chunks: Vec<(u64, Vec<u8>)>) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    tokio::spawn(async move {
        for (delay_ms, chunk) in chunks {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            if tx.send(Ok(Bytes::from(chunk))).await.is_err() {
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap()
}

async fn endpoint(State(up): State<Upstream>, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    assert_eq!(
        header(&headers, "authorization").as_deref(),
        Some(&*format!("Bearer {TOKEN}"))
    );
    let session = header(&headers, "mcp-session-id");
    let protocol = header(&headers, "mcp-protocol-version");
    let message: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let rpc_method = message["method"].as_str().unwrap_or("-").to_owned();
    let known = {
        let mut seen = up.seen.lock().unwrap();
        seen.requests.push((
            method.to_string(),
            rpc_method.clone(),
            session.clone(),
            protocol.clone(),
        ));
        session.as_ref().is_some_and(|s| seen.sessions.contains(s))
    };
    if method == Method::DELETE {
        up.seen.lock().unwrap().deleted.extend(session);
        return StatusCode::OK.into_response();
    }
    if method == Method::GET {
        assert_eq!(header(&headers, "accept").as_deref(), Some("text/event-stream"));
        if !up.get_stream.load(Ordering::SeqCst) {
            return StatusCode::METHOD_NOT_ALLOWED.into_response();
        }
        let note = json!({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "pushed"}});
        return sse(vec![
            (10, format!(": open\n\nid: g1\ndata: {note}\n\n").into_bytes()),
            (60_000, Vec::new()),
        ]);
    }
    let accept = header(&headers, "accept").unwrap_or_default();
    assert!(
        accept.contains("application/json") && accept.contains("text/event-stream"),
        "{accept}"
    );
    if rpc_method == "initialize" {
        assert!(
            session.is_none() && protocol.is_none(),
            "initialize carries no session headers"
        );
        let id = format!("session-{}", up.next_session.fetch_add(1, Ordering::SeqCst) + 1);
        up.seen.lock().unwrap().sessions.push(id.clone());
        let result = json!({"jsonrpc": "2.0", "id": message["id"], "result": {"protocolVersion": "2025-06-18", "capabilities": {}, "serverInfo": {"name": "edge", "version": "1"}}});
        let mut r = sse(vec![(
            0,
            format!("event: message\ndata: {result}\n\n").into_bytes(),
        )]);
        r.headers_mut().insert("mcp-session-id", id.parse().unwrap());
        return r;
    }
    if !known {
        return (StatusCode::NOT_FOUND, "session not found").into_response();
    }
    assert_eq!(
        protocol.as_deref(),
        Some("2025-06-18"),
        "{rpc_method} carries the negotiated version"
    );
    if message.get("method").is_none() {
        // The client's answer to our request.
        up.seen.lock().unwrap().client_answers.push(message);
        up.answered.notify_one();
        return StatusCode::ACCEPTED.into_response();
    }
    if rpc_method.starts_with("notifications/") {
        return StatusCode::ACCEPTED.into_response();
    }
    let id = message["id"].clone();
    match message.pointer("/params/name").and_then(Value::as_str) {
        Some("split") => {
            let progress = json!({"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": 1, "progress": 0.5}}).to_string();
            let (p1, p2) = progress.split_at(17);
            let answer = serde_json::to_string_pretty(&json!({"jsonrpc": "2.0", "id": id, "result": {"content": [{"type": "text", "text": "done: ünïcødé"}]}})).unwrap();
            let data: String = answer.lines().map(|l| format!("data: {l}\r\n")).collect();
            let bytes = data.into_bytes();
            // Split inside the multi-byte "ü" (bytes, not chars).
            let cut = bytes.iter().position(|b| *b == 0xc3).unwrap() + 1;
            let (d1, d2) = bytes.split_at(cut);
            sse(vec![
                (0, b": keep-alive\r\n\r\n".to_vec()),
                (20, format!("id: 1\ndata: {p1}").into_bytes()),
                (20, format!("{p2}\n").into_bytes()),
                (20, b"\n: ping\n\n".to_vec()),
                (20, [b"id: 2\r\n".as_slice(), d1].concat()),
                (20, [d2, b"\r\n".as_slice()].concat()),
            ])
        }
        Some("ask") => {
            let request = json!({"jsonrpc": "2.0", "id": "srv-1", "method": "elicitation/create", "params": {"message": "sure?", "requestedSchema": {"type": "object", "properties": {}}}});
            let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(16);
            let answered = up.answered.clone();
            tokio::spawn(async move {
                let _ = tx.send(Ok(Bytes::from(format!("data: {request}\n\n")))).await;
                answered.notified().await;
                let result = json!({"jsonrpc": "2.0", "id": id, "result": {"content": [{"type": "text", "text": "asked"}]}});
                let _ = tx.send(Ok(Bytes::from(format!("data: {result}\n\n")))).await;
            });
            let stream =
                futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
            Response::builder()
                .header("content-type", "text/event-stream")
                .body(Body::from_stream(stream))
                .unwrap()
        }
        Some("slow") => {
            tokio::time::sleep(Duration::from_millis(800)).await;
            axum::Json(json!({"jsonrpc": "2.0", "id": id, "result": {"content": [{"type": "text", "text": "slow"}]}})).into_response()
        }
        _ => axum::Json(
            json!({"jsonrpc": "2.0", "id": id, "result": {"content": [{"type": "text", "text": "fast"}]}}),
        )
        .into_response(),
    }
}

async fn upstream() -> (Upstream, String) {
    let up = Upstream::default();
    let app = Router::new().route("/mcp", any(endpoint)).with_state(up.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (up, url)
}

fn call(id: u64, name: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": {}}})
}

#[tokio::test]
async fn given_an_sse_answer_cut_mid_line_and_mid_character_with_comments_and_multi_line_data_then_each_message_is_one_line_in_order(
) {
    let (_up, url) = upstream().await;
    let mut client = Client::start(options(&url), FixedToken);
    client.initialize().await;
    client.send(call(1, "split")).await;
    let progress = client.recv().await;
    assert_eq!(
        progress["method"], "notifications/progress",
        "the notification comes first: {progress}"
    );
    assert_eq!(progress["params"]["progress"], 0.5);
    let answer = client.recv().await;
    assert_eq!(answer["id"], 1);
    assert_eq!(
        answer["result"]["content"][0]["text"], "done: ünïcødé",
        "{answer}"
    );
    client.assert_silent(Duration::from_millis(100)).await;
    client.close().await;
}

#[tokio::test]
async fn given_requests_after_initialize_then_each_carries_the_session_and_the_negotiated_protocol_version() {
    let (up, url) = upstream().await;
    let mut client = Client::start(options(&url), FixedToken);
    let init = client.initialize().await;
    assert_eq!(init["result"]["serverInfo"]["name"], "edge");
    assert_eq!(
        client.request(1, "tools/call", json!({"name": "fast"})).await["result"]["content"][0]["text"],
        "fast"
    );
    let seen = up.seen.lock().unwrap();
    let posts: Vec<_> = seen.requests.iter().filter(|r| r.0 == "POST").collect();
    assert_eq!(posts[0].1, "initialize");
    for r in &posts[1..] {
        assert_eq!(r.2.as_deref(), Some("session-1"), "{r:?}");
        assert_eq!(r.3.as_deref(), Some("2025-06-18"), "{r:?}");
    }
    assert_eq!(
        posts[1].1, "notifications/initialized",
        "sent before the next request"
    );
}

#[tokio::test]
async fn given_the_upstream_forgets_its_sessions_when_the_next_call_is_made_then_the_bridge_reinitialises_without_the_client_noticing(
) {
    let (up, url) = upstream().await;
    let mut client = Client::start(options(&url), FixedToken);
    client.initialize().await;
    assert_eq!(
        client.request(1, "tools/call", json!({"name": "fast"})).await["id"],
        1
    );
    // A restart: every session id it gave out is now a 404.
    up.seen.lock().unwrap().sessions.clear();
    for id in 2..6 {
        client.send(call(id, "fast")).await;
    }
    let mut ids: Vec<u64> = Vec::new();
    for _ in 2..6 {
        let answer = client.recv().await;
        assert_eq!(
            answer["result"]["content"][0]["text"], "fast",
            "no initialize answer reaches the client: {answer}"
        );
        ids.push(answer["id"].as_u64().unwrap());
    }
    ids.sort_unstable();
    assert_eq!(ids, vec![2, 3, 4, 5]);
    client.assert_silent(Duration::from_millis(100)).await;
    let seen = up.seen.lock().unwrap();
    let inits = seen.requests.iter().filter(|r| r.1 == "initialize").count();
    let initialized: Vec<_> = seen
        .requests
        .iter()
        .filter(|r| r.1 == "notifications/initialized")
        .collect();
    assert_eq!(inits, 2, "four 404s, one replayed initialize");
    assert_eq!(initialized.len(), 2);
    assert_eq!(
        initialized[1].2.as_deref(),
        Some("session-2"),
        "initialized is replayed on the new session"
    );
    let retried: Vec<_> = seen
        .requests
        .iter()
        .filter(|r| r.1 == "tools/call" && r.2.as_deref() == Some("session-2"))
        .collect();
    assert_eq!(retried.len(), 4);
}

#[tokio::test]
async fn given_a_server_request_inside_an_answer_when_the_client_replies_then_the_reply_reaches_the_server_and_the_call_completes(
) {
    let (up, url) = upstream().await;
    let mut client = Client::start(options(&url), FixedToken);
    client.initialize().await;
    client.send(call(7, "ask")).await;
    let ask = client.recv().await;
    assert_eq!(ask["method"], "elicitation/create");
    assert_eq!(ask["id"], "srv-1");
    client
        .send(json!({"jsonrpc": "2.0", "id": "srv-1", "result": {"action": "accept", "content": {}}}))
        .await;
    let answer = client.recv().await;
    assert_eq!(answer["id"], 7);
    assert_eq!(answer["result"]["content"][0]["text"], "asked");
    assert_eq!(
        up.seen.lock().unwrap().client_answers[0]["result"]["action"],
        "accept"
    );
}

#[tokio::test]
async fn given_a_slow_call_and_a_fast_one_then_they_run_concurrently_and_the_fast_answer_comes_first() {
    let (_up, url) = upstream().await;
    let mut client = Client::start(options(&url), FixedToken);
    client.initialize().await;
    client.send(call(1, "slow")).await;
    client.send(call(2, "fast")).await;
    assert_eq!(client.recv().await["id"], 2);
    assert_eq!(client.recv().await["id"], 1);
}

#[tokio::test]
async fn given_a_server_with_a_get_stream_when_it_pushes_a_notification_then_the_client_gets_it() {
    let (up, url) = upstream().await;
    up.get_stream.store(true, Ordering::SeqCst);
    let mut client = Client::start(options(&url), FixedToken);
    client.initialize().await;
    let pushed = client.recv().await;
    assert_eq!(pushed["method"], "notifications/message");
    assert_eq!(pushed["params"]["data"], "pushed");
    let gets = up
        .seen
        .lock()
        .unwrap()
        .requests
        .iter()
        .filter(|r| r.0 == "GET")
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(gets[0].2.as_deref(), Some("session-1"));
    client.close().await;
}

#[tokio::test]
async fn given_eof_on_stdin_when_the_bridge_ends_then_it_deletes_its_session_and_says_closed() {
    let (up, url) = upstream().await;
    let mut client = Client::start(options(&url), FixedToken);
    client.initialize().await;
    assert!(matches!(client.close().await, BridgeEnd::Closed));
    assert_eq!(up.seen.lock().unwrap().deleted, vec!["session-1".to_owned()]);
}

#[tokio::test]
async fn given_the_shutdown_signal_while_a_call_is_in_flight_then_the_bridge_ends_and_deletes_the_session() {
    let (up, url) = upstream().await;
    let mut client = Client::start(options(&url), FixedToken);
    client.initialize().await;
    client.send(call(1, "ask")).await; // waits for an answer that never comes
    assert_eq!(client.recv().await["method"], "elicitation/create");
    drop(client.stop.take());
    let end = tokio::time::timeout(Duration::from_secs(10), client.task)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(end, BridgeEnd::Closed));
    assert_eq!(up.seen.lock().unwrap().deleted, vec!["session-1".to_owned()]);
}

#[tokio::test]
async fn given_a_line_that_is_not_json_then_the_client_gets_a_parse_error_and_the_bridge_goes_on() {
    let (_up, url) = upstream().await;
    let mut client = Client::start(options(&url), FixedToken);
    client.send_raw(b"{not json").await;
    let err = client.recv().await;
    assert_eq!(err["error"]["code"], -32700);
    assert_eq!(err["id"], Value::Null);
    client.initialize().await;
    assert_eq!(
        client.request(1, "tools/call", json!({"name": "fast"})).await["id"],
        1
    );
}

#[tokio::test]
async fn given_eof_with_a_call_still_in_flight_when_the_signal_comes_then_the_bridge_stops_without_waiting_for_the_drain(
) {
    let (up, url) = upstream().await;
    let mut o = options(&url);
    o.drain_timeout = Duration::from_secs(60);
    let mut client = Client::start(o, FixedToken);
    client.initialize().await;
    client.send(call(1, "ask")).await; // never answered
    assert_eq!(client.recv().await["method"], "elicitation/create");
    drop(client.input.take());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!client.task.is_finished(), "still draining the call in flight");
    drop(client.stop.take());
    let end = tokio::time::timeout(Duration::from_secs(10), client.task)
        .await
        .expect("the signal ends the drain")
        .unwrap();
    assert!(matches!(end, BridgeEnd::Closed));
    assert_eq!(up.seen.lock().unwrap().deleted, vec!["session-1".to_owned()]);
}
