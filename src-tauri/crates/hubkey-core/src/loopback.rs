//! The loopback listener for `http://localhost:PORT/PATH` redirects (design.md §2.1,
//! security.md §4.5, RFC 8252 §8.3).
//!
//! * Binds `127.0.0.1:PORT` and `[::1]:PORT` (never `0.0.0.0`); when the machine has no IPv6
//!   loopback, continues on IPv4 only. A port taken on either address is [`Error::PortInUse`]:
//!   another program there could receive the browser's redirect.
//! * Every request is checked in this order: the `Host` header must be `localhost:PORT`,
//!   `127.0.0.1:PORT` or `[::1]:PORT` (else 400, DNS rebinding); the path must be the registered
//!   one (else 404, e.g. `/favicon.ico`); the method must be `GET` (else 405). The URL is then
//!   rebuilt on the host `localhost` and handed to [`LoginFlow::deliver`]; a rejected callback
//!   (wrong or missing `state`, malformed) gets a 400 page and the listener keeps waiting.
//! * A callback that completes the login gets a self-contained result page (no external
//!   resources, `Cache-Control: no-store`, `Referrer-Policy: no-referrer`, a `default-src 'none'`
//!   CSP; the code is never echoed, HubSpot's error description is HTML-escaped) and the listener
//!   shuts down. [`LoopbackListener::close`] (or dropping it) shuts it down on cancel and timeout.
//! * Nothing here logs a request's query string.

use crate::error::{Error, Result};
use crate::login::{Delivery, LoginFlow};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The `Content-Security-Policy` of every page the listener serves.
pub const PAGE_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// How long [`LoopbackListener::close`] waits for open connections to finish.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

struct Shared {
    flow: LoginFlow,
    port: u16,
    path: String,
    shutdown: watch::Sender<bool>,
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
        });
        let app = Router::new().fallback(handle).with_state(shared);
        let tasks = listeners
            .into_iter()
            .map(|listener| {
                let mut rx = shutdown.subscribe();
                let serve = axum::serve(listener, app.clone()).with_graceful_shutdown(async move {
                    let _ = rx.wait_for(|closing| *closing).await;
                });
                tokio::spawn(async move {
                    let _ = serve.await;
                })
            })
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
    socket.listen(16).map_err(map)
}

/// Serves every request on the listener.
async fn handle(State(s): State<Arc<Shared>>, req: Request) -> Response {
    if !host_allowed(req.headers(), s.port) {
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

/// True when the request has exactly one `Host` header naming this listener.
fn host_allowed(headers: &HeaderMap, port: u16) -> bool {
    let mut hosts = headers.get_all(header::HOST).iter();
    let (Some(host), None) = (hosts.next(), hosts.next()) else {
        return false;
    };
    let Ok(host) = host.to_str() else {
        return false;
    };
    let host = host.to_ascii_lowercase();
    [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
    ]
    .contains(&host)
}

/// A self-contained HTML page. `body_html` must already be escaped.
fn page(status: StatusCode, title: &str, body_html: &str) -> Response {
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
    let mut r = Response::new(Body::from(html));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l3_given_host_headers_when_checked_then_only_loopback_names_with_the_port_pass() {
        let check = |values: &[&str]| {
            let mut h = HeaderMap::new();
            for v in values {
                h.append(header::HOST, HeaderValue::from_str(v).unwrap());
            }
            host_allowed(&h, 3000)
        };
        assert!(check(&["localhost:3000"]));
        assert!(check(&["LOCALHOST:3000"]));
        assert!(check(&["127.0.0.1:3000"]));
        assert!(check(&["[::1]:3000"]));
        assert!(!check(&[]));
        assert!(!check(&["localhost"]));
        assert!(!check(&["localhost:3001"]));
        assert!(!check(&["evil.example"]));
        assert!(!check(&["evil.example:3000"]));
        assert!(!check(&["localhost.evil.example:3000"]));
        assert!(!check(&["localhost:3000", "evil.example"]));
    }
}
