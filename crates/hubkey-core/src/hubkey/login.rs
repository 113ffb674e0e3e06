//! Connecting a portal, and signing out of one: the glue between the HubSpot client, the login
//! flow and the token store.
//!
//! A connection is made in one call, [`Hubkey::login`], which every front end (the desktop app
//! and the CLI) uses, so they behave the same way:
//!
//! 1. the app's settings and client secret are read (the secret from the keychain);
//! 2. the authorize URL is built (state, PKCE, exact redirect URL) and the redirect is checked:
//!    Hubkey must be able to receive it (loopback port and path, or the relay page);
//! 3. for a loopback redirect the listener is bound *before* the browser opens, so a busy port is
//!    reported before the user ever sees HubSpot; for a relay the pending login waits for the
//!    `hubkey://` deep link, delivered through [`Hubkey::deliver`];
//! 4. the code is exchanged (same `redirect_uri`, the PKCE verifier, `client_secret_post`);
//! 5. the access token is introspected to learn the hub domain, the installing user, the app id
//!    and whether the token is user-level;
//! 6. the tokens and the connection are stored together (see [`crate::store::TokenStore::save_connection`]):
//!    reconnecting a portal replaces its tokens atomically.
//!
//! Nothing is stored unless every step succeeded; a failure leaves existing tokens untouched.

use super::Hubkey;
use crate::app::{AppConfig, AppKind};
use crate::callback::RedirectTarget;
use crate::error::{Error, Result};
use crate::ids::ConnectionKey;
use crate::login::{CompletedCallback, Delivery, PendingLogin};
use crate::loopback::run_loopback_login;
use crate::secret::ClientSecret;
use crate::store::Connection;
use crate::token::{TokenMetadata, TokenSet};
use std::time::Duration;
use time::OffsetDateTime;
use url::Url;

/// What a login needs to know besides the app.
#[derive(Debug, Clone, Default)]
pub struct LoginOptions {
    /// Preselect a portal (`/oauth/{portalId}/authorize`), skipping HubSpot's account picker.
    pub portal_id: Option<u64>,
    /// How long to wait for the redirect (default: 10 minutes).
    pub timeout: Option<Duration>,
    /// This one sign-in without PKCE, whatever the app's setting (standard apps only: HubSpot
    /// requires PKCE for MCP auth apps). The retry offered when HubSpot refuses the verifier
    /// ([`crate::Error::PkceRejected`]); the app's stored setting is not changed.
    pub without_pkce: bool,
}

impl Hubkey {
    /// Hands a callback URL from any source (deep link, second instance's argv) to the pending
    /// login. Every URL is untrusted: see [`crate::login::LoginFlow::deliver`].
    pub fn deliver(&self, url: &str) -> Result<Delivery> {
        self.logins().deliver(url)
    }

    /// Cancels the pending login of `app`; returns whether there was one.
    pub fn cancel_login(&self, app: &str) -> bool {
        self.logins().cancel_app(app)
    }

    /// Connects a portal to the app called `app_name`: see the module docs for the steps.
    /// `open_browser` receives HubSpot's authorize URL once Hubkey is ready for the redirect; it
    /// must open it in the system browser (never in a webview, RFC 8252 §8.12). Wakes the
    /// background refresher when the connection is stored.
    pub async fn login<F>(&self, app_name: &str, options: LoginOptions, open_browser: F) -> Result<Connection>
    where
        F: FnOnce(&Url) -> Result<()>,
    {
        let mut app = self.store().app(app_name).await?;
        if options.without_pkce {
            if app.kind == AppKind::Mcp {
                return Err(Error::Config(format!(
                    "the app {app_name:?} is an MCP auth app, and HubSpot requires PKCE for those; a sign-in \
                     without PKCE is only possible for standard apps"
                )));
            }
            app.pkce = false;
        }
        let client_secret = self.store().client_secret(app_name).await?;
        // The MCP host's endpoints from its metadata, before the authorize URL is built.
        self.client().oauth_endpoints(app.kind).await;
        let request = self.client().begin_authorization(&app, options.portal_id)?;
        let url = request.url;
        let (mut pending, target) = PendingLogin::for_redirect(
            app.name.clone(),
            request.redirect_uri,
            request.state,
            request.pkce_verifier,
        )?;
        if let Some(timeout) = options.timeout {
            pending = pending.with_timeout(timeout);
        }
        tracing::info!(app = %app.name, via = target_kind(&target), "sign-in started");

        let logins = self.logins();
        let callback = match target {
            RedirectTarget::Loopback { .. } => {
                run_loopback_login(logins, pending, || open_browser(&url)).await?
            }
            RedirectTarget::Relay { .. } => {
                let handle = logins.start(pending);
                if let Err(e) = open_browser(&url) {
                    logins.cancel(handle.id());
                    return Err(e);
                }
                handle.wait().await?
            }
        };
        let stored = self.finish(&app, &client_secret, callback).await?;
        self.refresher().nudge();
        self.publish(super::Change::Connected(stored.key()));
        Ok(stored)
    }

