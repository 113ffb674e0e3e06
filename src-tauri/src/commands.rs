//! Commands the UI may call. Each one is listed in build.rs and granted to the `main` window in
//! capabilities/default.json; each parses its input, delegates to hubkey-core, and maps errors to
//! [`CommandError`]. None returns or emits a secret: tokens go to the clipboard from Rust, the client secret
//! straight to the keychain (tests/ipc.rs checks every response and event, threat-model.md S3).

use hubkey_core::app::AppConfig;
use hubkey_core::callback::{redirect_target, RedirectTarget};
use hubkey_core::hubkey::LoginOptions;
use hubkey_core::scopes::ScopeCatalog;
use hubkey_core::store::Connection;
use hubkey_core::ConnectionKey;
use hubkey_core::{ClientSecret, Secret};
use tauri::{AppHandle, Emitter, Manager, Runtime, State, WebviewWindow};

use crate::error::CommandError;
use crate::host::Host;
use crate::validation::{self, AppInput};
use crate::views::*;
use crate::{background, localtime, MAIN_WINDOW};

type CmdResult<T> = Result<T, CommandError>;

#[tauri::command]
pub fn app_info<R: Runtime>(app: AppHandle<R>, host: State<'_, Host>) -> AppInfo {
    let endpoints = host.hubkey().endpoints();
    AppInfo {
        version: app.package_info().version.to_string(),
        api_base_url: endpoints.api_base.to_string(),
        app_base_url: endpoints.app_base.to_string(),
        mcp_base_url: endpoints.mcp_base.to_string(),
        uses_sandbox: !endpoints.is_hubspot(),
        clipboard_clear_secs: host.copier().clear_after().map(|d| d.as_secs()),
    }
}

/// Validates the form (the same rules as the UI's), refuses a name already taken, then stores the app: the
/// client secret in the keychain, the rest in the index.
#[tauri::command]
pub async fn register_app<R: Runtime>(
    app: AppHandle<R>,
    host: State<'_, Host>,
    mut args: RegisterAppArgs,
) -> CmdResult<RegisterAppResult> {
    // Not cut short by a relaunch (relaunch.rs) while it runs.
    let _busy = host.activity().begin();
    // From here on the secret lives only in `Secret`s, which zero their memory when dropped.
    let raw_secret = Secret::new(std::mem::take(&mut args.client_secret));
    let issues = validation::validate(&AppInput {
        name: &args.name,
        client_id: &args.client_id,
        client_secret: raw_secret.expose(),
        redirect_uri: &args.redirect_uri,
        scopes: &args.scopes,
        optional_scopes: &args.optional_scopes,
    });
    if validation::has_errors(&issues) {
        let errors: Vec<&str> = issues
            .iter()
            .filter(|i| i.level == validation::Level::Error)
            .map(|i| i.message.as_str())
            .collect();
        return Err(CommandError::invalid_input(errors.join(" ")));
    }
    let name = args.name.trim().to_string();
    let store = host.hubkey().store();
    if store.apps().await?.iter().any(|a| a.name == name) {
        return Err(CommandError::invalid_input(format!(
            "An app named “{name}” already exists; remove it first or choose another name."
        )));
    }
    let config = AppConfig {
        name,
        client_id: args.client_id.trim().to_string(),
        redirect_uri: args.redirect_uri.trim().to_string(),
        scopes: validation::parse_scopes(&args.scopes),
        optional_scopes: validation::parse_scopes(&args.optional_scopes),
        kind: args.kind.into(),
        // The form's PKCE switch (on by default; MCP auth apps use PKCE whatever it says).
        pkce: args.pkce.unwrap_or(true),
    };
    let secret = ClientSecret::new(raw_secret.expose().trim());
    drop(raw_secret);
    store.save_app(&config, &secret).await?;
    tracing::info!(app = %config.name, "app registered");
    background::connections_changed(&app).await;
    Ok(RegisterAppResult {
        app: AppView::new(&config, 0),
        warnings: issues,
    })
}

#[tauri::command]
pub async fn list_apps(host: State<'_, Host>) -> CmdResult<Vec<AppView>> {
    let index = host.hubkey().store().index().await?;
    Ok(index
        .apps
        .iter()
        .map(|a| AppView::new(a, index.connections.iter().filter(|c| c.app == a.name).count()))
        .collect())
}

/// Removes an app and its client secret (refused while it still has connections: sign out first).
#[tauri::command]
pub async fn remove_app<R: Runtime>(
    app: AppHandle<R>,
    host: State<'_, Host>,
    args: AppArgs,
) -> CmdResult<()> {
    // Not cut short by a relaunch (relaunch.rs) while it runs.
    let _busy = host.activity().begin();
    host.logins().cancelled(&args.app);
    host.hubkey().remove_app(&args.app).await?;
    background::connections_changed(&app).await;
    Ok(())
}

