//! The flight: one connection's refresh under its in-process gate and its cross-process lock, run on its own
//! task (cancel safety), with the token set persisted before the access token is handed out, and a rotated
//! refresh token the keychain did not save kept in this process until it does.

use super::*;

impl Refresher {
    /// Runs the locked part in its own task (cancel safety) and waits for it.
    pub(super) async fn fly(&self, key: &ConnectionKey, mode: Mode) -> Result<(Connection, AccessToken)> {
        let requested = Instant::now();
        let me = self.clone();
        let key = key.clone();
        tokio::spawn(async move { me.flight(key, mode, requested).await })
            .await
            .map_err(|e| {
                let why = crate::process::task_failure(&e);
                Error::Io(format!("the refresh task failed: {why}"))
            })?
    }

    /// Whether a refresh is under way in this process (holding a connection's gate: the request, its retries
    /// and the keychain writes). The desktop app waits for `false` before it replaces its process.
    pub fn is_refreshing(&self) -> bool {
        if !self.unsaved_lock().is_empty() {
            // A rotated refresh token lives only in this process: replacing it would lose it.
            return true;
        }
        let gates = self.shared.gates.lock().unwrap_or_else(|e| e.into_inner());
        gates.values().any(|gate| gate.try_lock().is_err())
    }

    pub(super) fn unsaved_lock(&self) -> std::sync::MutexGuard<'_, HashMap<ConnectionKey, Unsaved>> {
        self.shared.unsaved.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True while a rotated token set of this connection waits to be saved.
    pub fn has_unsaved(&self, key: &ConnectionKey) -> bool {
        self.unsaved_lock().contains_key(key)
    }

    /// Saves a token set kept in memory, if this connection has one. `Ok(Some(lock))`: saved now,
    /// with the connection's cross-process lock (held since the refresh), for the caller to go on
    /// under. `Ok(None)`: nothing was waiting. `Err`: still not saved (it stays in memory).
    pub(super) async fn retry_unsaved(&self, key: &ConnectionKey) -> Result<Option<RefreshLock>> {
        let Some(unsaved) = self.unsaved_lock().remove(key) else {
            return Ok(None);
        };
        match self
            .save_with_retries(unsaved.conn.clone(), &unsaved.tokens, unsaved.source)
            .await
        {
            Ok(saved) => {
                tracing::info!(target: "hubkey::refresher", app = %key.app, hub_id = key.hub_id, "the rotated refresh token is saved now");
                self.emit(&saved, ConnectionState::Fresh, None, saved.expires_at);
                Ok(Some(unsaved._lock))
            }
            Err(e) => {
                let err = self.report_unsaved(&unsaved.conn, &e);
                self.unsaved_lock().insert(key.clone(), unsaved);
                Err(err)
            }
        }
    }

