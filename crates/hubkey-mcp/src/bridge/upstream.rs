//! One message to the MCP server: the POST, its answer (JSON or an SSE stream), a refreshed token after a 401,
//! and a new session when the server forgot ours.

use super::*;

impl<S: TokenSource> Shared<S> {
    /// Sends one client message, refreshing once after a 401 and re-initialising once after a
    /// session 404.
    pub(super) async fn deliver(&self, msg: &Incoming, mode: Mode) -> Result<Answered, RpcFailure> {
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

    pub(super) fn token_failure(&self, e: Error) -> RpcFailure {
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

    pub(super) fn adopt_session(&self, answered: &Answered, mode: Mode) {
        let mut session = lock(&self.session);
        session.id = answered.session_id.clone();
        if answered.protocol.is_some() || mode == Mode::Forward {
            session.protocol = answered.protocol.clone();
        }
        session.generation += 1;
    }

    /// Reads a 2xx answer: one JSON body, or an event stream until every request id is answered.
    pub(super) async fn read_answer(
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
    pub(super) fn take_message(
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
    pub(super) async fn reinitialise(&self, seen_generation: u64) -> Result<(), RpcFailure> {
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
    pub(super) fn deliver_boxed<'a>(
        &'a self,
        msg: &'a Incoming,
        mode: Mode,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<Answered, RpcFailure>> + Send + 'a>> {
        Box::pin(self.deliver(msg, mode))
    }

    /// One HTTP request to the endpoint with the token and the session headers.
    pub(super) async fn request(
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
}