/// Starts a login and returns at once; the outcome arrives as a `login-finished` event. The authorize page
/// opens in the system browser (never a webview). Until it ends, `login_state` lists the login; a result no page
/// may have received is kept for `login_state` (a failure then waits there: the window is not opened for it).
#[tauri::command]
pub async fn start_login<R: Runtime>(
    app: AppHandle<R>,
    host: State<'_, Host>,
    args: StartLoginArgs,
) -> CmdResult<LoginStarted> {
    begin_login(&app, &host, args).await
}

/// The body of [`start_login`] (tests start a login with it while no window exists).
pub async fn begin_login<R: Runtime>(
    app: &AppHandle<R>,
    host: &Host,
    args: StartLoginArgs,
) -> CmdResult<LoginStarted> {
    let config = host.hubkey().store().app(&args.app).await?;
    // HubSpot's rules, checked before the browser opens: HubSpot shows a misconfigured app's error on its own
    // page and never redirects back, which would look like a login that hangs.
    let report = host.hubkey().preflight(&config);
    if !report.ok() {
        tracing::info!(app = %config.name, "sign-in refused by preflight");
        return Err(CommandError::preflight(&report));
    }
    // Refuse an unservable redirect here, before anything is spawned, so the UI gets it as the answer.
    let redirect_kind = match redirect_target(&config.redirect_uri)? {
        RedirectTarget::Loopback { .. } => RedirectKind::Loopback,
        RedirectTarget::Relay { .. } => RedirectKind::DeepLink,
    };
    let authorize = host
        .hubkey()
        .endpoints()
        .authorize_url(config.kind, args.portal_id);
    let now = host.hubkey().clock().now();
    let started = LoginStarted {
        app: config.name.clone(),
        authorize_host: authorize.host_str().unwrap_or_default().to_string(),
        redirect_kind,
        redirect_uri: config.redirect_uri.clone(),
        started_at: rfc3339(now),
        expires_at: rfc3339(now + host.login_timeout()),
    };

    let ticket = host.logins().started(started.clone());

    let hubkey = host.hubkey().clone();
    let open_browser = host.opener(app);
    let options = LoginOptions {
        portal_id: args.portal_id,
        timeout: Some(host.login_timeout()),
        without_pkce: args.without_pkce.unwrap_or(false),
    };
    let handle = app.clone();
    let name = config.name;
    tauri::async_runtime::spawn(async move {
        let outcome = hubkey.login(&name, options, open_browser).await;
        let finished = match outcome {
            Ok(conn) => {
                let host = handle.state::<Host>();
                let view = connection_view_of(&host, &conn).await;
                background::reauthorized(&handle, &conn.app, conn.hub_id);
                LoginFinished {
                    app: name,
                    ok: true,
                    connection: Some(view),
                    error: None,
                }
            }
            Err(e) => LoginFinished {
                app: name,
                ok: false,
                connection: None,
                error: Some(e.into()),
            },
        };
        let window_open = handle.get_webview_window(MAIN_WINDOW).is_some();
        if handle
            .state::<Host>()
            .logins()
            .finished(ticket, &finished, window_open)
        {
            tracing::info!(app = %finished.app, ok = finished.ok, "login result kept for the next window");
        }
        if let Err(e) = handle.emit_to(MAIN_WINDOW, LOGIN_FINISHED, &finished) {
            tracing::warn!("cannot deliver the login result to the window: {e}");
        }
        if finished.ok {
            background::connections_changed(&handle).await;
            crate::window::show_main_window(&handle);
        }
    });
    Ok(started)
}

/// The page has rendered: the window, built hidden, is shown now (window.rs explains why), and the page's
/// start-up times are logged. Returns nothing; a window other than the main one is ignored.
#[tauri::command]
pub fn page_ready<R: Runtime>(window: WebviewWindow<R>, timings: PageTimings) {
    if window.label() == MAIN_WINDOW {
        crate::window::page_ready(&window, &timings);
    }
}

/// Cancels the pending login of an app; `false` when there was none.
#[tauri::command]
pub fn cancel_login(host: State<'_, Host>, args: AppArgs) -> bool {
    host.logins().cancelled(&args.app);
    host.hubkey().cancel_login(&args.app)
}

