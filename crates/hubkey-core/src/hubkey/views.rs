//! The window's views of what [`Hubkey`] knows, built here so the desktop host builds none: cards of
//! connections (their scope groups, the refresher's schedule, the masked token from the index's hint:
//! no keychain read), the apps with their number of connections, and a sign-in about to start.

use super::Hubkey;
use crate::app::AppConfig;
use crate::error::Result;
use crate::store::Connection;
use crate::view::{rfc3339, AppView, ConnectionView, LoginStarted, RedirectKind};
use std::time::Duration;

impl Hubkey {
    /// The view of a connection; `apps` are the index's (for the connection's scope groups). Reads
    /// nothing: no file, no keychain. A connection saved by an older build has no token hint and shows
    /// no suffix.
    pub fn connection_view_in(&self, conn: &Connection, apps: &[AppConfig]) -> ConnectionView {
        let app = apps.iter().find(|a| a.name == conn.app);
        let next_refresh = self.refresher().due_at(conn, conn.expires_at);
        ConnectionView::new(conn, app, next_refresh, conn.masked_access_token())
    }

    /// [`Hubkey::connection_view_in`] with one read of the index for the connection's app.
    pub async fn connection_view(&self, conn: &Connection) -> ConnectionView {
        let apps = self.apps().await.unwrap_or_default();
        self.connection_view_in(conn, &apps)
    }

    /// Every connection's view, from one read of the index and no keychain call (with 200
    /// connections, reading two tokens per card kept the window empty for 12 s).
    pub async fn connection_views(&self) -> Result<Vec<ConnectionView>> {
        let index = self.store().index().await?;
        Ok(index
            .connections
            .iter()
            .map(|conn| self.connection_view_in(conn, &index.apps))
            .collect())
    }

    /// Every app's view, with its number of connections.
    pub async fn app_views(&self) -> Result<Vec<AppView>> {
        Ok(AppView::all(&self.store().index().await?))
    }

    /// What the window shows for a sign-in about to start, after the checks that can refuse it at once:
    /// preflight ([`crate::Error::Preflight`]: HubSpot shows a misconfigured app's error on its own page
    /// and never redirects back, which would look like a sign-in that hangs) and the redirect URL
    /// ([`crate::Error::UnservableRedirect`]).
    pub async fn plan_login(
        &self,
        app_name: &str,
        portal_id: Option<u64>,
        timeout: Duration,
    ) -> Result<LoginStarted> {
        let config = self.app(app_name).await?;
        self.check_login(&config)?;
        let redirect_kind = RedirectKind::of(&config.redirect_uri)?;
        let authorize = self.endpoints().authorize_url(config.kind, portal_id);
        let now = self.clock().now();
        Ok(LoginStarted {
            app: config.name.clone(),
            authorize_host: authorize.host_str().unwrap_or_default().to_string(),
            redirect_kind,
            redirect_uri: config.redirect_uri.clone(),
            started_at: rfc3339(now),
            expires_at: rfc3339(now + timeout),
        })
    }
}
