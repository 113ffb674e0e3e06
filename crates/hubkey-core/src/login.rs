//! Pending logins: the one place a callback is accepted, from any source.
//!
//! A login starts when Hubkey opens HubSpot's authorize URL ([`LoginFlow::start`]) and ends when
//! exactly one of these happens: a callback with the right `state` arrives
//! ([`LoginFlow::deliver`], from the loopback listener, a deep link, or a second instance's argv),
//! the user cancels ([`LoginFlow::cancel`]), the timeout passes (default 10 minutes), or a new
//! login for the same app replaces it. The waiter ([`LoginHandle::wait`]) then gets the code, the
//! PKCE verifier and the exact `redirect_uri` to exchange, or a typed error.
//!
//! Every URL handed to [`LoginFlow::deliver`] is attacker-controlled (threat-model.md §4.1, §4.3): it
//! is accepted only while a login is pending, only at the expected scheme/host/port/path, only
//! with the pending `state` (constant-time compare), and only once. A wrong `state` leaves the
//! login pending (a forged request cannot abort it). Logs never contain a query string.
//!
//! ```text
//! deliver(url)
//!   no login pending (nor just completed)     → NoPendingLogin   (logged as scheme://host/path)
//!   URL not at any pending target             → CallbackInvalid  (login stays pending)
//!   no state                                  → StateMissing     (login stays pending)
//!   state ≠ every login's state               → StateMismatch    (login stays pending)
//!   state = a completed login's state         → AlreadyCompleted (replay)
//!   state = a pending login's state           → completes it: the waiter gets the code, or
//!                                               ConsentDenied for an `error=` callback
//! ```

