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

/// One message from the client.
#[derive(Debug, Clone)]
struct Incoming {
    raw: Vec<u8>,
    /// The ids of the requests in it (one, or several in a batch).
    ids: Vec<Value>,
    method: Option<String>,
}

impl Incoming {
    fn parse(line: &[u8]) -> Result<Self, ()> {
        let value: Value = serde_json::from_slice(line).map_err(|_| ())?;
        let request_id = |m: &Value| {
            (m.get("method").is_some())
                .then(|| m.get("id").cloned())
                .flatten()
                .filter(|id| !id.is_null())
        };
        let (ids, method) = match &value {
            Value::Array(items) => (items.iter().filter_map(request_id).collect(), None),
            other => (
                request_id(other).into_iter().collect(),
                other.get("method").and_then(Value::as_str).map(str::to_owned),
            ),
        };
        Ok(Self {
            raw: one_line(line),
            ids,
            method,
        })
    }

    fn is_request(&self) -> bool {
        !self.ids.is_empty()
    }
}

/// The same JSON on one line: line breaks (which JSON allows only between tokens) become spaces.
fn one_line(bytes: &[u8]) -> Vec<u8> {
    let trimmed = bytes.trim_ascii();
    trimmed
        .iter()
        .map(|b| if *b == b'\n' || *b == b'\r' { b' ' } else { *b })
        .collect()
}

/// What to do with the messages of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Send them to the client.
    Forward,
    /// A replayed `initialize`: the client must not see them.
    Replay,
}

/// A request failed: the JSON-RPC error to answer it with.
#[derive(Debug)]
struct RpcFailure {
    code: i64,
    message: String,
    kind: &'static str,
    /// Set when the failure ends the bridge.
    fatal: Option<Error>,
}

impl RpcFailure {
    fn new(code: i64, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            kind,
            fatal: None,
        }
    }
}

/// What a successful answer said about the session.
#[derive(Debug, Default)]
struct Answered {
    session_id: Option<String>,
    /// `result.protocolVersion` of an `initialize` answer.
    protocol: Option<String>,
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

    /// Sends one client message, refreshing once after a 401 and re-initialising once after a
    /// session 404.
    async fn deliver(&self, msg: &Incoming, mode: Mode) -> Result<Answered, RpcFailure> {
        let is_initialize = msg.method.as_deref() == Some("initialize");
        let mut refreshed = false;
        let mut reinitialised = false;
        loop {
            let token = self.tokens.token().await.map_err(|e| self.token_failure(e))?;
            let session = if is_initialize {
                Session::default()
            } else {
                lock(&self.session).clone()
            };
            let response = self
                .request(Method::POST, &token, &session, Some(msg.raw.clone()), None)
                .await
                .map_err(|e| transport_failure(&e))?;
            let status = response.status();
            match status {
                StatusCode::ACCEPTED | StatusCode::NO_CONTENT => {
                    if msg.is_request() {
                        return Err(RpcFailure::new(
                            codes::UPSTREAM,
                            "no_answer",
                            format!(
                                "HubSpot's MCP server accepted the request without answering it (HTTP {})",
                                status.as_u16()
                            ),
                        ));
                    }
                    return Ok(Answered::default());
                }
                s if s.is_success() => {
                    let answered = self.read_answer(response, msg, mode, &token).await?;
                    if is_initialize {
                        self.adopt_session(&answered, mode);
                    }
                    return Ok(answered);
                }
                StatusCode::UNAUTHORIZED => {
                    let (headers, body) = read_error_body(response).await;
                    match classify::unauthorized(&headers, &body, token.expose()) {
                        Unauthorized::NotUserLevel { message } => {
                            return Err(RpcFailure::new(
                                codes::NOT_USER_LEVEL,
                                "not_user_level",
                                format!("HubSpot's MCP server refused the token: \"{message}\". This connection's token is not user-level. {NOT_USER_LEVEL_FIX}."),
                            ));
                        }
                        Unauthorized::Token { .. } if !refreshed => {
                            refreshed = true;
                            tracing::info!(target: "hubkey::mcp", "the MCP server refused the token (expired or revoked); refreshing once");
                            self.tokens
                                .after_unauthorized(&token)
                                .await
                                .map_err(|e| self.token_failure(e))?;
                        }
                        Unauthorized::Token { .. } => {
                            return Err(RpcFailure::new(
                                codes::UNAUTHORIZED,
                                "unauthorized",
                                format!(
                                    "HubSpot's MCP server refused a freshly refreshed token. {}.",
                                    self.options.reconnect_hint.trim_end_matches('.')
                                ),
                            ));
                        }
                    }
                }
                StatusCode::NOT_FOUND if session.id.is_some() && !reinitialised && mode == Mode::Forward => {
                    reinitialised = true;
                    tracing::info!(target: "hubkey::mcp", "the MCP server no longer knows the session (HTTP 404); re-initialising");
                    self.reinitialise(session.generation).await?;
                }
                other => {
                    let (_, body) = read_error_body(response).await;
                    // Some servers answer a JSON-RPC error with a 4xx status: pass it on.
                    if let Some(line) = rpc_answer_for(&body, &msg.ids) {
                        if mode == Mode::Forward {
                            self.emit(line);
                        }
                        return Ok(Answered::default());
                    }
                    return Err(status_failure(other, &body, token.expose()));
                }
            }
        }
    }

