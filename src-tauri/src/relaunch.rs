//! Giving back the window's memory once it is closed (Linux).
//!
//! Closing the main window destroys its webview and web process, but this process keeps what WebKitGTK, GTK
//! and Mesa set up for them: WebKit's network process, the EGL display with Mesa and LLVM, and a heap that does
//! not shrink; about 85 MiB of the 145 MiB a tray-only Hubkey would otherwise use (docs/BENCHMARKS.md, finding
//! 8). Only a fresh process gets that back. So, once the app is idle, it replaces itself (exec: the same PID,
//! the same environment) with `hubkey-tray`, a tray-only program that never loads WebKit, or, where that is not
//! installed beside it (a dev build), with `hubkey-desktop --background`, which runs the tray and the
//! refresher and builds a window only when asked.
//!
//! Idle means nothing would be lost: no sign-in waiting for HubSpot and no result of one that a page has not
//! shown, no command at work ([`crate::host::Activity`]), no refresh under way, and the clipboard no longer
//! holding a token Hubkey copied (an X11 clipboard's content lives in the process that set it). The app waits
//! [`QUIET`] after the window closes (a window reopened at once costs no restart), then checks every
//! [`RECHECK`]. The tray icon disappears for a moment while the new process starts.
//!
//! `HUBKEY_RELAUNCH=0` turns this off; `HUBKEY_RELAUNCH_QUIET_SECS` shortens the wait (tests). On macOS and
//! Windows nothing is done: the webview's memory goes with its window there.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime};

pub use hubkey_shell::handoff::{self, reap_inherited};

use crate::host::Host;
use crate::MAIN_WINDOW;

/// How long the closed window must stay closed before the process is replaced.
pub const QUIET: Duration = Duration::from_secs(20);
/// How often an app that was busy is checked again.
pub const RECHECK: Duration = Duration::from_secs(5);
/// Turns relaunching off when `0`.
pub const ENABLE_ENV: &str = "HUBKEY_RELAUNCH";
/// Overrides [`QUIET`], in seconds.
pub const QUIET_ENV: &str = "HUBKEY_RELAUNCH_QUIET_SECS";

/// What keeps the app from replacing its process now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    WindowOpen,
    SignIn,
    UnseenSignInResult,
    Command,
    Refresh,
    Clipboard,
}

impl Busy {
    fn describe(self) -> &'static str {
        match self {
            Busy::WindowOpen => "the window is open again",
            Busy::SignIn => "a sign-in is waiting for HubSpot",
            Busy::UnseenSignInResult => "a sign-in result waits to be shown",
            Busy::Command => "a command is at work",
            Busy::Refresh => "a refresh is under way",
            Busy::Clipboard => "the clipboard still holds a copied token",
        }
    }
}

/// The app's state as far as replacing its process is concerned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub window_open: bool,
    pub pending_sign_ins: usize,
    pub unseen_sign_in_results: usize,
    pub commands_at_work: usize,
    pub refreshing: bool,
    pub clipboard_holds_token: bool,
}

/// `None` when the process may be replaced now; else the first reason it may not.
pub fn blocker(s: &Snapshot) -> Option<Busy> {
    if s.window_open {
        Some(Busy::WindowOpen)
    } else if s.pending_sign_ins > 0 {
        Some(Busy::SignIn)
    } else if s.unseen_sign_in_results > 0 {
        Some(Busy::UnseenSignInResult)
    } else if s.commands_at_work > 0 {
        Some(Busy::Command)
    } else if s.refreshing {
        Some(Busy::Refresh)
    } else if s.clipboard_holds_token {
        Some(Busy::Clipboard)
    } else {
        None
    }
}

/// Whether relaunching is on: Linux, a tray to stay in, and not turned off with [`ENABLE_ENV`]`=0`.
pub fn enabled(env_value: Option<&str>) -> bool {
    cfg!(target_os = "linux") && env_value.map(str::trim) != Some("0")
}

/// The wait after the window closed: [`QUIET`], or [`QUIET_ENV`] seconds.
pub fn quiet_from(env_value: Option<&str>) -> Duration {
    env_value
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(QUIET)
}

/// Set while a relaunch waits, so closing, reopening and closing again does not start a second one.
static WAITING: AtomicBool = AtomicBool::new(false);

/// The main window was closed and the app stays in the tray: replace the process once it is idle.
pub fn schedule<R: Runtime>(app: &AppHandle<R>) {
    if !enabled(std::env::var(ENABLE_ENV).ok().as_deref()) || WAITING.swap(true, Ordering::SeqCst) {
        return;
    }
    let quiet = quiet_from(std::env::var(QUIET_ENV).ok().as_deref());
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(quiet).await;
        let mut reported = None;
        loop {
            match blocker(&snapshot(&app)) {
                Some(Busy::WindowOpen) => {
                    tracing::debug!("the window is open again; the process stays");
                    break;
                }
                Some(busy) => {
                    if reported != Some(busy) {
                        tracing::debug!("not replacing the process yet: {}", busy.describe());
                        reported = Some(busy);
                    }
                    tokio::time::sleep(RECHECK).await;
                }
                None => {
                    let error = replace_process();
                    tracing::warn!("cannot replace the process to free the window's memory: {error}");
                    break;
                }
            }
        }
        WAITING.store(false, Ordering::SeqCst);
    });
}