    /// Exchanges the code, introspects the token and stores the connection.
    async fn finish(
        &self,
        app: &AppConfig,
        client_secret: &ClientSecret,
        callback: CompletedCallback,
    ) -> Result<Connection> {
        let now = self.clock().now();
        let tokens = self
            .client()
            .exchange_code(
                app,
                client_secret,
                &callback.code,
                &callback.redirect_uri,
                callback.pkce_verifier.as_ref(),
                now,
            )
            .await?;
        // Introspection fills in who and where; the token response alone lacks the domain, the
        // user's email and the user-level flag. A failure here is not fatal: the tokens are good.
        let metadata = match self
            .client()
            .introspect(app, client_secret, &tokens.access_token)
            .await
        {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(app = %app.name, code = e.code().as_str(), "introspection failed after sign-in: {e}");
                None
            }
        };
        let connection = connection_from(app, &tokens, metadata.as_ref(), now)?;
        let stored = self.store().save_connection(connection, &tokens).await?;
        tracing::info!(app = %app.name, hub_id = stored.hub_id, "portal connected");
        Ok(stored)
    }

    /// Signs out of a portal: revokes the refresh token at HubSpot (unless `keep_remote`), then
    /// deletes the local secrets and the index entry. A failed revoke is reported in the result,
    /// and the local deletion still happens (threat-model.md T15).
    ///
    /// It first waits for a refresh of the connection in flight, in this process or another: the refresh holds
    /// the connection's [`crate::store::RefreshLock`] across HubSpot's answer and the save, and a save after the
    /// deletion would write the connection back, with a refresh token this revoked. After the refresher's lock
    /// timeout (capped at [`SIGN_OUT_WAIT`]) it signs out anyway: a process stuck holding the lock must not keep
    /// the user signed in.
    pub async fn sign_out(&self, key: &ConnectionKey, keep_remote: bool) -> Result<SignOutReport> {
        let (store, client) = (self.store(), self.client());
        let (app_name, hub_id) = (key.app.as_str(), key.hub_id);
        let wait = self.refresher().policy().lock_timeout.min(SIGN_OUT_WAIT);
        let _refreshes_done = match tokio::time::timeout(wait, store.refresh_lock(key)).await {
            Ok(lock) => Some(lock?),
            Err(_) => {
                tracing::warn!(
                    app = app_name,
                    hub_id,
                    "a refresh has held this connection's lock for too long; signing out anyway"
                );
                None
            }
        };
        let connection = store.connection(key).await?.ok_or_else(|| {
            Error::NotFound(format!("no connection of app {app_name:?} to portal {hub_id}"))
        })?;
        let mut report = SignOutReport {
            revoked: false,
            already_invalid: false,
            revoke_error: None,
            access_token_valid_until: Some(connection.expires_at),
        };
        if !keep_remote {
            let outcome = async {
                let app = store.app(app_name).await?;
                let secret = store.client_secret(app_name).await?;
                let (_, refresh_token) = store.load_refresh_token(key).await?;
                client.revoke(&app, &secret, &refresh_token).await
            }
            .await;
            match outcome {
                Ok(how) => {
                    report.revoked = true;
                    report.already_invalid = how == crate::client::Revocation::AlreadyInvalid;
                }
                Err(e) => {
                    tracing::warn!(
                        app = app_name,
                        hub_id,
                        code = e.code().as_str(),
                        "revoke failed; deleting locally anyway"
                    );
                    report.revoke_error = Some(e);
                }
            }
        }
        store.delete_connection(key).await?;
        self.refresher().nudge();
        self.publish(super::Change::SignedOut(key.clone()));
        tracing::info!(app = app_name, hub_id, revoked = report.revoked, "signed out");
        Ok(report)
    }
}

/// The longest [`Hubkey::sign_out`] waits for a refresh of the connection in flight. A refresh, its retries
/// included, ends well within it; a sign-out is something the user waits for.
pub const SIGN_OUT_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

fn target_kind(target: &RedirectTarget) -> &'static str {
    match target {
        RedirectTarget::Loopback { .. } => "loopback",
        RedirectTarget::Relay { .. } => "deep link",
    }
}

