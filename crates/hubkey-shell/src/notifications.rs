//! Desktop notifications, as both desktop processes word and count them: one per needs-re-authorization
//! incident, until the connection is fresh again.

use std::collections::HashSet;
use std::sync::Mutex;

use hubkey_core::store::Connection;

/// Connections a re-authorization notification was shown for, until they are fresh again.
#[derive(Debug, Default)]
pub struct Notified(Mutex<HashSet<(String, u64)>>);

impl Notified {
    /// True the first time for an incident.
    pub fn first(&self, app: &str, hub_id: u64) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((app.to_string(), hub_id))
    }

    /// The incident is over (fresh again, re-authorized, signed out).
    pub fn clear(&self, app: &str, hub_id: u64) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(app.to_string(), hub_id));
    }
}

/// The notification for a connection HubSpot no longer refreshes: (title, body).
pub fn reauth_notice(conn: &Connection) -> (String, &'static str) {
    let place = conn
        .hub_domain
        .clone()
        .unwrap_or_else(|| format!("portal {}", conn.hub_id));
    (
        format!("Re-authorize {} for {place}", conn.app),
        "HubSpot no longer accepts this connection's refresh token. Open Hubkey and choose Re-authorize.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_notice_per_incident_until_the_connection_is_fresh_again() {
        let n = Notified::default();
        assert!(n.first("demo", 1));
        assert!(!n.first("demo", 1), "the same incident notifies once");
        assert!(n.first("demo", 2), "another connection is another incident");
        n.clear("demo", 1);
        assert!(n.first("demo", 1), "a new incident after it was fresh again");
    }
}