fn snapshot<R: Runtime>(app: &AppHandle<R>) -> Snapshot {
    let window_open = app.get_webview_window(MAIN_WINDOW).is_some();
    let Some(host) = app.try_state::<Host>() else {
        return Snapshot {
            window_open,
            ..Snapshot::default()
        };
    };
    let (pending_sign_ins, unseen_sign_in_results) = host.logins().counts();
    Snapshot {
        window_open,
        pending_sign_ins,
        unseen_sign_in_results,
        commands_at_work: host.activity().busy(),
        refreshing: host.hubkey().refresher().is_refreshing(),
        clipboard_holds_token: host.copier().holds_last_copy(),
    }
}

/// Replaces this process with the tray-only `hubkey-tray` when it is installed beside this program, else with
/// `hubkey-desktop --background`; returns only when that failed.
#[cfg(target_os = "linux")]
fn replace_process() -> std::io::Error {
    use std::os::unix::process::CommandExt;

    let children = handoff::children_of_self();
    let mut args = handoff::reap_args(&children);
    if let Some(tray) = handoff::sibling(handoff::TRAY_PROGRAM) {
        tracing::info!(
            children = children.len(),
            "the window stays closed and Hubkey is idle: handing over to hubkey-tray, which has no WebKit"
        );
        let env = handoff::tray_env(std::env::var_os(handoff::MALLOC_ARENA_MAX).as_deref());
        let error = handoff::exec_with_env(&tray, &args, &env);
        tracing::warn!(
            "cannot start {}: {error}; replacing this program instead",
            tray.display()
        );
    }
    tracing::info!(
        children = children.len(),
        "the window stays closed and Hubkey is idle: replacing the process to free the window's memory"
    );
    args.insert(0, handoff::BACKGROUND_FLAG.into());
    // The program's path first: the kernel names the process after it (`ps`, `top`, the bench). After a
    // package upgrade that path is another binary or gone; /proc/self/exe is still the one that runs (the
    // process is then called "exe" until it ends).
    let error = match std::env::current_exe() {
        Ok(path) => handoff::exec(&path, &args),
        Err(e) => e,
    };
    tracing::debug!("cannot exec the program's path ({error}); trying /proc/self/exe");
    let mut command = std::process::Command::new("/proc/self/exe");
    if let Some(argv0) = std::env::args_os().next() {
        command.arg0(argv0);
    }
    command.args(&args).exec()
}

#[cfg(not(target_os = "linux"))]
fn replace_process() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::Unsupported, "only on Linux")
}

/// `hubkey-desktop --background` on Linux, with hubkey-tray installed beside it: become hubkey-tray at once
/// (the tray needs no WebKit). Returns only when there is nothing to hand over to, or the exec failed.
pub fn background_to_tray(argv: &[String]) {
    if !enabled(std::env::var(ENABLE_ENV).ok().as_deref()) {
        return;
    }
    if let Some(tray) = handoff::sibling(handoff::TRAY_PROGRAM) {
        let args: Vec<std::ffi::OsString> = argv
            .iter()
            .skip(1)
            .filter(|a| *a != handoff::BACKGROUND_FLAG)
            .map(Into::into)
            .collect();
        let error = handoff::exec(&tray, &args);
        tracing::warn!(
            "cannot start {}: {error}; running the tray in this process",
            tray.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idle() -> Snapshot {
        Snapshot::default()
    }

    #[test]
    fn given_nothing_at_work_then_the_process_may_be_replaced() {
        assert_eq!(blocker(&idle()), None);
    }

    #[test]
    fn given_anything_that_a_restart_would_lose_then_the_process_stays() {
        let cases = [
            (
                Snapshot {
                    window_open: true,
                    ..idle()
                },
                Busy::WindowOpen,
            ),
            (
                Snapshot {
                    pending_sign_ins: 1,
                    ..idle()
                },
                Busy::SignIn,
            ),
            (
                Snapshot {
                    unseen_sign_in_results: 1,
                    ..idle()
                },
                Busy::UnseenSignInResult,
            ),
            (
                Snapshot {
                    commands_at_work: 2,
                    ..idle()
                },
                Busy::Command,
            ),
            (
                Snapshot {
                    refreshing: true,
                    ..idle()
                },
                Busy::Refresh,
            ),
            (
                Snapshot {
                    clipboard_holds_token: true,
                    ..idle()
                },
                Busy::Clipboard,
            ),
        ];
        for (snapshot, busy) in cases {
            assert_eq!(blocker(&snapshot), Some(busy), "{snapshot:?}");
        }
    }

    #[test]
    fn given_a_reopened_window_then_that_is_the_reason_given_whatever_else_runs() {
        let s = Snapshot {
            window_open: true,
            refreshing: true,
            clipboard_holds_token: true,
            ..idle()
        };
        assert_eq!(blocker(&s), Some(Busy::WindowOpen));
    }

    #[test]
    fn given_hubkey_relaunch_0_then_it_is_off_and_anything_else_leaves_it_on_linux() {
        assert!(!enabled(Some("0")));
        assert!(!enabled(Some(" 0 ")));
        assert_eq!(enabled(None), cfg!(target_os = "linux"));
        assert_eq!(enabled(Some("1")), cfg!(target_os = "linux"));
    }

    #[test]
    fn given_a_quiet_override_then_it_is_used_and_garbage_falls_back() {
        assert_eq!(quiet_from(None), QUIET);
        assert_eq!(quiet_from(Some("1")), Duration::from_secs(1));
        assert_eq!(quiet_from(Some("soon")), QUIET);
    }
}