use crate::callback::{parse_callback, redact_url, CallbackParams, CallbackTarget, RedirectTarget};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, ErrorCode, Result};
use crate::secret::{AuthCode, CsrfState, PkceVerifier};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// How long a login waits for HubSpot's redirect (design.md §2.1).
pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Identifies one login (unique within a [`LoginFlow`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LoginId(u64);

/// Everything needed to accept the callback of one login and exchange its code.
#[derive(Debug)]
pub struct PendingLogin {
    /// The app's name in Hubkey (one pending login per app).
    pub app: String,
    /// Where the callback must arrive.
    pub target: CallbackTarget,
    /// The `state` sent in the authorize URL.
    pub state: CsrfState,
    /// The PKCE verifier, when PKCE is used.
    pub pkce_verifier: Option<PkceVerifier>,
    /// The `redirect_uri` exactly as sent in the authorize URL (sent again at the exchange).
    pub redirect_uri: String,
    /// How long to wait for the callback.
    pub timeout: Duration,
}

impl PendingLogin {
    /// A pending login with the default timeout.
    pub fn new(
        app: impl Into<String>,
        target: CallbackTarget,
        state: CsrfState,
        pkce_verifier: Option<PkceVerifier>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self {
            app: app.into(),
            target,
            state,
            pkce_verifier,
            redirect_uri: redirect_uri.into(),
            timeout: DEFAULT_LOGIN_TIMEOUT,
        }
    }

    /// As [`PendingLogin::new`], deriving the callback target from `redirect_uri` with
    /// [`crate::callback::redirect_target`]; also returns that decision (loopback or relay).
    pub fn for_redirect(
        app: impl Into<String>,
        redirect_uri: impl Into<String>,
        state: CsrfState,
        pkce_verifier: Option<PkceVerifier>,
    ) -> Result<(Self, RedirectTarget)> {
        let redirect_uri = redirect_uri.into();
        let target = crate::callback::redirect_target(&redirect_uri)?;
        Ok((
            Self::new(app, target.callback_target(), state, pkce_verifier, redirect_uri),
            target,
        ))
    }

    /// Replaces the timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// What a completed login yields: everything the token exchange needs.
#[derive(Debug)]
pub struct CompletedCallback {
    /// The app's name.
    pub app: String,
    /// The authorization code.
    pub code: AuthCode,
    /// The PKCE verifier to send with the code.
    pub pkce_verifier: Option<PkceVerifier>,
    /// The `redirect_uri` exactly as sent in the authorize URL.
    pub redirect_uri: String,
}

/// What [`LoginFlow::deliver`] did with an accepted callback (for the page shown to the user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The login completed with a code; the waiter exchanges it.
    Authorized {
        /// The app's name.
        app: String,
    },
    /// The login completed with HubSpot's `error` (the waiter gets [`Error::ConsentDenied`]).
    Denied {
        /// The app's name.
        app: String,
        /// HubSpot's `error` (e.g. `access_denied`).
        error: String,
        /// HubSpot's `error_description`, plain text (escape before putting it in HTML).
        description: Option<String>,
    },
}

/// A pending login, as shown to the user (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingInfo {
    /// The login.
    pub id: LoginId,
    /// The app's name.
    pub app: String,
    /// When it started (from the flow's [`Clock`]).
    pub started_at: OffsetDateTime,
    /// When it times out.
    pub expires_at: OffsetDateTime,
}

type Outcome = Result<CompletedCallback>;

enum Phase {
    Pending {
        pkce_verifier: Option<PkceVerifier>,
        redirect_uri: String,
        tx: oneshot::Sender<Outcome>,
    },
    /// Kept after completion so that a replay is told `AlreadyCompleted`.
    Completed,
}

struct Slot {
    id: LoginId,
    target: CallbackTarget,
    state: CsrfState,
    started_at: OffsetDateTime,
    timeout: Duration,
    deadline: Instant,
    phase: Phase,
}

impl Slot {
    fn is_pending(&self) -> bool {
        matches!(self.phase, Phase::Pending { .. })
    }
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    /// One slot per app: its pending login, or its last completed one.
    slots: HashMap<String, Slot>,
}

impl Registry {
    /// Ends pending logins whose deadline has passed (their waiters get `LoginTimedOut`).
    fn expire_overdue(&mut self, now: Instant) {
        let overdue: Vec<String> = self
            .slots
            .iter()
            .filter(|(_, s)| s.is_pending() && s.deadline <= now)
            .map(|(app, _)| app.clone())
            .collect();
        for app in overdue {
            if let Some(slot) = self.slots.remove(&app) {
                tracing::info!(app = %app, "sign-in timed out");
                if let Phase::Pending { tx, .. } = slot.phase {
                    let _ = tx.send(Err(Error::LoginTimedOut(slot.timeout)));
                }
            }
        }
    }

    /// Removes `app`'s pending login if it is `id` (or any, when `id` is `None`), telling its
    /// waiter `err`. Returns whether a login was ended.
    fn end_pending(&mut self, app: &str, id: Option<LoginId>, err: impl FnOnce() -> Error) -> bool {
        let matches = self
            .slots
            .get(app)
            .is_some_and(|s| s.is_pending() && id.is_none_or(|id| s.id == id));
        if !matches {
            return false;
        }
        if let Some(Slot {
            phase: Phase::Pending { tx, .. },
            ..
        }) = self.slots.remove(app)
        {
            let _ = tx.send(Err(err()));
        }
        true
    }
}

/// The registry of pending logins, shared (cheaply cloned) by the UI/CLI that starts logins and
/// by every source of callbacks.
#[derive(Clone)]
pub struct LoginFlow {
    registry: Arc<Mutex<Registry>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for LoginFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let apps: Vec<String> = self.lock().slots.keys().cloned().collect();
        f.debug_struct("LoginFlow")
            .field("apps", &apps)
            .field("clock", &self.clock)
            .finish()
    }
}

impl Default for LoginFlow {
    fn default() -> Self {
        Self::new(Arc::new(SystemClock))
    }
}

impl LoginFlow {
    /// An empty registry; `clock` stamps `started_at` (timeouts run on tokio's clock, so tests
    /// can use `tokio::time::pause()`).
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            registry: Arc::default(),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a pending login and returns the handle to wait on. A pending login of the same
    /// app is cancelled (its waiter gets [`Error::LoginCancelled`]).
    pub fn start(&self, pending: PendingLogin) -> LoginHandle {
        self.start_replacing(pending).0
    }

