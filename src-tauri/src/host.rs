//! The host's state, managed by Tauri: one [`PortalConnector`] (so a deep link reaches the pending login),
//! one [`Refresher`] (so the UI, the tray and the background share single-flight refreshes), the
//! clipboard, the way the system browser is opened, and the [`LoginBook`] (logins as a newly built window must
//! see them).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hubkey_core::client::HubSpotClient;
use hubkey_core::clock::{Clock, SystemClock};
use hubkey_core::config::{is_loopback_host, Endpoints};
use hubkey_core::connect::PortalConnector;
use hubkey_core::refresher::{RefreshPolicy, Refresher};
use hubkey_core::store::TokenStore;
use hubkey_core::Error as CoreError;
use tauri::{AppHandle, Manager, Runtime};
use url::Url;

use crate::clipboard::{Clipboard, ClipboardGuard, SystemClipboard};
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
    pub connector: PortalConnector,
    pub refresher: Refresher,
    pub endpoints: Endpoints,
    pub clock: Arc<dyn Clock>,
    pub browser: Browser,
    /// `None`: the system clipboard ([`Host::system_clipboard`]). Tests put a fake here.
    pub clipboard: Option<Arc<dyn Clipboard>>,
    /// The system clipboard, opened at its first use and kept (on X11 this process serves what it copied).
    pub system_clipboard: Arc<SystemClipboard>,
    pub clipboard_guard: ClipboardGuard,
    pub clear_clipboard_after: Option<Duration>,
    /// How long a login waits for HubSpot's redirect.
    pub login_timeout: Duration,
    /// The pending logins and the results no page has seen yet.
    pub logins: LoginBook,
    /// Commands at work (see [`Activity`]).
    pub activity: Activity,
}

impl Host {
    /// The default login timeout (design.md §2.1).
    pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(600);

    /// From the environment (design.md §5): endpoints, `HUBKEY_HOME`, `HUBKEY_KEYCHAIN_SERVICE`, the clipboard
    /// delay. Touches neither the network nor the keychain.
    pub fn from_env() -> Result<Self, CoreError> {
        let endpoints = Endpoints::from_env()?;
        let client = HubSpotClient::new(endpoints)?;
        let secrets = hubkey_keychain::KeyringStore::from_env()?;
        let store = TokenStore::open_default(Arc::new(secrets))?;
        let clear = crate::clipboard::clear_after_from(
            std::env::var(crate::clipboard::CLEAR_ENV).ok().as_deref(),
            Some(store.home()),
        );
        Ok(Self::new(client, store, Arc::new(SystemClock)).with_clipboard_clear(clear))
    }

    /// Over a client, a store and a clock; the system browser and clipboard; 60 s clipboard clearing.
    pub fn new(client: HubSpotClient, store: TokenStore, clock: Arc<dyn Clock>) -> Self {
        let endpoints = client.endpoints().clone();
        let refresher = Refresher::new(
            client.clone(),
            store.clone(),
            clock.clone(),
            RefreshPolicy::default(),
        );
        Host {
            connector: PortalConnector::new(client, store, clock.clone()),
            refresher,
            endpoints,
            clock,
            browser: Browser::System,
            clipboard: None,
            system_clipboard: Arc::default(),
            clipboard_guard: ClipboardGuard::default(),
            clear_clipboard_after: Some(crate::clipboard::DEFAULT_CLEAR_AFTER),
            login_timeout: Self::LOGIN_TIMEOUT,
            logins: LoginBook::default(),
            activity: Activity::default(),
        }
    }

    pub fn with_browser(mut self, browser: Browser) -> Self {
        self.browser = browser;
        self
    }

    pub fn with_clipboard(mut self, clipboard: Arc<dyn Clipboard>) -> Self {
        self.clipboard = Some(clipboard);
        self
    }

    pub fn with_clipboard_clear(mut self, after: Option<Duration>) -> Self {
        self.clear_clipboard_after = after;
        self
    }

    pub fn store(&self) -> &TokenStore {
        self.connector.store()
    }

