//! Identities: which connection a call is about.
//!
//! A connection is one app connected to one portal. [`ConnectionKey`] names it everywhere a
//! connection is meant (the store, the refresher, the tray's menu ids, the IPC arguments), so a
//! function cannot be handed a hub id and an app name from two different connections, and the JSON
//! shape `{"app": …, "hub_id": …}` is written in one place.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One app (by its name in Hubkey) connected to one portal (HubSpot's hub id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ConnectionKey {
    /// The app's name in Hubkey.
    pub app: String,
    /// The portal (`hub_id`).
    pub hub_id: u64,
}

impl ConnectionKey {
    /// The connection of `app` to `hub_id`.
    pub fn new(app: impl Into<String>, hub_id: u64) -> Self {
        Self {
            app: app.into(),
            hub_id,
        }
    }

    /// True when this names the connection of `app` to `hub_id`.
    pub fn is(&self, app: &str, hub_id: u64) -> bool {
        self.app == app && self.hub_id == hub_id
    }
}

impl fmt::Display for ConnectionKey {
    /// "the app demo on portal 42", for messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the app {:?} on portal {}", self.app, self.hub_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_a_key_when_serialised_then_it_is_the_app_and_hub_id_object_the_ipc_sends() {
        let key = ConnectionKey::new("demo", 42);
        assert_eq!(
            serde_json::to_value(&key).unwrap(),
            serde_json::json!({"app": "demo", "hub_id": 42})
        );
        let back: ConnectionKey = serde_json::from_str(r#"{"app":"demo","hub_id":42}"#).unwrap();
        assert_eq!(back, key);
        assert!(key.is("demo", 42) && !key.is("demo", 43));
        assert_eq!(key.to_string(), "the app \"demo\" on portal 42");
    }
}
