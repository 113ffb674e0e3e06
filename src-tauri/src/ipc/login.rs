//! Commands about sign-ins: start one (it runs on; its outcome arrives as a `login-finished` event), cancel
//! one, and what a page that loads while sign-ins run needs.

use hubkey_core::hubkey::LoginOptions;
use hubkey_core::view::{AppArgs, LoginFinished, LoginStarted, LoginState, StartLoginArgs};
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

use super::{CmdResult, LOGIN_FINISHED};
use crate::host::Host;
use crate::login_book::LoginTicket;
use crate::MAIN_WINDOW;

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

/// The body of [`start_login`] (tests start a login with it while no window exists): the checks that refuse
/// at once ([`hubkey_core::Hubkey::plan_login`]), then the sign-in on its own task.
pub async fn begin_login<R: Runtime>(
    app: &AppHandle<R>,
    host: &Host,
    args: StartLoginArgs,
) -> CmdResult<LoginStarted> {
    let timeout = host.login_timeout();
    let started = host
        .hubkey()
        .plan_login(&args.app, args.portal_id, timeout)
        .await?;
    let ticket = host.logins().started(started.clone());
    let options = LoginOptions {
        portal_id: args.portal_id,
        timeout: Some(timeout),
        without_pkce: args.without_pkce.unwrap_or(false),
    };
    let (hubkey, open_browser) = (host.hubkey().clone(), host.opener(app));
    let (handle, name) = (app.clone(), started.app.clone());
    tauri::async_runtime::spawn(async move {
        let outcome = hubkey.login(&name, options, open_browser).await;
        let finished = match outcome {
            Ok(conn) => LoginFinished {
                app: name,
                ok: true,
                connection: Some(hubkey.connection_view(&conn).await),
                error: None,
            },
            Err(e) => LoginFinished {
                app: name,
                ok: false,
                connection: None,
                error: Some(e.into()),
            },
        };
        deliver_result(&handle, ticket, &finished);
    });
    Ok(started)
}

/// Hands a sign-in's result to the page (and keeps it when no page may receive it); a success brings the
/// window to the front.
fn deliver_result<R: Runtime>(app: &AppHandle<R>, ticket: LoginTicket, finished: &LoginFinished) {
    let window_open = app.get_webview_window(MAIN_WINDOW).is_some();
    if app
        .state::<Host>()
        .logins()
        .finished(ticket, finished, window_open)
    {
        tracing::info!(app = %finished.app, ok = finished.ok, "login result kept for the next window");
    }
    if let Err(e) = app.emit_to(MAIN_WINDOW, LOGIN_FINISHED, finished) {
        tracing::warn!("cannot deliver the login result to the window: {e}");
    }
    if finished.ok {
        crate::window::show_main_window(app);
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
/// to `login-finished`, so no result falls in between. A kept connection is shown as it is now.
#[tauri::command]
pub async fn login_state(host: State<'_, Host>) -> CmdResult<LoginState> {
    Ok(host.login_state().await)
}