/// What a page needs when it loads while logins run in Rust: the pending logins (as `start_login` returned
/// them) and the `login-finished` results no page has seen, handed over once. A page calls it after it listens
/// to `login-finished`, so no result falls in between. A kept connection is shown as it is now (it may have
/// been refreshed since the login), from one read of the index.
#[tauri::command]
pub async fn login_state(host: State<'_, Host>) -> CmdResult<LoginState> {
    let mut state = host.logins().take_state();
    if state.unseen.iter().any(|f| f.connection.is_some()) {
        match host.hubkey().store().index().await {
            Ok(index) => {
                for view in state.unseen.iter_mut().filter_map(|f| f.connection.as_mut()) {
                    if let Some(conn) = index.connection(&view.app, view.hub_id) {
                        *view = connection_view(&host, conn, &index.apps);
                    }
                }
            }
            // The views from the moment of the login are still right about who and where.
            Err(e) => tracing::warn!("cannot read the index to update kept login results: {e}"),
        }
    }
    Ok(state)
}

/// Every connection, from one read of the index and no keychain call (with 200 connections, reading two
/// tokens per card kept the window empty for 12 s).
#[tauri::command]
pub async fn list_connections(host: State<'_, Host>) -> CmdResult<Vec<ConnectionView>> {
    let index = host.hubkey().store().index().await?;
    Ok(index
        .connections
        .iter()
        .map(|conn| connection_view(&host, conn, &index.apps))
        .collect())
}

/// Puts a valid access token (refreshed first if due) on the clipboard, from Rust. Returns what was done,
/// never the token. The clipboard is cleared later if it still holds the token.
#[tauri::command]
pub async fn copy_token(host: State<'_, Host>, args: CopyTokenArgs) -> CmdResult<CopyAck> {
    copy_token_to_clipboard(&host, &ConnectionKey::new(&args.app, args.hub_id), args.as_header).await
}

/// Shared by the command and the tray menu: hubkey-shell's one copy path.
pub async fn copy_token_to_clipboard(
    host: &Host,
    key: &ConnectionKey,
    as_header: bool,
) -> CmdResult<CopyAck> {
    let how = hubkey_core::CopyAs::from_header_flag(as_header);
    host.copier().copy(host.hubkey(), key, how).await?;
    Ok(CopyAck {
        app: key.app.clone(),
        hub_id: key.hub_id,
        as_header,
        clear_after_secs: host.copier().clear_after().map(|d| d.as_secs()),
    })
}

/// The tray-only process copied a token and then handed over to this one (hubkey-shell's handoff.rs): copy that
/// connection's current token again, with what was left of the clear-after delay. Logged, not shown.
pub fn recopy_after_handoff<R: Runtime>(app: &AppHandle<R>, recopy: hubkey_shell::handoff::Recopy) {
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        let host = handle.state::<Host>();
        host.copier().copy_again(host.hubkey(), recopy).await;
    });
}

/// Copies a redirect URL (not a secret) so the user can paste it into HubSpot's app settings. Only URLs Hubkey
/// could receive are accepted, so this cannot be used to put arbitrary text on the clipboard.
#[tauri::command]
pub fn copy_redirect_url(host: State<'_, Host>, args: CopyRedirectArgs) -> CmdResult<()> {
    let url = args.url.trim();
    if url.len() > 2048 {
        return Err(CommandError::invalid_input("That URL is too long."));
    }
    if let Some(problem) = validation::redirect_problem(url) {
        return Err(CommandError::invalid_input(problem));
    }
    host.copier()
        .clipboard()
        .write_text(url)
        .map_err(|e| hubkey_core::Error::Clipboard(e).into())
}

#[tauri::command]
pub async fn refresh_now<R: Runtime>(
    app: AppHandle<R>,
    host: State<'_, Host>,
    args: ConnectionArgs,
) -> CmdResult<ConnectionView> {
    // Not cut short by a relaunch (relaunch.rs) while it runs.
    let _busy = host.activity().begin();
    let conn = host
        .hubkey()
        .refresh(&ConnectionKey::new(&args.app, args.hub_id))
        .await?;
    let view = connection_view_of(&host, &conn).await;
    crate::tray::refresh(&app).await;
    Ok(view)
}