    /// As [`LoginFlow::start`]; also says whether a pending login of the same app was replaced.
    pub(crate) fn start_replacing(&self, pending: PendingLogin) -> (LoginHandle, bool) {
        let PendingLogin {
            app,
            target,
            state,
            pkce_verifier,
            redirect_uri,
            timeout,
        } = pending;
        let (tx, rx) = oneshot::channel();
        let started_at = self.clock.now();
        let deadline = Instant::now() + timeout;
        let mut reg = self.lock();
        reg.next_id += 1;
        let id = LoginId(reg.next_id);
        let replaced = reg.end_pending(&app, None, || Error::LoginCancelled);
        if replaced {
            tracing::info!(app = %app, "a new sign-in replaces the pending one");
        }
        reg.slots.insert(
            app.clone(),
            Slot {
                id,
                target,
                state,
                started_at,
                timeout,
                deadline,
                phase: Phase::Pending {
                    pkce_verifier,
                    redirect_uri,
                    tx,
                },
            },
        );
        drop(reg);
        tracing::info!(app = %app, timeout_s = timeout.as_secs(), "sign-in started");
        let handle = LoginHandle {
            id,
            app,
            started_at,
            timeout,
            deadline,
            rx,
            flow: self.clone(),
        };
        (handle, replaced)
    }

    /// The single entry for callbacks from any source (loopback, deep link, second instance).
    /// See the module documentation for the order of checks. `Ok` means the callback completed
    /// a login (with a code or with HubSpot's error); every `Err` leaves pending logins pending.
    pub fn deliver(&self, url: &str) -> Result<Delivery> {
        let mut reg = self.lock();
        reg.expire_overdue(Instant::now());
        let any_pending = reg.slots.values().any(Slot::is_pending);

        let mut matched: Option<(String, CallbackParams)> = None;
        let mut worst: Option<Error> = None;
        for (app, slot) in &reg.slots {
            match parse_callback(url, &slot.target) {
                Ok(params) if params.state().eq_secret(&slot.state) => {
                    matched = Some((app.clone(), params));
                    break;
                }
                Ok(_) if slot.is_pending() => worst = Some(more_telling(worst, Error::StateMismatch)),
                Ok(_) => {}
                Err(e) if slot.is_pending() => worst = Some(more_telling(worst, e)),
                Err(_) => {}
            }
        }

        let Some((app, params)) = matched else {
            drop(reg);
            let err = match worst {
                Some(e) if any_pending => e,
                _ => Error::NoPendingLogin,
            };
            tracing::warn!(
                callback = %redact_url(url),
                reason = err.code().as_str(),
                "ignored a sign-in callback"
            );
            return Err(err);
        };

        let Some(slot) = reg.slots.get_mut(&app) else {
            return Err(Error::NoPendingLogin);
        };
        let Phase::Pending {
            pkce_verifier,
            redirect_uri,
            tx,
        } = std::mem::replace(&mut slot.phase, Phase::Completed)
        else {
            drop(reg);
            tracing::warn!(app = %app, callback = %redact_url(url), "ignored a repeated sign-in callback");
            return Err(Error::AlreadyCompleted);
        };
        let (outcome, delivery) = match params {
            CallbackParams::Code { code, .. } => (
                Ok(CompletedCallback {
                    app: app.clone(),
                    code,
                    pkce_verifier,
                    redirect_uri,
                }),
                Delivery::Authorized { app: app.clone() },
            ),
            CallbackParams::Error {
                error, description, ..
            } => (
                Err(Error::ConsentDenied {
                    error: error.clone(),
                    description: description.clone(),
                }),
                Delivery::Denied {
                    app: app.clone(),
                    error,
                    description,
                },
            ),
        };
        if tx.send(outcome).is_err() {
            // The waiter went away between our check and now: nobody is signing in any more.
            reg.slots.remove(&app);
            drop(reg);
            tracing::warn!(app = %app, "sign-in callback arrived after the sign-in was abandoned");
            return Err(Error::NoPendingLogin);
        }
        drop(reg);
        match &delivery {
            Delivery::Authorized { .. } => tracing::info!(app = %app, "sign-in callback accepted"),
            Delivery::Denied { error, .. } => {
                tracing::info!(app = %app, error = %error, "HubSpot did not grant access")
            }
        }
        Ok(delivery)
    }

