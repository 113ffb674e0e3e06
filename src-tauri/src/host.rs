//! The host's state, managed by Tauri: the one [`Hubkey`] of this process (so a deep link reaches the pending
//! login, and the UI, the tray and the background share single-flight refreshes), the token copier, the way the
//! system browser is opened, and the [`LoginBook`] (logins as a newly built window must see them). Commands
//! reach it with [`HostExt::host`] (`app.host()`), as plugins reach theirs (`app.deep_link()`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hubkey_core::browser::{browser_env, check_browser_url, open_with_browser_env};
use hubkey_core::{Error as CoreError, Hubkey};
use hubkey_shell::clipboard::Clipboard;
use hubkey_shell::copy::TokenCopier;
use tauri::{AppHandle, Manager, Runtime, State};
use url::Url;

use crate::views::{LoginFinished, LoginStarted, LoginState};

/// A function that opens a URL in a browser.
pub type OpenUrl = Arc<dyn Fn(&Url) -> hubkey_core::Result<()> + Send + Sync>;

/// How a login opens HubSpot's authorize page. Never a webview (RFC 8252 §8.12).
#[derive(Clone)]
pub enum Browser {
    /// `$BROWSER` when set (tests substitute a headless browser this way), else the OS default browser
    /// through tauri-plugin-opener; either gets a private launch page (hubkey-core's `launch`), not the
    /// authorize URL.
    System,
    /// A function of the caller's (IPC tests drive the sandbox's consent page with it).
    Custom(OpenUrl),
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Browser::System => f.write_str("Browser::System"),
            Browser::Custom(_) => f.write_str("Browser::Custom"),
        }
    }
}

/// Commands at work that must not be cut short by [`crate::relaunch`] (a sign-out between its revoke and its
/// local delete, an app half registered, a keychain self-test): each holds an [`ActivityGuard`] while it runs.
#[derive(Debug, Default)]
pub struct Activity(AtomicUsize);

impl Activity {
    /// Marks one command at work until the guard is dropped.
    pub fn begin(&self) -> ActivityGuard<'_> {
        self.0.fetch_add(1, Ordering::SeqCst);
        ActivityGuard(self)
    }

    /// How many commands are at work.
    pub fn busy(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// See [`Activity::begin`].
#[derive(Debug)]
pub struct ActivityGuard<'a>(&'a Activity);

impl Drop for ActivityGuard<'_> {
    fn drop(&mut self) {
        self.0 .0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The desktop host's state.
#[derive(Debug)]
pub struct Host {
    hubkey: Hubkey,
    browser: Browser,
    copier: TokenCopier,
    /// How long a login waits for HubSpot's redirect.
    login_timeout: Duration,
    /// The pending logins and the results no page has seen yet.
    logins: LoginBook,
    /// Commands at work (see [`Activity`]).
    activity: Activity,
}

impl Host {
    /// The default login timeout (design.md §2.1).
    pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(600);

    /// From the environment: hubkey-core's composition root over the OS keychain (design.md §5), and the
    /// clipboard delay (`HUBKEY_CLIPBOARD_CLEAR_SECS`, else the settings file, else 60 s).
    pub fn from_env() -> Result<Self, CoreError> {
        let secrets = hubkey_keychain::KeyringStore::from_env()?;
        let hubkey = Hubkey::from_env(Arc::new(secrets))?;
        let copier = TokenCopier::from_env(hubkey.store().home());
        Ok(Self::new(hubkey).with_copier(copier))
    }

    /// Over `hubkey`; the system browser and clipboard; 60 s clipboard clearing.
    pub fn new(hubkey: Hubkey) -> Self {
        Host {
            hubkey,
            browser: Browser::System,
            copier: TokenCopier::new(
                Arc::new(hubkey_shell::clipboard::SystemClipboard::default()),
                Some(hubkey_shell::clipboard::DEFAULT_CLEAR_AFTER),
            ),
            login_timeout: Self::LOGIN_TIMEOUT,
            logins: LoginBook::default(),
            activity: Activity::default(),
        }
    }

    pub fn with_browser(mut self, browser: Browser) -> Self {
        self.browser = browser;
        self
    }

    /// Another clipboard (tests put a fake here), with the same clearing delay.
    pub fn with_clipboard(self, clipboard: Arc<dyn Clipboard>) -> Self {
        let after = self.copier.clear_after();
        self.with_copier(TokenCopier::new(clipboard, after))
    }

    /// Another clearing delay (`None`: never cleared).
    pub fn with_clipboard_clear(self, after: Option<Duration>) -> Self {
        let clipboard = Arc::clone(self.copier.clipboard());
        self.with_copier(TokenCopier::new(clipboard, after))
    }

    /// How long a login waits for HubSpot's redirect.
    pub fn with_login_timeout(mut self, timeout: Duration) -> Self {
        self.login_timeout = timeout;
        self
    }

    fn with_copier(mut self, copier: TokenCopier) -> Self {
        self.copier = copier;
        self
    }

    /// The use cases.
    pub fn hubkey(&self) -> &Hubkey {
        &self.hubkey
    }

    /// The one copy path for tokens.
    pub fn copier(&self) -> &TokenCopier {
        &self.copier
    }

    /// The logins as pages must see them.
    pub fn logins(&self) -> &LoginBook {
        &self.logins
    }

    /// Commands at work.
    pub fn activity(&self) -> &Activity {
        &self.activity
    }

    /// How long a login waits for HubSpot's redirect.
    pub fn login_timeout(&self) -> Duration {
        self.login_timeout
    }

    /// A function that opens `url` the way [`Host::with_browser`] said, for [`Hubkey::login`].
    pub fn opener<R: Runtime>(
        &self,
        app: &AppHandle<R>,
    ) -> impl FnOnce(&Url) -> hubkey_core::Result<()> + Send {
        let browser = self.browser.clone();
        let app = app.clone();
        let launch_dir = hubkey_core::launch::launch_dir(self.hubkey.store().home());
        move |url: &Url| {
            check_browser_url(url)?;
            match browser {
                Browser::Custom(open) => open(url),
                Browser::System => {
                    // The authorize URL (it carries the login's state) goes into a private page; only the
                    // page's path reaches a command line (docs/SECURITY.md, finding 1).
                    let page = hubkey_core::launch::LaunchPage::write(&launch_dir, url)?;
                    open_in_system_browser(&app, &page.file_url()?)?;
                    page.detach(hubkey_core::launch::LAUNCH_PAGE_LIFETIME);
                    Ok(())
                }
            }
        }
    }
}

/// How the host's code reaches the managed [`Host`] from an app handle (as `app.deep_link()` reaches the
/// deep-link plugin's state). `None` before [`crate::configure_with`] managed it.
pub trait HostExt<R: Runtime> {
    fn host(&self) -> Option<State<'_, Host>>;
}

impl<R: Runtime, M: Manager<R>> HostExt<R> for M {
    fn host(&self) -> Option<State<'_, Host>> {
        self.try_state::<Host>()
    }
}