/// Revokes the refresh token at HubSpot (unless `keep_remote`) and deletes the local secrets; a failed
/// revoke is reported, the local deletion happens anyway.
#[tauri::command]
pub async fn sign_out<R: Runtime>(
    app: AppHandle<R>,
    host: State<'_, Host>,
    args: SignOutArgs,
) -> CmdResult<SignOutView> {
    // Not cut short by a relaunch (relaunch.rs) while it runs.
    let _busy = host.activity().begin();
    let report = host
        .hubkey()
        .sign_out(&ConnectionKey::new(&args.app, args.hub_id), args.keep_remote)
        .await?;
    let until = report.access_token_valid_until;
    let still_valid = until
        .filter(|t| *t > host.hubkey().clock().now())
        .map(|t| {
            format!(
                " The last access token stays valid until {}.",
                localtime::hh_mm(t)
            )
        })
        .unwrap_or_default();
    let remote = if args.keep_remote {
        "The refresh token was left valid at HubSpot, as asked."
    } else if report.already_invalid {
        "HubSpot no longer accepted the refresh token (it was already revoked or invalid)."
    } else if report.revoked {
        "HubSpot revoked the refresh token."
    } else {
        "HubSpot could not be told to revoke the refresh token; revoke the app's access in HubSpot if needed."
    };
    background::connections_changed(&app).await;
    Ok(SignOutView {
        app: args.app,
        hub_id: args.hub_id,
        revoked: report.revoked,
        already_invalid: report.already_invalid,
        kept_remote: args.keep_remote,
        revoke_error: report.revoke_error.map(CommandError::from),
        access_token_valid_until: until.map(rfc3339),
        summary: format!("Signed out; the tokens were deleted from this computer. {remote}{still_valid}"),
    })
}

/// HubSpot's rules checked against a registered app, without signing in (the same check `start_login` runs).
#[tauri::command]
pub async fn preflight_app(host: State<'_, Host>, args: AppArgs) -> CmdResult<PreflightView> {
    let config = host.hubkey().store().app(&args.app).await?;
    Ok(PreflightView::from(&host.hubkey().preflight(&config)))
}

/// Longest prefix `scope_suggestions` looks at (scope names are far shorter).
const MAX_SCOPE_PREFIX: usize = 128;

/// Autocompletion for the registration form: selectable scopes of the catalog whose name starts with (else
/// contains) `prefix`, sorted by name, each explained.
#[tauri::command]
pub fn scope_suggestions(args: ScopeSuggestionsArgs) -> CmdResult<Vec<ScopeInfoView>> {
    if args.prefix.len() > MAX_SCOPE_PREFIX {
        return Err(CommandError::invalid_input("That is too long for a scope name."));
    }
    Ok(ScopeCatalog::embedded()
        .suggest(&args.prefix)
        .into_iter()
        .map(ScopeInfoView::from)
        .collect())
}

/// HubSpot's install-error pages, explained (shown while a login waits: they never redirect back).
#[tauri::command]
pub fn install_guide() -> Vec<InstallFailureView> {
    hubkey_core::install_guide::install_guide()
        .iter()
        .map(InstallFailureView::from)
        .collect()
}

/// Asks HubSpot's MCP server whether it accepts the connection's access token (MCP `initialize`). The token is
/// fetched (refreshed if due) and sent from Rust; the result says what the server answered, never the token. A
/// connection already known to be account-level is answered at once, without a request (it can never pass).
#[tauri::command]
pub async fn check_mcp(host: State<'_, Host>, args: ConnectionArgs) -> CmdResult<McpCheckView> {
    let check = host
        .hubkey()
        .check_mcp(&ConnectionKey::new(&args.app, args.hub_id))
        .await?;
    Ok(McpCheckView::new(&args.app, args.hub_id, &check))
}

/// Diagnostics, as `hubkey doctor`: every app's settings, the keychain (a probe entry written, read back and
/// deleted) and whether HubSpot's hosts answer.
#[tauri::command]
pub async fn doctor(host: State<'_, Host>) -> CmdResult<DoctorView> {
    // Not cut short by a relaunch (relaunch.rs) while it runs.
    let _busy = host.activity().begin();
    let apps = host.hubkey().apps().await?;
    let report = host.hubkey().doctor(&apps, true).await;
    Ok(DoctorView::from(&report))
}

/// The view of a connection: scope groups from its app (found in `apps`, the index's), the refresher's
/// schedule, and the masked token from the hint the index keeps (`Connection::access_token_hint`). Reads
/// nothing: no file, no keychain. A connection saved by an older build has no hint and shows no suffix.
pub fn connection_view(host: &Host, conn: &Connection, apps: &[AppConfig]) -> ConnectionView {
    let app = apps.iter().find(|a| a.name == conn.app);
    let next_refresh = host.hubkey().refresher().due_at(conn, conn.expires_at);
    ConnectionView::new(conn, app, next_refresh, conn.masked_access_token())
}

/// [`connection_view`] of one connection, with one read of the index for its app.
pub async fn connection_view_of(host: &Host, conn: &Connection) -> ConnectionView {
    let apps = host.hubkey().store().apps().await.unwrap_or_default();
    connection_view(host, conn, &apps)
}
