//! Handing out tokens: a valid access token (refreshed first when due), a refresh now, and the
//! MCP server check, which sends the token from here and says only what the server answered.
//!
//! [`Hubkey::token`] is the one door every token leaves through (`hubkey token`, `headers`,
//! `exec`, `mcp`, the desktop's and the tray's copies): a connection marked `needs_reauth`
//! hands out nothing there ([`crate::refresher::refuse_needs_reauth`], threat-model.md T13).

use super::Hubkey;
use crate::error::Result;
use crate::ids::ConnectionKey;
use crate::mcp::McpCheck;
use crate::secret::AccessToken;
use crate::store::Connection;

impl Hubkey {
    /// A valid access token of the connection, refreshed first when it is due; refused for a
    /// connection that needs a new login. See [`crate::refresher::Refresher::valid_token`].
    pub async fn token(&self, key: &ConnectionKey) -> Result<AccessToken> {
        self.refresher().valid_token(key).await
    }

    /// Refreshes the connection now, whatever its expiry. Returns the connection as stored.
    pub async fn refresh(&self, key: &ConnectionKey) -> Result<Connection> {
        self.refresher().refresh_now(key).await
    }

    /// Refreshes every connection that does not need a new login (the tray's "Refresh all").
    /// Failures are logged, one per connection; the rest go on.
    pub async fn refresh_all(&self) {
        let connections = self.connections().await.unwrap_or_default();
        for c in connections
            .iter()
            .filter(|c| crate::refresher::refuse_needs_reauth(c).is_ok())
        {
            if let Err(e) = self.refresh(&c.key()).await {
                tracing::warn!(app = %c.app, hub_id = c.hub_id, code = e.code().as_str(), "refresh from the tray failed: {e}");
            }
        }
    }

    /// Asks HubSpot's MCP server whether it accepts the connection's access token (MCP
    /// `initialize`). The token is fetched (refreshed if due) and sent from here; the result says
    /// what the server answered, never the token. A connection already known to be account-level
    /// is answered at once, without a request (it can never pass).
    pub async fn check_mcp(&self, key: &ConnectionKey) -> Result<McpCheck> {
        let http = crate::mcp::http_client()?;
        let conn = self.connection(key).await?;
        let check = crate::mcp::check_connection(&http, self.endpoints(), &conn, || self.token(key)).await?;
        tracing::info!(app = %key.app, hub_id = key.hub_id, accepted = check.accepted(), "MCP server check");
        Ok(check)
    }
}
