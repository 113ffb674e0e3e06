//! The bridge's messages and HTTP answers: one JSON-RPC line from stdin, the failures a request can end in, and
//! reading capped bodies and telling statuses apart (never with the token in a message).

use super::*;

/// One message from the client.
#[derive(Debug, Clone)]
pub(super) struct Incoming {
    pub(super) raw: Vec<u8>,
    /// The ids of the requests in it (one, or several in a batch).
    pub(super) ids: Vec<Value>,
    pub(super) method: Option<String>,
}

impl Incoming {
    pub(super) fn parse(line: &[u8]) -> Result<Self, ()> {
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

    pub(super) fn is_request(&self) -> bool {
        !self.ids.is_empty()
    }
}

/// The same JSON on one line: line breaks (which JSON allows only between tokens) become spaces.
pub(super) fn one_line(bytes: &[u8]) -> Vec<u8> {
    let trimmed = bytes.trim_ascii();
    trimmed
        .iter()
        .map(|b| if *b == b'\n' || *b == b'\r' { b' ' } else { *b })
        .collect()
}

/// What to do with the messages of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Send them to the client.
    Forward,
    /// A replayed `initialize`: the client must not see them.
    Replay,
}

/// A request failed: the JSON-RPC error to answer it with.
#[derive(Debug)]
pub(super) struct RpcFailure {
    pub(super) code: i64,
    pub(super) message: String,
    pub(super) kind: &'static str,
    /// Set when the failure ends the bridge.
    pub(super) fatal: Option<Error>,
}

impl RpcFailure {
    pub(super) fn new(code: i64, kind: &'static str, message: impl Into<String>) -> Self {
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
pub(super) struct Answered {
    pub(super) session_id: Option<String>,
    /// `result.protocolVersion` of an `initialize` answer.
    pub(super) protocol: Option<String>,
}

pub(super) fn bearer(token: &AccessToken) -> HeaderValue {
    hubkey_core::http::bearer(token)
}

pub(super) fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .filter(|v| !v.is_empty())
}

pub(super) enum ReadError {
    TooLarge,
    Http(reqwest::Error),
}

pub(super) async fn read_capped(response: &mut reqwest::Response, max: usize) -> Result<Vec<u8>, ReadError> {
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
pub(super) async fn read_error_body(mut response: reqwest::Response) -> (HeaderMap, Vec<u8>) {
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
pub(super) fn rpc_answer_for(body: &[u8], ids: &[Value]) -> Option<Vec<u8>> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let id = value.get("id")?;
    (value.get("error").is_some() || value.get("result").is_some())
        .then_some(())
        .filter(|()| ids.contains(id))?;
    Some(one_line(body))
}

pub(super) fn transport_failure(e: &reqwest::Error) -> RpcFailure {
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

pub(super) fn status_failure(status: StatusCode, body: &[u8], token: &str) -> RpcFailure {
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
