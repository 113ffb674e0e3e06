//! The host's state, managed by Tauri: the one [`Hubkey`] of this process (so a deep link reaches the pending
//! login, and the UI, the tray and the background share single-flight refreshes), the token copier, the way the
//! system browser is opened, and the [`LoginBook`] (logins as a newly built window must see them). Commands
//! reach it with [`HostExt::host`] (`app.host()`), as plugins reach theirs (`app.deep_link()`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hubkey_core::browser::{browser_env, check_browser_url, open_with_browser_env};
use hubkey_core::view::{AppInfo, CopyAck, LoginState};
use hubkey_core::{ConnectionKey, CopyAs, Error as CoreError, Hubkey};
use hubkey_shell::autostart::Autostart;
use hubkey_shell::clipboard::Clipboard;
use hubkey_shell::copy::TokenCopier;
use tauri::{AppHandle, Manager, Runtime, State};
use url::Url;

use crate::login_book::LoginBook;

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
    copier: Arc<TokenCopier>,
    /// How long a login waits for HubSpot's redirect.
    login_timeout: Duration,
    /// The pending logins and the results no page has seen yet.
    logins: LoginBook,
    /// Commands at work (see [`Activity`]).
    activity: Activity,
    /// The start-at-login entry (`None`: this install cannot have one).
    autostart: Option<Autostart>,
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
        Ok(Self::new(hubkey)
            .with_copier(copier)
            .with_autostart(Autostart::for_this_install()))
    }

    /// Over `hubkey`; the system browser and clipboard; 60 s clipboard clearing.
    pub fn new(hubkey: Hubkey) -> Self {
        Host {
            hubkey,
            browser: Browser::System,
            copier: Arc::new(TokenCopier::new(
                Arc::new(hubkey_shell::clipboard::SystemClipboard::default()),
                Some(hubkey_shell::clipboard::DEFAULT_CLEAR_AFTER),
            )),
            login_timeout: Self::LOGIN_TIMEOUT,
            logins: LoginBook::default(),
            activity: Activity::default(),
            autostart: None,
        }
    }

    /// The start-at-login entry the window and the tray switch (tests put one in a temporary folder here).
    pub fn with_autostart(mut self, autostart: Option<Autostart>) -> Self {
        self.autostart = autostart;
        self
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
        self.copier = Arc::new(copier);
        self
    }

    /// The use cases.
    pub fn hubkey(&self) -> &Hubkey {
        &self.hubkey
    }

    /// The one copy path for tokens.
    pub fn copier(&self) -> &Arc<TokenCopier> {
        &self.copier
    }

    /// The logins as pages must see them.
    pub fn logins(&self) -> &LoginBook {
        &self.logins
    }

    /// The start-at-login entry, when this install has one.
    pub fn autostart(&self) -> Option<&Autostart> {
        self.autostart.as_ref()
    }

    /// Commands at work.
    pub fn activity(&self) -> &Activity {
        &self.activity
    }

    /// How long a login waits for HubSpot's redirect.
    pub fn login_timeout(&self) -> Duration {
        self.login_timeout
    }

    /// What the window shows about this build and what it talks to.
    pub fn app_info(&self, version: String) -> AppInfo {
        let endpoints = self.hubkey.endpoints();
        AppInfo {
            version,
            api_base_url: endpoints.api_base.to_string(),
            app_base_url: endpoints.app_base.to_string(),
            mcp_base_url: endpoints.mcp_base.to_string(),
            uses_sandbox: !endpoints.is_hubspot(),
            clipboard_clear_secs: self.copier.clear_after().map(|d| d.as_secs()),
        }
    }

    /// Copies the connection's token through hubkey-shell's one copy path (the card's Copy and the tray's);
    /// says what was done, never the token.
    pub async fn copy_token(&self, key: &ConnectionKey, how: CopyAs) -> hubkey_core::Result<CopyAck> {
        self.copier.copy(&self.hubkey, key, how).await?;
        Ok(CopyAck {
            app: key.app.clone(),
            hub_id: key.hub_id,
            as_header: how.is_header(),
            clear_after_secs: self.copier.clear_after().map(|d| d.as_secs()),
        })
    }

    /// For a page that loads: the pending logins and the unseen results, handed over once. A kept connection
    /// is shown as it is now (it may have been refreshed since the login), from one read of the index.
    pub async fn login_state(&self) -> LoginState {
        let mut state = self.logins.take_state();
        if state.unseen.iter().any(|f| f.connection.is_some()) {
            match self.hubkey.store().index().await {
                Ok(index) => {
                    for view in state.unseen.iter_mut().filter_map(|f| f.connection.as_mut()) {
                        if let Some(conn) = index.connection(&view.app, view.hub_id) {
                            *view = self.hubkey.connection_view_in(conn, &index.apps);
                        }
                    }
                }
                // The views from the moment of the login are still right about who and where.
                Err(e) => tracing::warn!("cannot read the index to update kept login results: {e}"),
            }
        }
        state
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