/// Which `start_login` a [`LoginBook`] entry belongs to: a second login for the same app replaces the first
/// (whose task then ends with `login_cancelled`), and that task must not remove its successor's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginTicket(u64);

/// The logins as the page must see them. The main window is destroyed when it is closed and built again later
/// (window::show_main_window), and its new page knows nothing of the old one's logins: so the host keeps what
/// `start_login` returned for each pending login, and each `login-finished` result that no page may have
/// received, for the page's `login_state` call. Holds no secret: [`LoginStarted`] and [`LoginFinished`] have no
/// field for one.
#[derive(Debug, Default)]
pub struct LoginBook(Mutex<Book>);

#[derive(Debug, Default)]
struct Book {
    next_ticket: u64,
    /// One entry per app, the latest `start_login`'s.
    pending: Vec<(LoginTicket, LoginStarted)>,
    /// At most one result per app, the latest.
    unseen: Vec<LoginFinished>,
    /// Whether the main window's current page has asked for the state (so it listens to `login-finished`).
    /// False from the moment the window is destroyed until its successor's page asks.
    page_listening: bool,
}

impl LoginBook {
    fn lock(&self) -> MutexGuard<'_, Book> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A login was started: it replaces any entry of the same app.
    pub fn started(&self, started: LoginStarted) -> LoginTicket {
        let mut book = self.lock();
        book.next_ticket += 1;
        let ticket = LoginTicket(book.next_ticket);
        book.pending.retain(|(_, p)| p.app != started.app);
        book.pending.push((ticket, started));
        ticket
    }

    /// The user cancelled the app's login (or removed the app): it is no longer pending.
    pub fn cancelled(&self, app: &str) {
        self.lock().pending.retain(|(_, p)| p.app != app);
    }

    /// The login of `ticket` ended with `finished`. Its entry goes (unless a newer login of the app replaced
    /// it). The result is kept for the next `login_state` when no page may receive the event: no main window
    /// (`window_open` false), or one whose page has not asked yet (it was just built and may not listen yet; it
    /// may then get the result twice, which showing it again does not change). A cancellation is never kept:
    /// it says nothing the user does not know. Returns whether the result was kept.
    pub fn finished(&self, ticket: LoginTicket, finished: &LoginFinished, window_open: bool) -> bool {
        let mut book = self.lock();
        book.pending.retain(|(t, _)| *t != ticket);
        let cancelled = finished
            .error
            .as_ref()
            .is_some_and(|e| e.code == hubkey_core::ErrorCode::LoginCancelled.as_str());
        let received = window_open && book.page_listening;
        let keep = !cancelled && !received;
        if keep {
            book.unseen.retain(|f| f.app != finished.app);
            book.unseen.push(finished.clone());
        }
        keep
    }

    /// The main window was destroyed: results go unseen until a new page asks.
    pub fn window_closed(&self) {
        self.lock().page_listening = false;
    }

    /// The logins still pending (nothing is handed over).
    pub fn pending(&self) -> Vec<LoginStarted> {
        self.lock().pending.iter().map(|(_, p)| p.clone()).collect()
    }

