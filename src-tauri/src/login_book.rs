//! The logins as the page must see them. The main window is destroyed when it is closed and built again later
//! (window::show_main_window), and its new page knows nothing of the old one's logins: so the host keeps what
//! `start_login` returned for each pending login, and each `login-finished` result that no page may have
//! received, for the page's `login_state` call.

use std::sync::{Mutex, MutexGuard};

use hubkey_core::view::{LoginFinished, LoginStarted, LoginState};

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
            .is_some_and(|e| e.code == hubkey_core::ErrorCode::LoginCancelled);
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

#[cfg(test)]
mod tests {
    use super::*;
    use hubkey_core::view::{CommandError, RedirectKind};
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
            error: Some(CommandError::new(code, "it failed", None)),
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