    /// Saves a refreshed token set, trying [`SAVE_ATTEMPTS`] times (timeouts included) with the
    /// policy's backoff in between.
    pub(super) async fn save_with_retries(
        &self,
        next: Connection,
        tokens: &crate::token::TokenSet,
        source: RefreshTokenSource,
    ) -> Result<Connection> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.store.save_tokens(next.clone(), tokens, source).await {
                Ok(saved) => return Ok(saved),
                Err(e) if attempt < SAVE_ATTEMPTS && is_keychain_trouble(&e) => {
                    tracing::warn!(target: "hubkey::refresher", app = %next.app, hub_id = next.hub_id, attempt, code = e.code().as_str(), "saving refreshed tokens failed; trying again: {e}");
                    self.sleeper.sleep(self.policy.backoff(attempt, None)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Logs and publishes that a rotated refresh token is held unsaved; the error to return.
    pub(super) fn report_unsaved(&self, conn: &Connection, cause: &Error) -> Error {
        let err = Error::UnsavedRefreshToken {
            cause: cause.to_string(),
        };
        tracing::error!(target: "hubkey::refresher", app = %conn.app, hub_id = conn.hub_id, code = cause.code().as_str(), "{err}");
        self.emit(
            conn,
            ConnectionState::Retrying,
            Some(err.to_string()),
            conn.expires_at,
        );
        err
    }

    pub(super) fn gate(&self, key: &ConnectionKey) -> Gate {
        let mut gates = self.shared.gates.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(gates.entry(key.clone()).or_default())
    }

    pub(super) async fn flight(
        &self,
        key: ConnectionKey,
        mode: Mode,
        requested: Instant,
    ) -> Result<(Connection, AccessToken)> {
        let gate = self.gate(&key);
        let mut last_done = gate.lock_owned().await;
        if mode == Mode::Force && last_done.is_some_and(|done| done > requested) {
            // Someone refreshed after this request was made: that is the refresh asked for.
            return self.store.load_access_token(&key).await;
        }

        // A rotated token set kept in memory is saved first; its lock is the connection's lock.
        let lock = match self.retry_unsaved(&key).await? {
            Some(lock) => lock,
            None => self.cross_process_lock(&key).await?,
        };
        let mut lock = Some(lock);
        // Re-read under the lock: another process may have refreshed, or marked the connection.
        let conn = self.connection(&key).await?;
        let fresh_enough = match mode {
            Mode::IfDue => !self.is_due(&conn),
            Mode::DueBy(by) => self.due_at(&conn, conn.expires_at) > by,
            Mode::Force => false,
        };
        let conn = if fresh_enough {
            let (conn, token) = self.store.access_token_of(conn).await?;
            if conn.describes(&token) {
                tracing::debug!(target: "hubkey::refresher", app = %key.app, hub_id = key.hub_id, "already fresh after waiting; no refresh");
                return Ok((conn, token));
            }
            tracing::info!(target: "hubkey::refresher", app = %key.app, hub_id = key.hub_id, "the stored access token is not the one the index describes (an interrupted save); refreshing it");
            conn
        } else {
            conn
        };
        self.refuse_needs_reauth(&conn)?;
        // A refresh needs the refresh token only; the old access token is not read.
        let (conn, refresh_token) = self.store.refresh_token_of(conn).await?;
        // The phases of a refresh at debug level, so their timestamps give its split (docs/BENCHMARKS.md).
        tracing::debug!(target: "hubkey::refresher", app = %key.app, hub_id = key.hub_id, "locked; refresh token read");
        let result = self.refresh_locked(conn, refresh_token, &mut lock).await;
        if result.is_ok() {
            *last_done = Some(Instant::now());
        }
        result
    }

    pub(super) async fn cross_process_lock(&self, key: &ConnectionKey) -> Result<RefreshLock> {
        let timeout = self.policy.lock_timeout;
        match tokio::time::timeout(timeout, self.store.refresh_lock(key)).await {
            Ok(lock) => lock,
            Err(_) => Err(Error::Transient {
                what: format!(
                    "another Hubkey process has been refreshing this connection for over {} s",
                    timeout.as_secs()
                ),
                retry_after: None,
            }),
        }
    }

    /// The HTTP call with retries, and what follows from its outcome. Runs under both locks.
    /// `refresh_token` was read from the entry `conn.refresh_token_generation()` names.
    pub(super) async fn refresh_locked(
        &self,
        conn: Connection,
        refresh_token: RefreshToken,
        lock: &mut Option<RefreshLock>,
    ) -> Result<(Connection, AccessToken)> {
        let app: AppConfig = self.store.app(&conn.app).await?;
        let client_secret = self.store.client_secret(&conn.app).await?;
        tracing::debug!(target: "hubkey::refresher", app = %conn.app, hub_id = conn.hub_id, "client secret read");
        let max_attempts = self.policy.max_attempts.max(1);
        self.emit(&conn, ConnectionState::Refreshing, None, conn.expires_at);
        let (mut conn, mut sent) = (conn, refresh_token);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = self
                .client
                .refresh(&app, &client_secret, &sent, self.clock.now())
                .await;
            match outcome {
                Ok(refreshed) => {
                    tracing::debug!(target: "hubkey::refresher", app = %conn.app, hub_id = conn.hub_id, rotated = refreshed.rotated, "HubSpot answered");
                    let saved = self.persist(conn, refreshed, lock).await;
                    tracing::debug!(target: "hubkey::refresher", saved = saved.is_ok(), "token set saved");
                    return saved;
                }
                Err(Error::NeedsReauth(fault)) => {
                    // T11: another writer may have rotated the token under us; trust the keychain.
                    let (latest, stored) = self.store.load_refresh_token(&conn.key()).await?;
                    if !stored.eq_secret(&sent) {
                        tracing::info!(
                            target: "hubkey::refresher",
                            app = %conn.app,
                            hub_id = conn.hub_id,
                            "refresh token was replaced by another writer; using the stored tokens"
                        );
                        let latest = if self.is_due(&latest) {
                            latest
                        } else {
                            let (latest, access_token) = self.store.access_token_of(latest).await?;
                            if latest.describes(&access_token) {
                                self.emit(
                                    &latest,
                                    latest.state,
                                    latest.state_reason.clone(),
                                    latest.expires_at,
                                );
                                return Ok((latest, access_token));
                            }
                            latest
                        };
                        if attempt < max_attempts {
                            (conn, sent) = (latest, stored);
                            continue;
                        }
                    }
                    return Err(self.mark_needs_reauth(&conn, fault).await);
                }
                Err(e @ Error::Transient { .. }) => {
                    let retry_after = match &e {
                        Error::Transient { retry_after, .. } => *retry_after,
                        _ => None,
                    };
                    let what = match &e {
                        Error::Transient { what, .. } => what.clone(),
                        _ => e.to_string(),
                    };
                    let reason = format!("{what} (attempt {attempt} of {max_attempts})");
                    self.set_state(&conn, ConnectionState::Retrying, reason).await;
                    if attempt >= max_attempts {
                        tracing::warn!(target: "hubkey::refresher", app = %conn.app, hub_id = conn.hub_id, attempts = attempt, "refresh gave up: {what}");
                        return Err(e);
                    }
                    let delay = self.policy.backoff(attempt, retry_after);
                    tracing::info!(
                        target: "hubkey::refresher",
                        app = %conn.app,
                        hub_id = conn.hub_id,
                        attempt,
                        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        "transient refresh failure; retrying: {what}"
                    );
                    self.sleeper.sleep(delay).await;
                }
                Err(e @ Error::HubSpotConfig(_)) => {
                    let fix = match &e {
                        Error::HubSpotConfig(f) => {
                            format!("{}: {}", fault_label(f), e.hint())
                        }
                        _ => e.hint(),
                    };
                    self.set_reason(&conn, fix).await;
                    return Err(e);
                }
                Err(e @ Error::UnexpectedResponse(_)) => {
                    self.set_reason(&conn, e.to_string()).await;
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Stores the refreshed tokens (refresh token first, generation swap) and only then hands
    /// out the access token. The refresh used the token in the entry
    /// `conn.refresh_token_generation()` names: when HubSpot did not rotate it (its default), that
    /// entry is kept and only the access token is written. A rotated set the keychain does not save
    /// is kept in memory with `lock` (see the module docs).
    pub(super) async fn persist(
        &self,
        conn: Connection,
        refreshed: Refreshed,
        lock: &mut Option<RefreshLock>,
    ) -> Result<(Connection, AccessToken)> {
        let Refreshed { tokens, rotated } = refreshed;
        let source = if rotated {
            RefreshTokenSource::New
        } else {
            RefreshTokenSource::Kept {
                generation: conn.refresh_token_generation(),
            }
        };
        let mut next = conn;
        next.state = ConnectionState::Fresh;
        next.state_reason = None;
        next.last_refreshed_at = Some(self.clock.now());
        if !tokens.scopes.is_empty() {
            next.scopes = tokens.scopes.clone();
        }
        let saved = match self.save_with_retries(next.clone(), &tokens, source).await {
            Ok(saved) => saved,
            // With rotation, the refresh token in hand is the only valid one: keep it.
            Err(e) if rotated && is_keychain_trouble(&e) => {
                let err = self.report_unsaved(&next, &e);
                if let Some(lock) = lock.take() {
                    let key = next.key();
                    self.unsaved_lock().insert(
                        key,
                        Unsaved {
                            conn: next,
                            tokens,
                            source,
                            _lock: lock,
                        },
                    );
                }
                return Err(err);
            }
            Err(e) => return Err(e),
        };
        tracing::info!(
            target: "hubkey::refresher",
            app = %saved.app,
            hub_id = saved.hub_id,
            rotated,
            expires_at = %saved.expires_at,
            "tokens refreshed and stored"
        );
        self.emit(&saved, ConnectionState::Fresh, None, saved.expires_at);
        Ok((saved, tokens.access_token))
    }
}
