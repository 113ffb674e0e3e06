//! Sending one request and reading its answer: Hubkey's own transport under oauth2 (statuses and headers
//! oauth2 drops, a capped body, transport failures without URLs), and turning a token response into a
//! [`TokenSet`] with the checks HubSpot's tokens must pass.

use super::*;

impl HubSpotClient {
    /// Sends one request. Success (200; any 2xx for revoke) is handed back for parsing; anything
    /// else is classified here, because oauth2 drops the HTTP status and headers (429 vs 400 vs
    /// 503, `Retry-After`) before its error type is built.
    pub(super) async fn send(&self, op: Operation, request: HttpRequest) -> Result<HttpResponse> {
        let path = request.uri().path().to_owned();
        let started = Instant::now();
        let request = reqwest::Request::try_from(request)
            .map_err(|_| Error::Config(format!("could not build the {op} request")))?;
        let outcome = self.execute(op, request).await;
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &outcome {
            Ok((status, _, _)) if is_success(op, *status) => {
                tracing::info!(target: "hubkey::client", op = op.as_str(), path = %path, status = status.as_u16(), duration_ms = ms, outcome = "ok");
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(target: "hubkey::client", op = op.as_str(), path = %path, duration_ms = ms, outcome = e.code().as_str(), "{e}");
            }
        }
        let (status, headers, body) = outcome?;
        if is_success(op, status) {
            let mut response = http::Response::new(body);
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            return Ok(response);
        }
        let retry_after = headers
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let err = classify_failure(op, status.as_u16(), retry_after, &body);
        tracing::warn!(
            target: "hubkey::client",
            op = op.as_str(),
            path = %path,
            status = status.as_u16(),
            duration_ms = ms,
            outcome = err.code().as_str(),
            "{err}"
        );
        Err(err)
    }

