//! The loopback listener for `http://localhost:PORT/PATH` redirects (design.md §2.1,
//! threat-model.md §4.5, RFC 8252 §8.3, docs/SECURITY.md findings 1 and 4).
//!
//! * Binds `127.0.0.1:PORT` and `[::1]:PORT` (never `0.0.0.0`); when the machine has no IPv6
//!   loopback, continues on IPv4 only. A port taken on either address is [`Error::PortInUse`]:
//!   another program there could receive the browser's redirect.
//! * HTTP/1.1 only, one request per connection, through hyper's connection builder rather than
//!   `axum::serve`, for two limits `axum::serve` does not set: a header-read timeout
//!   ([`HEADER_READ_TIMEOUT`], a client that sends its request slowly or not at all is cut off) and
//!   at most [`MAX_CONNECTIONS`] open connections across both addresses. At the cap, the oldest
//!   connection that has not sent a complete request is dropped for the new one, so a flood of
//!   idle connections (1,029 of them once exhausted the process's file descriptors) cannot keep
//!   HubSpot's redirect out.
//! * Every request is checked in this order: the `Host` header must be `localhost:PORT`,
//!   `127.0.0.1:PORT` or `[::1]:PORT` (else 400, DNS rebinding); the path must be the registered
//!   one (else 404, e.g. `/favicon.ico`); the method must be `GET` (else 405); the request must
//!   be a top-level navigation (else 403): `Sec-Fetch-Mode`, when present, `navigate`;
//!   `Sec-Fetch-Dest`, when present, `document`; and no `Origin` from another site. A web page
//!   that learnt the `state` could otherwise fire the callback with `fetch(…, {mode: "no-cors"})`
//!   or an `<img>` and connect *its* portal (login CSRF); HubSpot's redirect is a navigation of the
//!   browser tab Hubkey opened. This holds for `error=` callbacks too: an error ends the login only
//!   from a navigation. A refused request never reaches [`LoginFlow::deliver`], so it consumes
//!   nothing. The URL is then rebuilt on the host `localhost` and handed to [`LoginFlow::deliver`];
//!   a rejected callback (wrong or missing `state`, malformed) gets a 400 page and the listener
//!   keeps waiting.
//! * A callback that completes the login gets a self-contained result page (no external
//!   resources, `Cache-Control: no-store`, `Referrer-Policy: no-referrer`, a `default-src 'none'`
//!   CSP; the code is never echoed, HubSpot's error description is HTML-escaped) and the listener
//!   shuts down. [`LoopbackListener::close`] (or dropping it) shuts it down on cancel and timeout.
//! * Nothing here logs a request's query string.

use crate::error::{Error, Result};
use crate::login::{CompletedCallback, Delivery, LoginFlow, PendingLogin};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// The `Content-Security-Policy` of every page the listener serves.
pub const PAGE_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// How long a client has to send its whole request head after connecting.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Most connections open at once (both addresses together).
pub const MAX_CONNECTIONS: usize = 64;

/// How long [`LoopbackListener::close`] waits for open connections to finish.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

type Body = http_body_util::Full<Bytes>;

struct Shared {
    flow: LoginFlow,
    port: u16,
    path: String,
    shutdown: watch::Sender<bool>,
    conns: Mutex<Conns>,
}

/// The open connections, oldest first (ids grow with each accept).
#[derive(Default)]
struct Conns {
    next_id: u64,
    open: BTreeMap<u64, Conn>,
}

struct Conn {
    /// Set once the connection's request head is complete (it is being answered).
    busy: Arc<AtomicBool>,
    /// Dropping it ends the connection.
    _kill: oneshot::Sender<()>,
}

impl Shared {
    fn conns(&self) -> MutexGuard<'_, Conns> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes room for one more connection: at the cap, the oldest one without a complete request
    /// goes. `None` when every connection is being answered (the new one is then closed).
    fn admit(&self) -> Option<(u64, Arc<AtomicBool>, oneshot::Receiver<()>)> {
        let mut conns = self.conns();
        if conns.open.len() >= MAX_CONNECTIONS {
            let idle = conns
                .open
                .iter()
                .find(|(_, c)| !c.busy.load(Ordering::SeqCst))
                .map(|(id, _)| *id);
            match idle {
                Some(id) => {
                    conns.open.remove(&id);
                    tracing::debug!(
                        port = self.port,
                        "connection cap reached; dropped the oldest idle connection"
                    );
                }
                None => return None,
            }
        }
        conns.next_id += 1;
        let id = conns.next_id;
        let busy = Arc::new(AtomicBool::new(false));
        let (kill, killed) = oneshot::channel();
        conns.open.insert(
            id,
            Conn {
                busy: Arc::clone(&busy),
                _kill: kill,
            },
        );
        Some((id, busy, killed))
    }