    fn token_failure(&self, e: Error) -> RpcFailure {
        if e.code() == ErrorCode::NeedsReauth || e.exit_code() == 3 {
            let hint = self.options.reconnect_hint.trim_end_matches('.');
            return RpcFailure {
                code: codes::NEEDS_REAUTH,
                kind: "needs_reauth",
                message: format!(
                    "{}. {hint}, then restart this MCP server.",
                    e.to_string().trim_end_matches('.')
                ),
                fatal: Some(e),
            };
        }
        let (code, kind) = if e.is_transient() {
            (codes::UNAVAILABLE, "unavailable")
        } else {
            (codes::LOCAL, e.code().as_str())
        };
        RpcFailure::new(
            code,
            kind,
            format!("{}. {}", e.to_string().trim_end_matches('.'), e.hint()),
        )
    }

    fn adopt_session(&self, answered: &Answered, mode: Mode) {
        let mut session = lock(&self.session);
        session.id = answered.session_id.clone();
        if answered.protocol.is_some() || mode == Mode::Forward {
            session.protocol = answered.protocol.clone();
        }
        session.generation += 1;
    }

    /// Reads a 2xx answer: one JSON body, or an event stream until every request id is answered.
    async fn read_answer(
        &self,
        mut response: reqwest::Response,
        msg: &Incoming,
        mode: Mode,
        token: &AccessToken,
    ) -> Result<Answered, RpcFailure> {
        let mut answered = Answered {
            session_id: header_str(response.headers(), SESSION_HEADER),
            protocol: None,
        };
        let is_initialize = msg.method.as_deref() == Some("initialize");
        let content_type = header_str(response.headers(), CONTENT_TYPE.as_str()).unwrap_or_default();
        let mut pending: HashSet<String> = msg.ids.iter().map(Value::to_string).collect();
        if content_type.to_ascii_lowercase().starts_with("text/event-stream") {
            let mut reader = SseReader::new();
            while !pending.is_empty() {
                let chunk = match response.chunk().await {
                    Ok(Some(chunk)) => chunk,
                    Ok(None) => break,
                    Err(e) => return Err(transport_failure(&e)),
                };
                let events = reader.feed(&chunk).map_err(|e| {
                    RpcFailure::new(
                        codes::UPSTREAM,
                        "bad_stream",
                        format!("HubSpot's MCP server sent a broken event stream: {e}"),
                    )
                })?;
                for event in events {
                    self.take_message(
                        event.data.as_bytes(),
                        &mut pending,
                        &mut answered,
                        is_initialize,
                        mode,
                    );
                }
            }
            if !pending.is_empty() {
                return Err(RpcFailure::new(
                    codes::UNAVAILABLE,
                    "stream_ended",
                    "HubSpot's MCP server closed its event stream before answering",
                ));
            }
            // The server closes the stream after the answer; reading its end keeps the
            // connection reusable. A server that keeps it open is simply dropped.
            let _ = tokio::time::timeout(Duration::from_millis(200), async {
                while let Ok(Some(_)) = response.chunk().await {}
            })
            .await;
        } else {
            let body = read_capped(&mut response, MAX_JSON_BODY)
                .await
                .map_err(|e| match e {
                    ReadError::TooLarge => RpcFailure::new(
                        codes::UPSTREAM,
                        "too_large",
                        "HubSpot's MCP server's answer is larger than 16 MiB",
                    ),
                    ReadError::Http(e) => transport_failure(&e),
                })?;
            if !body.trim_ascii().is_empty() {
                self.take_message(&body, &mut pending, &mut answered, is_initialize, mode);
            }
            if !pending.is_empty() {
                let excerpt =
                    classify::excerpt(&String::from_utf8_lossy(&body), token.expose()).unwrap_or_default();
                return Err(RpcFailure::new(
                    codes::UPSTREAM,
                    "not_json_rpc",
                    format!(
                        "HubSpot's MCP server's answer is not a JSON-RPC response ({}{excerpt})",
                        if excerpt.is_empty() { "empty" } else { "" }
                    ),
                ));
            }
        }
        Ok(answered)
    }