    /// Performs the request and reads at most [`MAX_BODY`] bytes of the answer.
    pub(super) async fn execute(
        &self,
        op: Operation,
        request: reqwest::Request,
    ) -> Result<(http::StatusCode, http::HeaderMap, Vec<u8>)> {
        let mut response = self
            .http
            .for_url(request.url())?
            .execute(request)
            .await
            .map_err(|e| self.network_error(op, &e))?;
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.network_error(op, &e))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(Error::UnexpectedResponse(format!(
                    "the {op} response is larger than {MAX_BODY} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, headers, body))
    }

    /// A transport failure, without reqwest's message (which names the URL).
    pub(super) fn network_error(&self, op: Operation, e: &reqwest::Error) -> Error {
        let what = if e.is_timeout() {
            format!("no answer to the {op} within {} s", self.timeout.as_secs_f32())
        } else if e.is_connect() {
            format!("could not connect to HubSpot for the {op}")
        } else {
            format!("the connection to HubSpot broke during the {op}")
        };
        tracing::debug!(target: "hubkey::client", op = op.as_str(), timeout = e.is_timeout(), connect = e.is_connect(), cause = %root_cause(e), "transport failure");
        Error::Transient {
            what,
            retry_after: None,
        }
    }

    /// Maps oauth2's error without ever using the response body it may carry (threat-model.md §3.4:
    /// `Parse(_, body)` holds the raw body, which on a malformed 200 holds the tokens).
    pub(super) fn map_oauth_error(&self, op: Operation, e: OAuthError) -> Error {
        let err = match e {
            RequestTokenError::Request(inner) => return inner,
            RequestTokenError::ServerResponse(body) => {
                // Not reached in practice: `send` classifies every non-success status itself.
                let fault = classify::fault_from(400, body);
                Error::UnexpectedResponse(format!("the {op} failed ({fault})"))
            }
            RequestTokenError::Parse(parse, _body) => {
                let at = safe_json_path(&parse.path().to_string());
                Error::UnexpectedResponse(format!("the {op} response could not be read{at}"))
            }
            RequestTokenError::Other(msg) => Error::UnexpectedResponse(if msg.contains("Content-Type") {
                format!("the {op} response is not JSON")
            } else if msg.contains("empty") {
                format!("the {op} response is empty")
            } else {
                format!("the {op} request could not be prepared")
            }),
        };
        tracing::warn!(target: "hubkey::client", op = op.as_str(), outcome = err.code().as_str(), "{err}");
        err
    }

    /// Turns a parsed token response into a [`TokenSet`]; `previous` is the refresh token used
    /// (refresh only). Returns whether a different refresh token came back.
    pub(super) fn token_set(
        &self,
        op: Operation,
        response: &HubSpotTokenResponse,
        previous: Option<&RefreshToken>,
        now: OffsetDateTime,
    ) -> Result<(TokenSet, bool)> {
        let bad = |what: &str| {
            let err = Error::UnexpectedResponse(format!("the {op} response {what}"));
            tracing::warn!(target: "hubkey::client", op = op.as_str(), outcome = err.code().as_str(), "{err}");
            err
        };
        if *response.token_type() != BasicTokenType::Bearer {
            return Err(bad("is not a bearer token"));
        }
        if response.access_token().secret().is_empty() {
            return Err(bad("has an empty access_token"));
        }
        // HubSpot's tokens are printable ASCII without spaces (`CJT…`, `na1-…`). Anything else is refused
        // before it is stored or printed: a token holding `ESC ]0;…` would reach the terminal through
        // `hubkey token` (docs/SECURITY.md, finding 7).
        if !is_token_text(response.access_token().secret()) {
            return Err(bad(
                "has an access_token with characters outside printable ASCII (or spaces); nothing was stored",
            ));
        }
        if response
            .refresh_token()
            .is_some_and(|r| !r.secret().is_empty() && !is_token_text(r.secret()))
        {
            return Err(bad(
                "has a refresh_token with characters outside printable ASCII (or spaces); nothing was stored",
            ));
        }
        let expires_in = response.expires_in().ok_or_else(|| bad("has no expires_in"))?;
        let expires_at = time::Duration::try_from(expires_in)
            .ok()
            .and_then(|d| now.checked_add(d))
            .ok_or_else(|| bad("has an impossible expires_in"))?;
        let returned = response
            .refresh_token()
            .map(|r| r.secret())
            .filter(|r| !r.is_empty());
        let (refresh_token, rotated) = match (returned, previous) {
            (Some(new), Some(old)) => (RefreshToken::new(new.clone()), new.as_str() != old.expose()),
            (Some(new), None) => (RefreshToken::new(new.clone()), true),
            (None, Some(old)) => (old.clone(), false),
            (None, None) => return Err(bad("has no refresh_token")),
        };
        let extra = response.extra_fields();
        let scopes = clean_list(
            extra
                .scopes
                .clone()
                .or_else(|| {
                    response
                        .scopes()
                        .map(|s| s.iter().map(|s| s.to_string()).collect())
                })
                .unwrap_or_default(),
        );
        let tokens = TokenSet {
            access_token: AccessToken::new(response.access_token().secret().clone()),
            refresh_token,
            expires_at,
            scopes,
            hub_id: extra.hub_id,
            user_id: extra.user_id,
        };
        Ok((tokens, rotated))
    }
}

/// oauth2's HTTP client for one call. A named type with a boxed `Send` future rather than a
/// closure: a closure borrowing the client makes the public futures `!Send` (a higher-ranked
/// lifetime inference limit), and Tauri commands need `Send` futures.
pub(super) struct Transport<'a> {
    pub(super) client: &'a HubSpotClient,
    pub(super) op: Operation,
}

impl<'c> oauth2::AsyncHttpClient<'c> for Transport<'_> {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.client.send(self.op, request))
    }
}

pub(super) fn is_success(op: Operation, status: http::StatusCode) -> bool {
    status == http::StatusCode::OK || (op == Operation::Revoke && status.is_success())
}

/// A serde path is shown only when it is made of field names (no values can hide in it).
pub(super) fn safe_json_path(path: &str) -> String {
    let ok = !path.is_empty()
        && path != "."
        && path.len() <= 60
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'[' | b']' | b'?'));
    if ok {
        format!(" (at {path})")
    } else {
        String::new()
    }
}

/// The innermost cause of a transport error (for debug logs: TLS, DNS, reset…). No URL.
pub(super) fn root_cause(e: &reqwest::Error) -> String {
    let Some(mut cur) = std::error::Error::source(e) else {
        return "unknown".into();
    };
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