    fn forget(&self, id: u64) {
        self.conns().open.remove(&id);
    }
}

/// A running loopback listener for one login. See the module documentation.
pub struct LoopbackListener {
    port: u16,
    path: String,
    addrs: Vec<SocketAddr>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for LoopbackListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopbackListener")
            .field("port", &self.port)
            .field("path", &self.path)
            .field("addrs", &self.addrs)
            .field("closing", &*self.shutdown.borrow())
            .finish()
    }
}

impl LoopbackListener {
    /// Listens on `127.0.0.1:port` and `[::1]:port` for callbacks at `path`, delivering them to
    /// `flow`. Errors: [`Error::PortInUse`] when either address is taken, [`Error::Io`] for other
    /// bind failures (e.g. a privileged port).
    pub async fn bind(flow: LoginFlow, port: u16, path: &str) -> Result<Self> {
        let v4 = listen(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port), port)?;
        let port = v4.local_addr()?.port();
        let mut listeners = vec![v4];
        match listen(SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port), port) {
            Ok(l) => listeners.push(l),
            Err(e @ Error::PortInUse { .. }) => return Err(e),
            Err(e) => tracing::debug!(port, error = %e, "no IPv6 loopback; listening on 127.0.0.1 only"),
        }
        let addrs = listeners
            .iter()
            .map(TcpListener::local_addr)
            .collect::<std::io::Result<Vec<_>>>()?;

        let (shutdown, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            flow,
            port,
            path: path.to_string(),
            shutdown: shutdown.clone(),
            conns: Mutex::default(),
        });
        let tasks = listeners
            .into_iter()
            .map(|listener| tokio::spawn(accept_loop(listener, Arc::clone(&shared))))
            .collect();
        tracing::debug!(port, ?addrs, "loopback listener started");
        Ok(Self {
            port,
            path: path.to_string(),
            addrs,
            shutdown,
            tasks,
        })
    }
    /// The port listened on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The addresses listened on (127.0.0.1 and, when available, ::1).
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// True once a callback completed the login, or [`LoopbackListener::close`] was called.
    pub fn is_closing(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Waits until the listener shuts down by itself (after a callback completed the login)
    /// and its sockets are closed.
    pub async fn closed(&mut self) {
        let mut rx = self.shutdown.subscribe();
        let _ = rx.wait_for(|closing| *closing).await;
        self.join().await;
    }

    /// Stops listening (cancel, timeout, done) and waits, briefly, for open connections to end.
    /// The listening sockets are closed when this returns.
    pub async fn close(mut self) {
        self.shutdown.send_replace(true);
        self.join().await;
    }

    async fn join(&mut self) {
        for mut task in self.tasks.drain(..) {
            if tokio::time::timeout(CLOSE_GRACE, &mut task).await.is_err() {
                task.abort();
                let _ = task.await;
            }
        }
        tracing::debug!(port = self.port, "loopback listener closed");
    }
}

impl Drop for LoopbackListener {
    fn drop(&mut self) {
        // Closes the sockets even when the login future is dropped (e.g. Ctrl-C in the CLI).
        self.shutdown.send_replace(true);
    }
}

/// Binds and listens on one loopback address.
fn listen(addr: SocketAddr, port: u16) -> Result<TcpListener> {
    let map = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::AddrInUse => Error::PortInUse { port },
        _ => Error::Io(format!("cannot listen on {addr}: {e}")),
    };
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(map)?;
    // On Unix, SO_REUSEADDR lets a new login reuse the port while the previous login's
    // connections sit in TIME_WAIT; it does not allow binding next to a live listener.
    // (On Windows the same option would allow port stealing, so it stays off there.)
    #[cfg(unix)]
    socket.set_reuseaddr(true).map_err(map)?;
    socket.bind(addr).map_err(map)?;
    // The kernel's queue of connections not accepted yet: room for a burst (a flood of connections is
    // accepted and the oldest idle ones dropped, see `Shared::admit`), as tokio's own default.
    socket.listen(1024).map_err(map)
}