    /// One message of an answer: forwarded as one line (unless replaying), and checked off if it
    /// answers one of our requests.
    fn take_message(
        &self,
        data: &[u8],
        pending: &mut HashSet<String>,
        answered: &mut Answered,
        is_initialize: bool,
        mode: Mode,
    ) {
        if data.trim_ascii().is_empty() {
            return; // an SSE event without a message (priming events carry only an id)
        }
        let Ok(value) = serde_json::from_slice::<Value>(data) else {
            tracing::warn!(target: "hubkey::mcp", "HubSpot's MCP server sent an event that is not JSON; skipped");
            return;
        };
        let items: Vec<&Value> = match &value {
            Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        for item in items {
            let is_response =
                item.get("method").is_none() && (item.get("result").is_some() || item.get("error").is_some());
            if let (true, Some(id)) = (is_response, item.get("id")) {
                if pending.remove(&id.to_string()) && is_initialize {
                    answered.protocol = item
                        .pointer("/result/protocolVersion")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                }
            }
        }
        if mode == Mode::Forward {
            self.emit(one_line(data));
        }
    }

    /// Replays the client's `initialize` and `notifications/initialized` for a new session,
    /// once for every session generation however many requests saw the 404.
    async fn reinitialise(&self, seen_generation: u64) -> Result<(), RpcFailure> {
        let _one_at_a_time = self.reinit.lock().await;
        if lock(&self.session).generation != seen_generation {
            return Ok(()); // another request already did it
        }
        let init = lock(&self.init).clone();
        let Some(raw) = init.initialize else {
            return Err(RpcFailure::new(
                codes::UPSTREAM,
                "session_gone",
                "HubSpot's MCP server no longer knows the session, and the client never sent initialize",
            ));
        };
        self.stop_get_stream();
        let initialize = Incoming {
            raw,
            ids: init.initialize_id.into_iter().collect(),
            method: Some("initialize".into()),
        };
        self.deliver_boxed(&initialize, Mode::Replay).await?;
        if let Some(raw) = init.initialized {
            let initialized = Incoming {
                raw,
                ids: Vec::new(),
                method: Some("notifications/initialized".into()),
            };
            self.deliver_boxed(&initialized, Mode::Replay).await?;
        }
        tracing::info!(target: "hubkey::mcp", "new MCP session established");
        Ok(())
    }

    /// [`Shared::deliver`] behind a box: `deliver` → `reinitialise` → `deliver` is recursive.
    fn deliver_boxed<'a>(
        &'a self,
        msg: &'a Incoming,
        mode: Mode,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<Answered, RpcFailure>> + Send + 'a>> {
        Box::pin(self.deliver(msg, mode))
    }

