//! The stdio ↔ streamable-HTTP bridge: an MCP client that can only start local (stdio) servers
//! talks to HubSpot's remote MCP server through it, with a fresh token on every request.
//!
//! Streamable HTTP as the MCP specification (revision 2025-06-18, "Transports") defines it:
//!
//! * every client message is POSTed to the one endpoint with
//!   `Accept: application/json, text/event-stream`; a notification or a response is answered
//!   `202 Accepted` with no body (nothing goes to stdout), a request with either one JSON body or an
//!   SSE stream that may carry the server's notifications and requests before the response;
//!   each message goes to stdout as one line, in the order the server sent it;
//! * the `Mcp-Session-Id` of the `initialize` answer is sent on every later request, and so is
//!   `MCP-Protocol-Version` with the version the server chose in the `initialize` result;
//! * a `404` to a request carrying a session id means the session is gone: the bridge replays the
//!   client's own `initialize` (and `notifications/initialized`), takes the new session and
//!   retries; the client never sees that second `initialize` answer;
//! * after initialization the bridge opens the optional GET stream for messages the server sends
//!   on its own (a `405` means the server has none);
//! * on EOF on stdin or a signal, the bridge sends `DELETE` for its session and ends.
//!
//! Messages are passed through as the raw JSON they arrived as (only line breaks between tokens
//! are turned into spaces, so one message is one line): nothing is parsed into a typed model that
//! could drop a field, so any protocol revision works, including a client that starts with
//! `server/discover` instead of `initialize`.
//!
//! Client requests run concurrently; notifications and responses are sent in order, each one
//! after the server accepted the previous (so `notifications/initialized` always reaches the
//! server before the requests that follow it). All stdout lines go through one writer, so they
//! never interleave.
//!
//! Authorization: the token comes from a [`TokenCache`] over the caller's [`TokenSource`]. A 401
//! for an expired or unknown token causes one refresh and one retry; HubSpot's plain-text 401
//! for an account-level token becomes a JSON-RPC error that names the fix, with no refresh
//! ([`crate::classify`]); a refresh the source refuses with `NeedsReauth` becomes a JSON-RPC error
//! saying to reconnect the portal, and the bridge ends with [`BridgeEnd::NeedsReauth`].
//!
//! Tokens appear only in the `Authorization` header: never in a log line, an error or a message
//! to the client.

mod stream;
mod upstream;
mod wire;

use crate::classify::{self, Unauthorized, NOT_USER_LEVEL_FIX};
use crate::sse::SseReader;
use crate::token::{TokenCache, TokenSource};
use hubkey_core::{AccessToken, Error, ErrorCode};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use url::Url;
use wire::*;

/// The session header (case-insensitive on the wire).
pub const SESSION_HEADER: &str = "mcp-session-id";
/// The protocol-version header sent after initialization.
pub const PROTOCOL_HEADER: &str = "mcp-protocol-version";

/// JSON-RPC error codes of the bridge's own errors (the implementation-defined server range).
pub mod codes {
    /// The server refused the token again after a refresh.
    pub const UNAUTHORIZED: i64 = -32001;
    /// The token is not user-level; HubSpot's MCP server will never accept it.
    pub const NOT_USER_LEVEL: i64 = -32002;
    /// The connection's refresh token is dead: reconnect the portal.
    pub const NEEDS_REAUTH: i64 = -32003;
    /// The server could not be reached, or answered 429/5xx.
    pub const UNAVAILABLE: i64 = -32004;
    /// The server answered something that is not an MCP answer.
    pub const UPSTREAM: i64 = -32005;
    /// No token could be read here (keychain, configuration).
    pub const LOCAL: i64 = -32006;
    /// A line on stdin that is not JSON (JSON-RPC's parse error).
    pub const PARSE_ERROR: i64 = -32700;
}