/// Builds the non-secret connection record from the token response and the introspection.
pub fn connection_from(
    app: &AppConfig,
    tokens: &TokenSet,
    metadata: Option<&TokenMetadata>,
    now: OffsetDateTime,
) -> Result<Connection> {
    let hub_id = tokens.hub_id.or(metadata.and_then(|m| m.hub_id)).ok_or_else(|| {
        Error::UnexpectedResponse("HubSpot did not say which portal was connected (no hub_id)".into())
    })?;
    let granted: Vec<String> = match metadata {
        Some(m) if !m.scopes.is_empty() => m.scopes.clone(),
        _ => tokens.scopes.clone(),
    };
    let requested: Vec<String> = app
        .scopes
        .iter()
        .chain(app.optional_scopes.iter())
        .cloned()
        .collect();
    let optional_scopes_missing = app
        .optional_scopes
        .iter()
        .filter(|s| !granted.iter().any(|g| g == *s))
        .cloned()
        .collect();
    Ok(Connection {
        hub_domain: metadata.and_then(|m| m.hub_domain.clone()),
        user: metadata.and_then(|m| m.user.clone()),
        user_id: tokens.user_id.or(metadata.and_then(|m| m.user_id)),
        app_id: metadata.and_then(|m| m.app_id),
        scopes: granted,
        requested_scopes: requested,
        optional_scopes_missing,
        is_user_level: metadata.and_then(|m| m.is_user_level),
        installing_user_id: metadata.and_then(|m| m.installing_user_id),
        hublet: metadata.and_then(|m| m.hublet.clone()),
        ..Connection::new(app.name.clone(), hub_id, tokens.expires_at, now)
    })
}

/// What signing out did.
#[derive(Debug)]
pub struct SignOutReport {
    /// True when HubSpot confirmed the refresh token is revoked, or no longer accepted it.
    pub revoked: bool,
    /// True when HubSpot no longer accepted the refresh token (already revoked, uninstalled or
    /// unknown): counted as revoked, said differently.
    pub already_invalid: bool,
    /// Why the revoke failed (local deletion happened anyway), when it did.
    pub revoke_error: Option<Error>,
    /// Revocation does not cut access tokens short: the last one works until this time.
    pub access_token_valid_until: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::AppKind;
    use crate::secret::{AccessToken, RefreshToken};
    use crate::store::ConnectionState;
    use time::macros::datetime;

    fn app() -> AppConfig {
        AppConfig {
            name: "demo".into(),
            client_id: "5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60".into(),
            redirect_uri: "http://localhost:53682/callback".into(),
            scopes: vec!["oauth".into(), "crm.objects.contacts.read".into()],
            optional_scopes: vec!["crm.objects.deals.read".into(), "automation".into()],
            kind: AppKind::Standard,
            pkce: true,
        }
    }

    fn tokens(hub_id: Option<u64>, scopes: &[&str]) -> TokenSet {
        TokenSet {
            access_token: AccessToken::new("access"),
            refresh_token: RefreshToken::new("refresh"),
            expires_at: datetime!(2026-11-23 10:30 UTC),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            hub_id,
            user_id: Some(7),
        }
    }

    #[test]
    fn given_a_lower_tier_portal_when_an_optional_scope_is_dropped_then_the_connection_lists_it_as_missing() {
        let t = tokens(
            Some(42),
            &["oauth", "crm.objects.contacts.read", "crm.objects.deals.read"],
        );
        let c = connection_from(&app(), &t, None, datetime!(2026-11-23 10:00 UTC)).unwrap();
        assert_eq!(c.hub_id, 42);
        assert_eq!(c.optional_scopes_missing, vec!["automation".to_string()]);
        assert_eq!(c.requested_scopes.len(), 4);
        assert_eq!(c.state, ConnectionState::Fresh);
        assert_eq!(c.expires_at, datetime!(2026-11-23 10:30 UTC));
    }

    #[test]
    fn given_introspection_metadata_when_building_the_connection_then_who_and_where_come_from_it() {
        let t = tokens(None, &[]);
        let m = TokenMetadata {
            hub_id: Some(99),
            hub_domain: Some("acme.example".into()),
            user: Some("alex@acme.example".into()),
            user_id: Some(1001),
            app_id: Some(3141592),
            scopes: vec![
                "oauth".into(),
                "crm.objects.contacts.read".into(),
                "automation".into(),
            ],
            is_user_level: Some(false),
            installing_user_id: Some(1001),
            hublet: Some("eu1".into()),
            ..Default::default()
        };
        let c = connection_from(&app(), &t, Some(&m), datetime!(2026-11-23 10:00 UTC)).unwrap();
        assert_eq!(c.hub_id, 99);
        assert_eq!(c.hub_domain.as_deref(), Some("acme.example"));
        assert_eq!(c.user.as_deref(), Some("alex@acme.example"));
        assert_eq!(c.user_id, Some(7), "the token response's user_id wins");
        assert_eq!(c.app_id, Some(3141592));
        assert_eq!(c.is_user_level, Some(false));
        assert_eq!(c.hublet.as_deref(), Some("eu1"));
        // Without introspection: absent, not an error.
        let bare = connection_from(
            &app(),
            &tokens(Some(42), &[]),
            None,
            datetime!(2026-11-23 10:00 UTC),
        )
        .unwrap();
        assert_eq!(bare.hublet, None);
        assert_eq!(
            c.optional_scopes_missing,
            vec!["crm.objects.deals.read".to_string()]
        );
    }

    #[test]
    fn given_no_hub_id_anywhere_when_building_the_connection_then_it_is_an_unexpected_response() {
        let err =
            connection_from(&app(), &tokens(None, &[]), None, datetime!(2026-11-23 10:00 UTC)).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::UnexpectedResponse);
    }
}