    /// One HTTP request to the endpoint with the token and the session headers.
    async fn request(
        &self,
        method: Method,
        token: &AccessToken,
        session: &Session,
        body: Option<Vec<u8>>,
        last_event_id: Option<&str>,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let mut request = self
            .http
            .request(method.clone(), self.options.url.clone())
            .header(AUTHORIZATION, bearer(token));
        request = if method == Method::GET {
            request.header(ACCEPT, "text/event-stream")
        } else {
            request.header(ACCEPT, "application/json, text/event-stream")
        };
        if let Some(id) = session.id.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            request = request.header(SESSION_HEADER, id);
        }
        if let Some(v) = session
            .protocol
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            request = request.header(PROTOCOL_HEADER, v);
        }
        if let Some(v) = last_event_id.and_then(|v| HeaderValue::from_str(v).ok()) {
            request = request.header("last-event-id", v);
        }
        if let Some(body) = body {
            request = request.header(CONTENT_TYPE, "application/json").body(body);
        }
        request.send().await
    }

    fn start_get_stream(self: Arc<Self>) {
        if !self.options.open_get_stream {
            return;
        }
        let generation = lock(&self.session).generation;
        let me = self.clone();
        let task = tokio::spawn(async move { me.get_stream(generation).await });
        if let Some(old) = lock(&self.get_stream).replace(task) {
            old.abort();
        }
    }

    fn stop_get_stream(&self) {
        if let Some(task) = lock(&self.get_stream).take() {
            task.abort();
        }
    }

    /// The GET stream: server-initiated messages, forwarded like the others. Ends on 405 (the
    /// server has none), when the session changes or is gone, or on a token the server will not
    /// take; reconnects with backoff (and `Last-Event-ID`) when the stream just ends.
    async fn get_stream(self: Arc<Self>, generation: u64) {
        let mut backoff = Duration::from_secs(1);
        let mut refreshed = false;
        let mut reader = SseReader::new();
        loop {
            let session = lock(&self.session).clone();
            if session.generation != generation {
                return;
            }
            let Ok(token) = self.tokens.token().await else {
                return;
            };
            let last_id = reader.last_event_id().map(str::to_owned);
            let response = match self
                .request(Method::GET, &token, &session, None, last_id.as_deref())
                .await
            {
                Ok(r) => r,
                Err(_) => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    continue;
                }
            };
            match response.status() {
                StatusCode::METHOD_NOT_ALLOWED => {
                    tracing::debug!(target: "hubkey::mcp", "the MCP server offers no GET stream (HTTP 405)");
                    return;
                }
                StatusCode::UNAUTHORIZED if !refreshed => {
                    let (headers, body) = read_error_body(response).await;
                    if matches!(
                        classify::unauthorized(&headers, &body, token.expose()),
                        Unauthorized::NotUserLevel { .. }
                    ) {
                        return;
                    }
                    refreshed = true;
                    if let Err(e) = self.tokens.after_unauthorized(&token).await {
                        if e.exit_code() == 3 {
                            self.fatal.send_replace(Some(FatalError::new(e)));
                        }
                        return;
                    }
                    continue;
                }
                s if s.is_success() => {
                    refreshed = false;
                    let mut response = response;
                    let mut pending = HashSet::new();
                    let mut answered = Answered::default();
                    while let Ok(Some(chunk)) = response.chunk().await {
                        let Ok(events) = reader.feed(&chunk) else { break };
                        backoff = Duration::from_secs(1);
                        for event in events {
                            self.take_message(
                                event.data.as_bytes(),
                                &mut pending,
                                &mut answered,
                                false,
                                Mode::Forward,
                            );
                        }
                    }
                    let wait = reader.retry_ms().map(Duration::from_millis).unwrap_or(backoff);
                    tokio::time::sleep(wait).await;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
                other => {
                    tracing::debug!(target: "hubkey::mcp", status = other.as_u16(), "the MCP server's GET stream is closed");
                    return;
                }
            }
        }
    }

    /// `DELETE` of the session, best effort and bounded (a server without sessions or without
    /// DELETE support answers 4xx, which is fine).
    async fn delete_session(&self) {
        let session = lock(&self.session).clone();
        if session.id.is_none() {
            return;
        }
        let attempt = async {
            let token = self.tokens.token().await.ok()?;
            self.request(Method::DELETE, &token, &session, None, None)
                .await
                .ok()
        };
        match tokio::time::timeout(Duration::from_secs(3), attempt).await {
            Ok(Some(r)) => {
                tracing::debug!(target: "hubkey::mcp", status = r.status().as_u16(), "session deleted")
            }
            _ => tracing::debug!(target: "hubkey::mcp", "could not delete the session"),
        }
    }
}