/// Largest JSON answer read into memory (an SSE stream is read event by event).
const MAX_JSON_BODY: usize = 16 * 1024 * 1024;
/// Largest error body read (only an excerpt is ever shown).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// How the bridge is set up.
#[derive(Debug, Clone)]
pub struct BridgeOptions {
    /// The MCP endpoint (HubSpot's: `https://mcp.hubspot.com/`).
    pub url: Url,
    /// Open the GET stream for server-initiated messages after initialization.
    pub open_get_stream: bool,
    /// What to do when the connection needs a new login, e.g. "Reconnect the portal with `hubkey
    /// login --app A --portal 123`". Part of the JSON-RPC error and of the error returned.
    pub reconnect_hint: String,
    /// After EOF on stdin, how long requests still in flight may take to finish.
    pub drain_timeout: Duration,
    /// The `User-Agent` of the bridge's requests.
    pub user_agent: String,
}

impl BridgeOptions {
    /// Options for `url`, with the GET stream on and a 10 s drain.
    pub fn new(url: Url) -> Self {
        Self {
            url,
            open_get_stream: true,
            reconnect_hint: "Reconnect the portal with `hubkey login`".into(),
            drain_timeout: Duration::from_secs(10),
            user_agent: format!("hubkey/{} (mcp bridge)", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// Why the bridge stopped.
#[derive(Debug)]
pub enum BridgeEnd {
    /// EOF on stdin or the shutdown signal; the session was deleted. Exit 0.
    Closed,
    /// The client stopped reading stdout.
    OutputClosed,
    /// The connection needs a new login (the error the source gave, with the hint). The client
    /// got a JSON-RPC error saying so. Exit 3.
    NeedsReauth(Error),
}

/// Builds the bridge's HTTP client: no redirects (a bearer token must never follow one to
/// another host), 10 s to connect, no overall timeout (tool calls and event streams may last),
/// and no proxy for a loopback endpoint.
pub fn http_client(options: &BridgeOptions) -> hubkey_core::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(options.user_agent.clone());
    if is_loopback(&options.url) {
        builder = builder.no_proxy();
    }
    builder
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Runs the bridge until `input` ends (EOF), `shutdown` completes, the client stops reading
/// `output`, or the connection needs a new login.
///
/// `input` yields the client's lines (one JSON-RPC message each, without the newline); every
/// line sent on `output` is one message for the client, without the newline.
pub async fn run<S, F>(
    options: BridgeOptions,
    http: reqwest::Client,
    source: S,
    mut input: mpsc::Receiver<Vec<u8>>,
    output: mpsc::UnboundedSender<Vec<u8>>,
    shutdown: F,
) -> BridgeEnd
where
    S: TokenSource,
    F: Future<Output = ()>,
{
    let (fatal_tx, mut fatal_rx) = watch::channel(None);
    let shared = Arc::new(Shared {
        http,
        tokens: TokenCache::new(source),
        session: Mutex::new(Session::default()),
        reinit: tokio::sync::Mutex::new(()),
        init: Mutex::new(InitMessages::default()),
        out: output,
        fatal: fatal_tx,
        get_stream: Mutex::new(None),
        options,
    });
    let mut requests = JoinSet::new();
    tokio::pin!(shutdown);
    let end = loop {
        tokio::select! {
            biased;
            changed = fatal_rx.changed() => {
                if changed.is_ok() {
                    if let Some(err) = fatal_rx.borrow_and_update().clone() {
                        break Ending::Reauth(err);
                    }
                }
            }
            () = &mut shutdown => break Ending::Signal,
            () = shared.out.closed() => break Ending::Output,
            line = input.recv() => match line {
                None => break Ending::Eof,
                Some(line) => {
                    // `initialize` and notifications are sent inline (in order); a signal must
                    // still be heard while one waits for the server.
                    let work = shared.clone().handle_line(line, &mut requests);
                    tokio::select! {
                        biased;
                        () = &mut shutdown => break Ending::Signal,
                        () = work => {}
                    }
                }
            },
            Some(_) = requests.join_next(), if !requests.is_empty() => {}
        }
    };
    if matches!(end, Ending::Eof) {
        // The client closed stdin: let the answers it may still read arrive, within bounds, and
        // stop at once on a signal (the SDKs send SIGTERM two seconds after closing stdin).
        let drain = async { while requests.join_next().await.is_some() {} };
        tokio::select! {
            () = drain => {}
            () = &mut shutdown => {}
            () = tokio::time::sleep(shared.options.drain_timeout) => {
                tracing::warn!(target: "hubkey::mcp", "requests still running after stdin closed were cancelled");
            }
        }
    }
    requests.abort_all();
    while requests.join_next().await.is_some() {}
    shared.stop_get_stream();
    if !matches!(end, Ending::Reauth(_)) {
        shared.delete_session().await;
    }
    match end {
        Ending::Eof | Ending::Signal => BridgeEnd::Closed,
        Ending::Output => BridgeEnd::OutputClosed,
        Ending::Reauth(err) => BridgeEnd::NeedsReauth(err.into_error()),
    }
}

enum Ending {
    Eof,
    Signal,
    Output,
    Reauth(FatalError),
}

/// The error that stopped the bridge (kept clonable for the watch channel).
#[derive(Debug, Clone)]
struct FatalError(Arc<Mutex<Option<Error>>>);

impl FatalError {
    fn new(e: Error) -> Self {
        Self(Arc::new(Mutex::new(Some(e))))
    }
    fn into_error(self) -> Error {
        lock(&self.0)
            .take()
            .unwrap_or_else(|| Error::NotSignedIn("the connection needs a new login".into()))
    }
}

#[derive(Debug, Clone, Default)]
struct Session {
    id: Option<String>,
    protocol: Option<String>,
    /// Bumped each time a session is established, so concurrent 404s re-initialise once.
    generation: u64,
}

#[derive(Debug, Clone, Default)]
struct InitMessages {
    initialize: Option<Vec<u8>>,
    initialize_id: Option<Value>,
    initialized: Option<Vec<u8>>,
}

struct Shared<S> {
    http: reqwest::Client,
    tokens: TokenCache<S>,
    session: Mutex<Session>,
    reinit: tokio::sync::Mutex<()>,
    init: Mutex<InitMessages>,
    out: mpsc::UnboundedSender<Vec<u8>>,
    fatal: watch::Sender<Option<FatalError>>,
    get_stream: Mutex<Option<tokio::task::JoinHandle<()>>>,
    options: BridgeOptions,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<S: TokenSource> Shared<S> {
    async fn handle_line(self: Arc<Self>, line: Vec<u8>, requests: &mut JoinSet<()>) {
        if line.trim_ascii().is_empty() {
            return;
        }
        let Ok(msg) = Incoming::parse(&line) else {
            tracing::warn!(target: "hubkey::mcp", "a line on stdin is not JSON; answered with a parse error");
            self.emit_error(
                &Value::Null,
                &RpcFailure::new(
                    codes::PARSE_ERROR,
                    "parse_error",
                    "Parse error: the line is not JSON",
                ),
            );
            return;
        };
        match msg.method.as_deref() {
            Some("initialize") if msg.is_request() => {
                {
                    let mut init = lock(&self.init);
                    init.initialize = Some(msg.raw.clone());
                    init.initialize_id = msg.ids.first().cloned();
                    init.initialized = None;
                }
                // Inline: nothing else may go out before the session exists.
                self.deliver_request(&msg).await;
            }
            Some("notifications/initialized") => {
                lock(&self.init).initialized = Some(msg.raw.clone());
                self.deliver_notification(&msg).await;
                self.clone().start_get_stream();
            }
            _ if msg.is_request() => {
                let me = self.clone();
                requests.spawn(async move { me.deliver_request(&msg).await });
            }
            _ => self.deliver_notification(&msg).await,
        }
    }

    async fn deliver_request(&self, msg: &Incoming) {
        if let Err(failure) = self.deliver(msg, Mode::Forward).await {
            for id in &msg.ids {
                self.emit_error(id, &failure);
            }
            if let Some(err) = failure.fatal {
                self.fatal.send_replace(Some(FatalError::new(err)));
            }
        }
    }

    async fn deliver_notification(&self, msg: &Incoming) {
        if let Err(failure) = self.deliver(msg, Mode::Forward).await {
            tracing::warn!(
                target: "hubkey::mcp",
                method = msg.method.as_deref().unwrap_or("(response)"),
                "the MCP server did not take a notification: {}",
                failure.message
            );
            if let Some(err) = failure.fatal {
                self.fatal.send_replace(Some(FatalError::new(err)));
            }
        }
    }

    fn emit(&self, line: Vec<u8>) {
        // A closed output ends the main loop; nothing else to do here.
        let _ = self.out.send(line);
    }

    fn emit_error(&self, id: &Value, failure: &RpcFailure) {
        let message = json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": {
                "code": failure.code,
                "message": failure.message,
                "data": {"hubkey": failure.kind},
            },
        });
        self.emit(message.to_string().into_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_messages_when_parsed_then_requests_notifications_and_batches_are_told_apart() {
        let r = Incoming::parse(br#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#).unwrap();
        assert_eq!(r.ids, vec![json!(7)]);
        assert_eq!(r.method.as_deref(), Some("tools/list"));
        let n = Incoming::parse(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap();
        assert!(!n.is_request());
        let resp = Incoming::parse(br#"{"jsonrpc":"2.0","id":"s1","result":{}}"#).unwrap();
        assert!(
            !resp.is_request(),
            "a response to a server request is not a request"
        );
        let b = Incoming::parse(br#"[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"}]"#)
            .unwrap();
        assert_eq!(b.ids, vec![json!(1)]);
        assert!(Incoming::parse(b"not json").is_err());
    }

    #[test]
    fn given_pretty_json_when_made_one_line_then_only_whitespace_changes() {
        let pretty = b"{\n  \"a\": \"x y\",\r\n  \"b\": [1,\n2]\n}\n";
        let line = one_line(pretty);
        assert!(!line.contains(&b'\n') && !line.contains(&b'\r'));
        let a: Value = serde_json::from_slice(pretty).unwrap();
        let b: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn given_statuses_when_failing_then_each_gets_a_code_and_no_token() {
        let f = status_failure(StatusCode::SERVICE_UNAVAILABLE, b"down tok-1", "tok-1");
        assert_eq!(f.code, codes::UNAVAILABLE);
        assert!(!f.message.contains("tok-1"), "{}", f.message);
        assert_eq!(status_failure(StatusCode::FORBIDDEN, b"", "t").kind, "forbidden");
        assert_eq!(
            status_failure(StatusCode::IM_A_TEAPOT, b"", "t").code,
            codes::UPSTREAM
        );
    }

    #[test]
    fn given_a_json_rpc_error_body_when_matched_then_only_answers_to_our_ids_pass() {
        let body = br#"{"jsonrpc":"2.0","id":3,"error":{"code":-32600,"message":"bad"}}"#;
        assert!(rpc_answer_for(body, &[json!(3)]).is_some());
        assert!(rpc_answer_for(body, &[json!(4)]).is_none());
        assert!(rpc_answer_for(b"<html>", &[json!(3)]).is_none());
    }

    #[test]
    fn given_urls_when_checked_for_loopback_then_only_local_hosts_are() {
        assert!(is_loopback(&Url::parse("http://127.0.0.1:4011/").unwrap()));
        assert!(is_loopback(&Url::parse("http://localhost:1/").unwrap()));
        assert!(is_loopback(&Url::parse("http://[::1]:1/").unwrap()));
        assert!(!is_loopback(&Url::parse("https://mcp.hubspot.com/").unwrap()));
    }
}