    /// The clipboard to use from `app`.
    pub fn clipboard_for<R: Runtime>(&self, _app: &AppHandle<R>) -> Arc<dyn Clipboard> {
        match &self.clipboard {
            Some(c) => Arc::clone(c),
            None => self.system_clipboard.clone(),
        }
    }

    /// A function that opens `url` the way [`Host::browser`] says, for [`PortalConnector::connect`].
    pub fn opener<R: Runtime>(
        &self,
        app: &AppHandle<R>,
    ) -> impl FnOnce(&Url) -> hubkey_core::Result<()> + Send {
        let browser = self.browser.clone();
        let app = app.clone();
        let launch_dir = hubkey_core::launch::launch_dir(self.store().home());
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

/// Only `https`, or `http` on a loopback host (the sandbox), reaches the browser (threat-model.md C12).
pub fn check_browser_url(url: &Url) -> hubkey_core::Result<()> {
    let ok = match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback_host(url),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(CoreError::UnsafeUrl {
            url: format!("{}://{}", url.scheme(), url.host_str().unwrap_or("")),
            reason: "only https (or http on localhost) pages are opened in the browser".into(),
        })
    }
}

/// Opens `url` (a launch page's `file://` URL) with `$BROWSER` first (a list separated by `:` — `;` on Windows —
/// whose first entry is used; `%s` stands for the URL, else it is appended), then the OS default browser.
fn open_in_system_browser<R: Runtime>(app: &AppHandle<R>, url: &Url) -> hubkey_core::Result<()> {
    if let Some(command) = browser_command(std::env::var("BROWSER").ok().as_deref(), url.as_str()) {
        let (program, args) = command;
        let mut child = std::process::Command::new(&program)
            .args(&args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| CoreError::Config(format!("cannot run $BROWSER ({program}): {e}")))?;
        // Reap it whenever it ends; a browser may run for a long time.
        std::thread::spawn(move || {
            let _ = child.wait();
        });
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

/// `$BROWSER` as a program and its arguments, or `None` when unset or blank.
pub fn browser_command(var: Option<&str>, url: &str) -> Option<(String, Vec<String>)> {
    let separator = if cfg!(windows) { ';' } else { ':' };
    let entry = var?.split(separator).map(str::trim).find(|e| !e.is_empty())?;
    let mut words = entry.split_whitespace().map(str::to_string);
    let program = words.next()?;
    let mut args: Vec<String> = words.collect();
    if args.iter().any(|a| a.contains("%s")) {
        for a in &mut args {
            *a = a.replace("%s", url);
        }
    } else {
        args.push(url.to_string());
    }
    Some((program, args))
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

    #[test]
    fn browser_env_var_forms() {
        let url = "https://app.hubspot.com/oauth/authorize?x=1";
        assert_eq!(browser_command(None, url), None);
        assert_eq!(browser_command(Some("  "), url), None);
        assert_eq!(
            browser_command(Some("/tmp/fake-browser.sh"), url),
            Some(("/tmp/fake-browser.sh".into(), vec![url.to_string()]))
        );
        assert_eq!(
            browser_command(Some("chromium --headless %s"), url),
            Some(("chromium".into(), vec!["--headless".into(), url.to_string()]))
        );
        if !cfg!(windows) {
            assert_eq!(
                browser_command(Some(":firefox:chromium"), url).map(|c| c.0),
                Some("firefox".to_string())
            );
        }
    }

    #[test]
    fn c12_only_web_pages_reach_the_browser() {
        for ok in [
            "https://app.hubspot.com/oauth/authorize",
            "http://localhost:4010/oauth/authorize",
            "http://127.0.0.1:4010/x",
        ] {
            assert!(check_browser_url(&Url::parse(ok).unwrap()).is_ok(), "{ok}");
        }
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "http://evil.example/",
            "hubkey://oauth/callback",
        ] {
            let err = check_browser_url(&Url::parse(bad).unwrap()).unwrap_err();
            assert_eq!(err.code(), ErrorCode::UnsafeUrl, "{bad}");
        }
    }
}