/// Accepts connections until shutdown, each served on its own task; the listening socket is closed
/// when this returns, and open connections get [`CLOSE_GRACE`] to finish.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut stop = shared.shutdown.subscribe();
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = stop.wait_for(|closing| *closing) => break,
            accepted = listener.accept() => accepted,
            // Reap finished connection tasks as we go.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        match accepted {
            Ok((stream, _)) => match shared.admit() {
                Some((id, busy, killed)) => {
                    connections.spawn(serve_connection(stream, Arc::clone(&shared), id, busy, killed));
                }
                None => tracing::debug!(port = shared.port, "every connection is busy; closed a new one"),
            },
            Err(e) => {
                // Out of file descriptors, or a connection reset before it was accepted: wait a little
                // rather than spin, and keep listening.
                tracing::debug!(port = shared.port, error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop(listener);
    let grace = tokio::time::sleep(CLOSE_GRACE);
    tokio::pin!(grace);
    loop {
        tokio::select! {
            joined = connections.join_next() => if joined.is_none() { break },
            _ = &mut grace => {
                connections.abort_all();
                while connections.join_next().await.is_some() {}
                break;
            }
        }
    }
}

/// One HTTP/1.1 connection: one request, a header-read timeout, ended early when the cap drops it.
async fn serve_connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    id: u64,
    busy: Arc<AtomicBool>,
    killed: oneshot::Receiver<()>,
) {
    let service_shared = Arc::clone(&shared);
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        busy.store(true, Ordering::SeqCst);
        let response = handle(&service_shared, &req);
        async move { Ok::<_, std::convert::Infallible>(response) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(false)
        .max_buf_size(64 * 1024);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut stop = shared.shutdown.subscribe();
    let closing = async move {
        let _ = stop.wait_for(|closing| *closing).await;
    };
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = killed => {}
        () = closing => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
    shared.forget(id);
}

/// Answers one request (see the module documentation for the order of checks).
fn handle(s: &Shared, req: &Request<Incoming>) -> Response<Body> {
    // An absolute-form target (`GET http://host/…`, what a client says to a proxy) names its host there, and
    // then that host counts, not the `Host` header (RFC 9112 §3.2.2): it must be this listener too.
    let target_host_ok = req
        .uri()
        .authority()
        .is_none_or(|a| host_names_listener(a.as_str(), s.port));
    if !target_host_ok || !host_allowed(req.headers(), s.port) {
        tracing::debug!(port = s.port, "refused a request with an unexpected Host header");
        return page(
            StatusCode::BAD_REQUEST,
            "Bad request",
            "<p>This address only answers Hubkey's sign-in.</p>",
        );
    }
    if req.uri().path() != s.path {
        tracing::debug!(port = s.port, "not the callback path: 404");
        return page(StatusCode::NOT_FOUND, "Not found", "<p>Nothing here.</p>");
    }
    if req.method() != Method::GET {
        let mut r = page(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            "<p>Use GET.</p>",
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET"));
        return r;
    }
    if let Some(why) = not_a_navigation(req.headers(), s.port) {
        // Before `deliver`: the state is not consumed and the login stays pending.
        tracing::warn!(
            port = s.port,
            why,
            "refused a sign-in callback that was not a top-level navigation"
        );
        return page(
            StatusCode::FORBIDDEN,
            "Sign-in link not accepted",
            "<p>Hubkey accepts the sign-in only when HubSpot sends this browser tab here, not from \
             another page's request.</p>\
             <p>Hubkey is still waiting: finish the sign-in in the browser tab Hubkey opened.</p>",
        );
    }
    let path_and_query = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let url = format!("http://localhost:{}{}", s.port, path_and_query);
    match s.flow.deliver(&url) {
        Ok(Delivery::Authorized { .. }) => {
            s.shutdown.send_replace(true);
            page(
                StatusCode::OK,
                "Authorization received",
                "<p>HubSpot sent the authorization to Hubkey.</p>\
                 <p>You can close this tab and return to Hubkey.</p>",
            )
        }
        Ok(Delivery::Denied {
            error, description, ..
        }) => {
            s.shutdown.send_replace(true);
            let mut body = format!(
                "<p>HubSpot did not grant access (<code>{}</code>).</p>",
                html_escape::encode_text(&error)
            );
            if let Some(d) = description {
                body.push_str(&format!("<p>{}</p>", html_escape::encode_text(&d)));
            }
            body.push_str("<p>You can close this tab and start the sign-in again from Hubkey.</p>");
            page(StatusCode::OK, "Access not granted", &body)
        }
        Err(e) => {
            let body = match e {
                Error::NoPendingLogin | Error::AlreadyCompleted => {
                    "<p>No sign-in is waiting for this link (it may have finished or been cancelled).</p>"
                }
                _ => {
                    "<p>This link does not belong to the sign-in in progress and was ignored.</p>\
                     <p>Hubkey is still waiting: finish the sign-in in the browser tab Hubkey opened.</p>"
                }
            };
            page(StatusCode::BAD_REQUEST, "Sign-in link not accepted", body)
        }
    }
}

/// Why the request is not a top-level navigation of this browser tab, judged by the headers browsers
/// add themselves (a page cannot set or remove them): `Sec-Fetch-Mode` other than `navigate`,
/// `Sec-Fetch-Dest` other than `document`, an `Origin` of another site. `None` when it is one, or
/// when the client sends none of them (an older browser, or a program; those cannot be told apart
/// and are left to the `state` check).
pub fn not_a_navigation(headers: &HeaderMap, port: u16) -> Option<&'static str> {
    let only = |name: &str| -> Result<Option<String>, ()> {
        let mut values = headers.get_all(name).iter();
        match (values.next(), values.next()) {
            (None, _) => Ok(None),
            (Some(v), None) => v
                .to_str()
                .map(|v| Some(v.trim().to_ascii_lowercase()))
                .map_err(|_| ()),
            (Some(_), Some(_)) => Err(()),
        }
    };
    match only("sec-fetch-mode") {
        Ok(None) => {}
        Ok(Some(m)) if m == "navigate" => {}
        _ => return Some("Sec-Fetch-Mode is not navigate"),
    }
    match only("sec-fetch-dest") {
        Ok(None) => {}
        Ok(Some(d)) if d == "document" => {}
        _ => return Some("Sec-Fetch-Dest is not document"),
    }
    match only("origin") {
        Ok(None) => {}
        Ok(Some(o)) if own_origins(port).contains(&o) => {}
        _ => return Some("the Origin is another site"),
    }
    None
}

fn own_origins(port: u16) -> [String; 3] {
    [
        format!("http://localhost:{port}"),
        format!("http://127.0.0.1:{port}"),
        format!("http://[::1]:{port}"),
    ]
}

/// True when the request has exactly one `Host` header naming this listener.
fn host_allowed(headers: &HeaderMap, port: u16) -> bool {
    let mut hosts = headers.get_all(header::HOST).iter();
    let (Some(host), None) = (hosts.next(), hosts.next()) else {
        return false;
    };
    let Ok(host) = host.to_str() else {
        return false;
    };
    host_names_listener(host, port)
}

/// Whether `host` (a `Host` header's value or a target's authority) is `localhost`, `127.0.0.1` or `[::1]` with
/// this listener's port.
fn host_names_listener(host: &str, port: u16) -> bool {
    let host = host.to_ascii_lowercase();
    [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
    ]
    .contains(&host)
}

/// A self-contained HTML page. `body_html` must already be escaped.
fn page(status: StatusCode, title: &str, body_html: &str) -> Response<Body> {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>Hubkey: {title}</title>\
         <style>body{{font-family:system-ui,-apple-system,\"Segoe UI\",sans-serif;margin:0;\
         background:#f5f8fa;color:#33475b}}main{{max-width:32rem;margin:12vh auto;padding:2rem;\
         background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12)}}\
         h1{{font-size:1.4rem;margin-top:0}}code{{background:#eaf0f6;padding:0 .25rem}}</style>\
         </head><body><main><h1>{title}</h1>{body_html}</main></body></html>\n",
        title = html_escape::encode_text(title),
    );
    let mut r = Response::new(Body::new(Bytes::from(html)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// Runs one loopback login: registers `pending`, listens on its `http://localhost:PORT/PATH`
/// (127.0.0.1 and ::1), calls `open_browser` (open HubSpot's authorize URL there) once the port
/// is bound, and waits for the outcome. The listener is closed in every outcome, before this
/// returns. Errors: [`Error::PortInUse`], the browser opener's error, and those of
/// [`LoginHandle::wait`]. Cancel with [`LoginFlow::cancel_app`] from another task.
pub async fn run_loopback_login<F>(
    flow: &LoginFlow,
    pending: PendingLogin,
    open_browser: F,
) -> Result<CompletedCallback>
where
    F: FnOnce() -> Result<()>,
{
    let Some((port, path)) = pending
        .target
        .loopback_port_and_path()
        .map(|(p, s)| (p, s.to_string()))
    else {
        return Err(Error::Config(format!(
            "the redirect URL of {} is not an http://localhost:PORT/… URL; it cannot be served on loopback",
            pending.app
        )));
    };
    let (handle, replaced) = flow.start_replacing(pending);
    let listener = bind_listener(flow, port, &path, replaced).await?;
    let result = match open_browser() {
        Ok(()) => handle.wait().await,
        Err(e) => {
            flow.cancel(handle.id());
            Err(e)
        }
    };
    listener.close().await;
    result
}

/// Binds the listener; when a replaced login of the same app may still hold the port, retries
/// for up to two seconds while its listener closes.
async fn bind_listener(flow: &LoginFlow, port: u16, path: &str, replaced: bool) -> Result<LoopbackListener> {
    let attempts = if replaced { 20 } else { 1 };
    let mut last = Error::PortInUse { port };
    for attempt in 0..attempts {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        match LoopbackListener::bind(flow.clone(), port, path).await {
            Ok(l) => return Ok(l),
            Err(e @ Error::PortInUse { .. }) => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests;