    /// Cancels the pending login `id` (its waiter gets [`Error::LoginCancelled`]). Returns false
    /// when it is no longer pending.
    pub fn cancel(&self, id: LoginId) -> bool {
        let mut reg = self.lock();
        let app = reg.slots.iter().find(|(_, s)| s.id == id).map(|(a, _)| a.clone());
        let done = app
            .as_deref()
            .is_some_and(|a| reg.end_pending(a, Some(id), || Error::LoginCancelled));
        if done {
            tracing::info!(app = app.as_deref().unwrap_or(""), "sign-in cancelled");
        }
        done
    }

    /// Cancels the pending login of `app`, if any.
    pub fn cancel_app(&self, app: &str) -> bool {
        let done = self.lock().end_pending(app, None, || Error::LoginCancelled);
        if done {
            tracing::info!(app = %app, "sign-in cancelled");
        }
        done
    }

    /// True while `app` has a login waiting for its callback.
    pub fn is_pending(&self, app: &str) -> bool {
        let mut reg = self.lock();
        reg.expire_overdue(Instant::now());
        reg.slots.get(app).is_some_and(Slot::is_pending)
    }

    /// The logins waiting for a callback (for the UI).
    pub fn pending_logins(&self) -> Vec<PendingInfo> {
        let mut reg = self.lock();
        reg.expire_overdue(Instant::now());
        let mut v: Vec<PendingInfo> = reg
            .slots
            .iter()
            .filter(|(_, s)| s.is_pending())
            .map(|(app, s)| PendingInfo {
                id: s.id,
                app: app.clone(),
                started_at: s.started_at,
                expires_at: s.started_at + s.timeout,
            })
            .collect();
        v.sort_by(|a, b| a.app.cmp(&b.app));
        v
    }

    /// Forgets `id` if it is still pending, without telling anyone (its waiter is gone).
    fn abandon(&self, id: LoginId) {
        let mut reg = self.lock();
        if let Some(app) = reg
            .slots
            .iter()
            .find(|(_, s)| s.id == id && s.is_pending())
            .map(|(a, _)| a.clone())
        {
            reg.slots.remove(&app);
        }
    }
}

/// Of two rejections, the one that tells the most (state mismatch > no state > bad URL).
fn more_telling(a: Option<Error>, b: Error) -> Error {
    let rank = |e: &Error| match e.code() {
        ErrorCode::StateMismatch => 3,
        ErrorCode::StateMissing => 2,
        _ => 1,
    };
    match a {
        Some(a) if rank(&a) >= rank(&b) => a,
        _ => b,
    }
}

/// The waiting side of one login. Dropping it without waiting abandons the login.
#[derive(Debug)]
pub struct LoginHandle {
    id: LoginId,
    app: String,
    started_at: OffsetDateTime,
    timeout: Duration,
    deadline: Instant,
    rx: oneshot::Receiver<Outcome>,
    flow: LoginFlow,
}

impl LoginHandle {
    /// The login's id (for [`LoginFlow::cancel`]).
    pub fn id(&self) -> LoginId {
        self.id
    }

    /// The app's name.
    pub fn app(&self) -> &str {
        &self.app
    }

    /// When the login started.
    pub fn started_at(&self) -> OffsetDateTime {
        self.started_at
    }

    /// The login's timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Waits for the outcome: the code to exchange, or [`Error::ConsentDenied`],
    /// [`Error::LoginCancelled`] or [`Error::LoginTimedOut`].
    pub async fn wait(mut self) -> Result<CompletedCallback> {
        match tokio::time::timeout_at(self.deadline, &mut self.rx).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(Error::LoginCancelled),
            Err(_) => {
                self.flow.lock().expire_overdue(self.deadline);
                // A callback may have completed the login just before the deadline.
                match self.rx.try_recv() {
                    Ok(outcome) => outcome,
                    Err(_) => Err(Error::LoginTimedOut(self.timeout)),
                }
            }
        }
    }
}

impl Drop for LoginHandle {
    fn drop(&mut self) {
        self.flow.abandon(self.id);
    }
}

#[cfg(test)]
mod tests;
