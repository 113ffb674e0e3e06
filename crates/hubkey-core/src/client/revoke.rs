//! Revoking a refresh token (RFC 7009) at each revocation endpoint of the app's kind, and telling a dead
//! token from a refused request.

use super::*;

impl HubSpotClient {
    /// Revokes a refresh token: POST form `token`, `token_type_hint=refresh_token`, `client_id`,
    /// `client_secret` to each revocation endpoint of the app's kind in turn, until one revokes it:
    /// MCP auth apps at the MCP host first (`/oauth/v3/token/revoke`, or the metadata's
    /// `revocation_endpoint`), then the API host; standard apps at the API host. Any 2xx is success
    /// (HubSpot's success body is undocumented).
    ///
    /// A token HubSpot already considers dead counts as revoked (RFC 7009 §2.2: the goal, a dead
    /// refresh token, is met), and the answer says so ([`Revocation::AlreadyInvalid`]):
    /// * a 400 `invalid_grant` (`BAD_REFRESH_TOKEN`, `BAD_HUB`);
    /// * a 400 with HubSpot's generic `VALIDATION_ERROR`, the only error body its revoke reference
    ///   documents (hubspot-oauth.md §4.3). That body does not say *why*, and a wrong client secret
    ///   may get it too, so the refresh token is introspected once to tell: inactive (or HubSpot
    ///   unreachable) counts as revoked; still active, or refused client credentials, is the error.
    ///
    /// A "dead" answer from the MCP host does not stop the fallback (the API host may know the
    /// token); it makes the sign-out succeed when no endpoint revokes the token.
    ///
    /// Sent with reqwest directly: oauth2's `revoke_token` refuses any non-`https` revocation URL
    /// (oauth2 5 `revocation.rs`), which rules out the loopback sandbox, and it accepts only 200.
    pub async fn revoke(
        &self,
        app: &AppConfig,
        client_secret: &ClientSecret,
        refresh_token: &RefreshToken,
    ) -> Result<Revocation> {
        let mut already_dead = false;
        let mut unclear = None;
        let mut last_error = None;
        for url in self.oauth_endpoints(app.kind).await.revoke {
            match self.revoke_at(&url, app, client_secret, refresh_token).await {
                Ok(Answer::Revoked) => return Ok(Revocation::Revoked),
                Ok(Answer::Dead) => already_dead = true,
                Ok(Answer::Unclear(e)) => unclear = Some(e),
                Err(e) => {
                    tracing::info!(target: "hubkey::client", path = url.path(), outcome = e.code().as_str(), "revocation not done here");
                    last_error = Some(e);
                }
            }
        }
        if already_dead {
            return Ok(Revocation::AlreadyInvalid);
        }
        if let Some(validation_error) = unclear {
            return match self
                .introspect_as(app, client_secret, refresh_token.as_secret(), "refresh_token")
                .await
            {
                Ok(None) => Ok(Revocation::AlreadyInvalid),
                Ok(Some(_)) => Err(validation_error),
                Err(e) if e.is_transient() => Ok(Revocation::AlreadyInvalid),
                Err(e) => Err(e),
            };
        }
        Err(last_error.unwrap_or_else(|| Error::Config("no revocation endpoint".into())))
    }

    /// One revocation attempt at `url`.
    pub(super) async fn revoke_at(
        &self,
        url: &Url,
        app: &AppConfig,
        client_secret: &ClientSecret,
        refresh_token: &RefreshToken,
    ) -> Result<Answer> {
        let op = Operation::Revoke;
        check_endpoint_url(url, "revocation endpoint")?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", refresh_token.expose())
            .append_pair("token_type_hint", "refresh_token")
            .append_pair("client_id", &app.client_id)
            .append_pair("client_secret", client_secret.expose())
            .finish();
        let request = http::Request::builder()
            .method(http::Method::POST)
            .uri(url.as_str())
            .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(http::header::ACCEPT, "application/json")
            .body(body.into_bytes())
            .map_err(|_| Error::Config("could not build the revocation request".into()))?;
        match self.send(op, request).await {
            Ok(_) => Ok(Answer::Revoked),
            Err(Error::NeedsReauth(fault)) => {
                tracing::info!(
                    target: "hubkey::client",
                    op = op.as_str(),
                    status = fault.http_status,
                    "refresh token was already invalid at HubSpot; treated as revoked"
                );
                Ok(Answer::Dead)
            }
            Err(Error::HubSpotConfig(fault))
                if fault.http_status == 400 && fault.status.as_deref() == Some("VALIDATION_ERROR") =>
            {
                tracing::info!(target: "hubkey::client", op = op.as_str(), "VALIDATION_ERROR to the revocation");
                Ok(Answer::Unclear(Error::HubSpotConfig(fault)))
            }
            Err(e) => Err(e),
        }
    }
}
