//! What the refresher records and publishes: a connection's state and reason in the index, its events, and a
//! needs-reauth incident once per stored token generation.

use super::*;

impl Refresher {
    pub(super) async fn mark_needs_reauth(&self, conn: &Connection, fault: HubSpotFault) -> Error {
        let reason = fault_label(&fault);
        tracing::warn!(target: "hubkey::refresher", app = %conn.app, hub_id = conn.hub_id, reason = %reason, "HubSpot refused the refresh token; re-authorization needed");
        let r = reason.clone();
        match self
            .store
            .update_connection(&conn.key(), move |c| {
                c.state = ConnectionState::NeedsReauth;
                c.state_reason = Some(r);
            })
            .await
        {
            Ok(updated) => self.notify_reauth_once(&updated),
            Err(e) => {
                tracing::warn!(target: "hubkey::refresher", code = e.code().as_str(), "could not record needs_reauth: {e}");
                let mut c = conn.clone();
                c.state = ConnectionState::NeedsReauth;
                c.state_reason = Some(reason);
                self.notify_reauth_once(&c);
            }
        }
        Error::NeedsReauth(fault)
    }

    pub(super) async fn set_state(&self, conn: &Connection, state: ConnectionState, reason: String) {
        let r = reason.clone();
        let result = self
            .store
            .update_connection(&conn.key(), move |c| {
                c.state = state;
                c.state_reason = Some(r);
            })
            .await;
        if let Err(e) = result {
            tracing::warn!(target: "hubkey::refresher", code = e.code().as_str(), "could not record the connection state: {e}");
        }
        self.emit(conn, state, Some(reason), conn.expires_at);
    }

    /// Sets the reason, keeping the state (configuration errors).
    pub(super) async fn set_reason(&self, conn: &Connection, reason: String) {
        let r = reason.clone();
        let result = self
            .store
            .update_connection(&conn.key(), move |c| c.state_reason = Some(r))
            .await;
        let state = match result {
            Ok(updated) => updated.state,
            Err(e) => {
                tracing::warn!(target: "hubkey::refresher", code = e.code().as_str(), "could not record the reason: {e}");
                conn.state
            }
        };
        self.emit(conn, state, Some(reason), conn.expires_at);
    }

    /// Publishes a `needs_reauth` event once per incident (connection + token generation).
    pub(super) fn notify_reauth_once(&self, conn: &Connection) {
        let key = (conn.key(), conn.token_generation);
        let first = self
            .shared
            .notified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key);
        if first {
            self.emit(
                conn,
                ConnectionState::NeedsReauth,
                conn.state_reason.clone(),
                conn.expires_at,
            );
        }
    }

    pub(super) fn emit(
        &self,
        conn: &Connection,
        state: ConnectionState,
        reason: Option<String>,
        expires_at: OffsetDateTime,
    ) {
        // No subscriber is fine (the CLI never subscribes).
        let _ = self.shared.events.send(ConnectionEvent {
            key: conn.key(),
            state,
            state_reason: reason,
            expires_at,
        });
    }

    pub(super) async fn connection(&self, key: &ConnectionKey) -> Result<Connection> {
        self.store.connection(key).await?.ok_or_else(|| {
            Error::NotSignedIn(format!(
                "the app {:?} is not connected to portal {}",
                key.app, key.hub_id
            ))
        })
    }

    /// [`refuse_needs_reauth`], publishing the incident once.
    pub(super) fn refuse_needs_reauth(&self, conn: &Connection) -> Result<()> {
        let refused = refuse_needs_reauth(conn);
        if refused.is_err() {
            self.notify_reauth_once(conn);
        }
        refused
    }
}