fn bearer(token: &AccessToken) -> HeaderValue {
    hubkey_core::http::bearer(token)
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .filter(|v| !v.is_empty())
}

enum ReadError {
    TooLarge,
    Http(reqwest::Error),
}

async fn read_capped(response: &mut reqwest::Response, max: usize) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Http)? {
        if body.len() + chunk.len() > max {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The headers and (the start of) the body of an error answer.
async fn read_error_body(mut response: reqwest::Response) -> (HeaderMap, Vec<u8>) {
    let headers = std::mem::take(response.headers_mut());
    let mut body = Vec::new();
    let read = async {
        while let Ok(Some(chunk)) = response.chunk().await {
            let room = MAX_ERROR_BODY.saturating_sub(body.len());
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() >= MAX_ERROR_BODY {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), read).await;
    (headers, body)
}

/// `body` as one line when it is a JSON-RPC response to one of `ids`.
fn rpc_answer_for(body: &[u8], ids: &[Value]) -> Option<Vec<u8>> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let id = value.get("id")?;
    (value.get("error").is_some() || value.get("result").is_some())
        .then_some(())
        .filter(|()| ids.contains(id))?;
    Some(one_line(body))
}

fn transport_failure(e: &reqwest::Error) -> RpcFailure {
    let what = if e.is_timeout() {
        "no answer from HubSpot's MCP server in time"
    } else if e.is_connect() {
        "could not connect to HubSpot's MCP server"
    } else {
        "the connection to HubSpot's MCP server broke"
    };
    RpcFailure::new(
        codes::UNAVAILABLE,
        "unavailable",
        format!("{what}; try again in a moment"),
    )
}

fn status_failure(status: StatusCode, body: &[u8], token: &str) -> RpcFailure {
    let code = status.as_u16();
    let excerpt = classify::excerpt(&String::from_utf8_lossy(body), token)
        .map(|e| format!(": \"{e}\""))
        .unwrap_or_default();
    match code {
        429 | 500..=599 => RpcFailure::new(
            codes::UNAVAILABLE,
            "unavailable",
            format!("HubSpot's MCP server is unavailable right now (HTTP {code}){excerpt}; try again in a moment"),
        ),
        403 => RpcFailure::new(
            codes::UPSTREAM,
            "forbidden",
            format!("HubSpot's MCP server refused the request (HTTP 403){excerpt}; the connection may lack a scope the tool needs"),
        ),
        404 => RpcFailure::new(
            codes::UPSTREAM,
            "not_found",
            format!("no MCP endpoint at this URL (HTTP 404){excerpt}; check HUBKEY_MCP_BASE_URL or --url"),
        ),
        300..=399 => RpcFailure::new(
            codes::UPSTREAM,
            "redirect",
            format!("HubSpot's MCP server answered with a redirect (HTTP {code}), which the bridge does not follow"),
        ),
        _ => RpcFailure::new(codes::UPSTREAM, "upstream", format!("HubSpot's MCP server answered HTTP {code}{excerpt}")),
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