    /// How many logins are pending and how many results wait for a page (for [`crate::relaunch`]).
    pub fn counts(&self) -> (usize, usize) {
        let book = self.lock();
        (book.pending.len(), book.unseen.len())
    }

    /// For the page: the pending logins, and the unseen results, handed over once. From now on the page
    /// listens, so results are emitted to it.
    pub fn take_state(&self) -> LoginState {
        let mut book = self.lock();
        book.page_listening = true;
        LoginState {
            pending: book.pending.iter().map(|(_, p)| p.clone()).collect(),
            unseen: std::mem::take(&mut book.unseen),
        }
    }
}

/// Opens `url` (a launch page's `file://` URL) with `$BROWSER` first (hubkey-core's parser: a list separated by
/// `:` — `;` on Windows —, `%s` standing for the URL, else appended), then the OS default browser.
fn open_in_system_browser<R: Runtime>(app: &AppHandle<R>, url: &Url) -> hubkey_core::Result<()> {
    if let Some(spec) = browser_env() {
        let program = open_with_browser_env(&spec, url.as_str())
            .map_err(|e| CoreError::Config(format!("cannot run $BROWSER ({e})")))?;
        tracing::info!(browser = %program, "opened the authorize page with $BROWSER");
        return Ok(());
    }
    let Some(opener) = app.try_state::<tauri_plugin_opener::Opener<R>>() else {
        return Err(CoreError::Config(
            "no way to open the browser (opener plugin missing)".into(),
        ));
    };
    opener
        .open_url(url.as_str(), None::<&str>)
        .map_err(|e| CoreError::Config(format!("cannot open the system browser: {e}")))?;
    tracing::info!("opened the authorize page in the system browser");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CommandError;
    use crate::views::RedirectKind;
    use hubkey_core::ErrorCode;

    fn started(app: &str, expires_at: &str) -> LoginStarted {
        LoginStarted {
            app: app.into(),
            authorize_host: "app.hubspot.com".into(),
            redirect_kind: RedirectKind::Loopback,
            redirect_uri: "http://localhost:53682/callback".into(),
            started_at: "2026-11-23T10:00:00Z".into(),
            expires_at: expires_at.into(),
        }
    }

    fn failed(app: &str, code: ErrorCode) -> LoginFinished {
        LoginFinished {
            app: app.into(),
            ok: false,
            connection: None,
            error: Some(CommandError::new(code.as_str(), "it failed", None)),
        }
    }

    #[test]
    fn given_a_second_login_for_the_same_app_when_the_replaced_one_ends_then_the_second_stays_pending() {
        let book = LoginBook::default();
        let first = book.started(started("demo", "2026-11-23T10:10:00Z"));
        let second = book.started(started("demo", "2026-11-23T10:12:00Z"));

        book.finished(first, &failed("demo", ErrorCode::LoginCancelled), true);

        assert_eq!(book.pending(), vec![started("demo", "2026-11-23T10:12:00Z")]);
        book.finished(second, &failed("demo", ErrorCode::LoginTimedOut), false);
        assert_eq!(book.pending(), vec![]);
    }

    #[test]
    fn given_a_page_that_listens_when_a_login_fails_then_nothing_is_kept_for_later() {
        let book = LoginBook::default();
        let ticket = book.started(started("demo", "2026-11-23T10:10:00Z"));
        book.take_state();

        let kept = book.finished(ticket, &failed("demo", ErrorCode::LoginTimedOut), true);

        assert!(!kept);
        assert_eq!(book.take_state(), LoginState::default());
    }

    #[test]
    fn given_a_window_built_again_whose_page_has_not_asked_when_a_login_fails_then_the_result_is_kept() {
        let book = LoginBook::default();
        book.take_state();
        let ticket = book.started(started("demo", "2026-11-23T10:10:00Z"));
        book.window_closed();

        let kept = book.finished(ticket, &failed("demo", ErrorCode::LoginTimedOut), true);

        assert!(kept);
        assert_eq!(
            book.take_state().unseen,
            vec![failed("demo", ErrorCode::LoginTimedOut)]
        );
    }

    #[test]
    fn given_several_results_of_one_app_while_no_window_is_open_then_only_the_latest_is_kept() {
        let book = LoginBook::default();
        let first = book.started(started("demo", "2026-11-23T10:10:00Z"));
        book.finished(first, &failed("demo", ErrorCode::LoginTimedOut), false);
        let second = book.started(started("demo", "2026-11-23T10:20:00Z"));
        book.finished(second, &failed("demo", ErrorCode::ConsentDenied), false);
        let cancelled = book.started(started("demo", "2026-11-23T10:30:00Z"));
        let kept = book.finished(cancelled, &failed("demo", ErrorCode::LoginCancelled), false);

        assert!(!kept, "a cancellation is never kept");
        let state = book.take_state();
        assert_eq!(state.unseen, vec![failed("demo", ErrorCode::ConsentDenied)]);
        assert_eq!(book.take_state().unseen, vec![], "handed over once");
    }
}
