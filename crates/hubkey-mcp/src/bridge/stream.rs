//! The server's own stream (the optional GET), and deleting the session at the end.

use super::*;

impl<S: TokenSource> Shared<S> {
    pub(super) fn start_get_stream(self: Arc<Self>) {
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

    pub(super) fn stop_get_stream(&self) {
        if let Some(task) = lock(&self.get_stream).take() {
            task.abort();
        }
    }

    /// The GET stream: server-initiated messages, forwarded like the others. Ends on 405 (the
    /// server has none), when the session changes or is gone, or on a token the server will not
    /// take; reconnects with backoff (and `Last-Event-ID`) when the stream just ends.
    pub(super) async fn get_stream(self: Arc<Self>, generation: u64) {
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
    pub(super) async fn delete_session(&self) {
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
