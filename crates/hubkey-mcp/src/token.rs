//! Where the bridge gets its bearer tokens: one small trait, so this crate does not depend on how
//! the core wires its refresher (the CLI implements it with hubkey-core's `Refresher`, under the
//! same single-flight and cross-process lock as `hubkey token`; tests implement it with tokens
//! minted by the sandbox).
//!
//! [`TokenCache`] sits between the bridge and the source: it keeps the last token in memory while
//! the source says it may be reused (a keychain read costs milliseconds, an MCP call through the
//! bridge should cost nearly nothing on top of the upstream's time), and it makes a burst of 401s
//! cause **one** refresh. Twenty requests in flight across an expiry all get 401 with the same
//! token; the first one to take the lock asks the source for a refresh, the others find a token
//! different from the one that was refused and retry with it.

use hubkey_core::{AccessToken, Result};
use std::future::Future;
use std::time::Instant;
use tokio::sync::Mutex;

/// An access token and how long it may be reused without asking the source again.
#[derive(Debug, Clone)]
pub struct TokenLease {
    /// The bearer token.
    pub token: AccessToken,
    /// Reuse it until then (typically when the refresher would consider it due); `None`: ask
    /// the source before every request.
    pub reuse_until: Option<Instant>,
}

/// A supplier of fresh HubSpot access tokens for one connection.
///
/// Errors are hubkey-core's: `Error::NeedsReauth` (the refresh token is dead: the bridge answers
/// "reconnect" and exits), `Error::Transient`, keychain errors (the request fails, the bridge
/// goes on).
pub trait TokenSource: Send + Sync + 'static {
    /// A token that is valid now, refreshed first when it is due.
    fn fresh_token(&self) -> impl Future<Output = Result<TokenLease>> + Send;

    /// The server refused `rejected` as unknown or expired (a 401 that is not about user level):
    /// a newer token, refreshing now unless another caller (in this process or another one)
    /// already replaced `rejected`.
    fn refresh_after_unauthorized(
        &self,
        rejected: &AccessToken,
    ) -> impl Future<Output = Result<TokenLease>> + Send;
}

/// The bridge's view of a [`TokenSource`]: the last token, and single-flight refreshes.
#[derive(Debug)]
pub struct TokenCache<S> {
    source: S,
    current: Mutex<Option<TokenLease>>,
}

impl<S: TokenSource> TokenCache<S> {
    /// A cache over `source`, empty.
    pub fn new(source: S) -> Self {
        Self {
            source,
            current: Mutex::new(None),
        }
    }

    /// The source.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// A token to send: the cached one while it may be reused, else the source's.
    pub async fn token(&self) -> Result<AccessToken> {
        let mut current = self.current.lock().await;
        if let Some(t) = current.as_ref() {
            if t.reuse_until.is_some_and(|until| Instant::now() < until) {
                return Ok(t.token.clone());
            }
        }
        let fresh = self.source.fresh_token().await?;
        let token = fresh.token.clone();
        *current = Some(fresh);
        Ok(token)
    }

    /// A token to retry with after the server refused `rejected`: the cached one if it is already
    /// different (another request refreshed meanwhile), else the source's refresh.
    pub async fn after_unauthorized(&self, rejected: &AccessToken) -> Result<AccessToken> {
        let mut current = self.current.lock().await;
        if let Some(t) = current.as_ref() {
            if !t.token.eq_secret(rejected) {
                return Ok(t.token.clone());
            }
        }
        // Whatever happens next, the refused token must not be handed out again.
        *current = None;
        let fresh = self.source.refresh_after_unauthorized(rejected).await?;
        let token = fresh.token.clone();
        *current = Some(fresh);
        Ok(token)
    }
}
