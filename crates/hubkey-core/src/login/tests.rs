//! Unit tests of [`super`] (the module's specification, beside it).
use super::*;
use crate::clock::ManualClock;
use time::macros::datetime;

const LB: &str = "http://localhost:3000/oauth-callback";

fn pending(app: &str, state: &str) -> PendingLogin {
    PendingLogin::new(
        app,
        CallbackTarget::loopback(3000, "/oauth-callback"),
        CsrfState::new(state),
        Some(PkceVerifier::new("verifier-1")),
        LB,
    )
}

fn flow() -> LoginFlow {
    LoginFlow::new(Arc::new(ManualClock::new(datetime!(2026-11-23 10:00 UTC))))
}

#[tokio::test]
async fn given_a_pending_login_when_the_right_callback_arrives_then_the_waiter_gets_code_verifier_and_redirect_uri(
) {
    let flow = flow();
    let h = flow.start(pending("app", "state-1"));
    assert_eq!(h.started_at(), datetime!(2026-11-23 10:00 UTC));
    assert_eq!(
        flow.pending_logins()[0].expires_at,
        datetime!(2026-11-23 10:10 UTC)
    );
    let d = flow
        .deliver(&format!("{LB}?code=the-code&state=state-1"))
        .unwrap();
    assert_eq!(d, Delivery::Authorized { app: "app".into() });
    let done = h.wait().await.unwrap();
    assert_eq!(done.code.expose(), "the-code");
    assert_eq!(done.pkce_verifier.unwrap().expose(), "verifier-1");
    assert_eq!(done.redirect_uri, LB);
    assert_eq!(done.app, "app");
    assert!(!flow.is_pending("app"));
}

#[tokio::test]
async fn c1_given_a_wrong_state_when_delivered_then_state_mismatch_and_the_login_stays_pending() {
    let flow = flow();
    let h = flow.start(pending("app", "state-1"));
    let err = flow
        .deliver(&format!("{LB}?code=evil&state=state-2"))
        .unwrap_err();
    assert!(matches!(err, Error::StateMismatch), "{err}");
    assert!(flow.is_pending("app"));
    flow.deliver(&format!("{LB}?code=good&state=state-1")).unwrap();
    assert_eq!(h.wait().await.unwrap().code.expose(), "good");
}

#[tokio::test]
async fn c2_given_no_state_when_delivered_then_state_missing_and_the_login_stays_pending() {
    let flow = flow();
    let _h = flow.start(pending("app", "state-1"));
    let err = flow.deliver(&format!("{LB}?code=evil")).unwrap_err();
    assert!(matches!(err, Error::StateMissing), "{err}");
    assert!(flow.is_pending("app"));
}

#[tokio::test]
async fn c4_given_the_same_valid_callback_twice_when_delivered_then_the_first_completes_and_the_second_is_rejected(
) {
    let flow = flow();
    let h = flow.start(pending("app", "state-1"));
    let url = format!("{LB}?code=the-code&state=state-1");
    flow.deliver(&url).unwrap();
    let err = flow.deliver(&url).unwrap_err();
    assert!(matches!(err, Error::AlreadyCompleted), "{err}");
    assert_eq!(h.wait().await.unwrap().code.expose(), "the-code");
    // Replayed later, still refused.
    assert!(matches!(flow.deliver(&url).unwrap_err(), Error::AlreadyCompleted));
}

#[tokio::test]
async fn c5_given_no_login_when_a_callback_arrives_then_no_pending_login() {
    let flow = flow();
    let err = flow
        .deliver("hubkey://oauth/callback?code=x&state=y")
        .unwrap_err();
    assert!(matches!(err, Error::NoPendingLogin), "{err}");
    // After a completed login, an unrelated callback is also "no pending login".
    let h = flow.start(pending("app", "state-1"));
    flow.deliver(&format!("{LB}?code=c&state=state-1")).unwrap();
    h.wait().await.unwrap();
    let err = flow.deliver(&format!("{LB}?code=c&state=other")).unwrap_err();
    assert!(matches!(err, Error::NoPendingLogin), "{err}");
}

#[tokio::test]
async fn c6_given_a_pending_login_when_a_callback_at_another_path_arrives_then_callback_invalid_and_still_pending(
) {
    let flow = flow();
    let _h = flow.start(pending("app", "state-1"));
    let err = flow
        .deliver("http://localhost:3000/oauth-callback/?code=c&state=state-1")
        .unwrap_err();
    assert!(matches!(err, Error::CallbackInvalid(_)), "{err}");
    let err = flow
        .deliver("hubkey://oauth/callback?code=c&state=state-1")
        .unwrap_err();
    assert!(matches!(err, Error::CallbackInvalid(_)), "{err}");
    assert!(flow.is_pending("app"));
}

#[tokio::test]
async fn c7_given_an_access_denied_callback_when_delivered_then_the_waiter_gets_consent_denied() {
    let flow = flow();
    let h = flow.start(pending("app", "state-1"));
    let d = flow
        .deliver(&format!(
            "{LB}?error=access_denied&error_description=%3Cscript%3Eno%3C/script%3E&state=state-1"
        ))
        .unwrap();
    assert_eq!(
        d,
        Delivery::Denied {
            app: "app".into(),
            error: "access_denied".into(),
            description: Some("<script>no</script>".into())
        }
    );
    match h.wait().await.unwrap_err() {
        Error::ConsentDenied { error, description } => {
            assert_eq!(error, "access_denied");
            assert_eq!(description.as_deref(), Some("<script>no</script>"));
        }
        e => panic!("{e}"),
    }
}

#[tokio::test]
async fn given_a_pending_login_when_cancelled_then_the_waiter_gets_login_cancelled_and_callbacks_find_nothing(
) {
    let flow = flow();
    let h = flow.start(pending("app", "state-1"));
    assert!(flow.cancel(h.id()));
    assert!(!flow.cancel(h.id()));
    assert!(matches!(h.wait().await.unwrap_err(), Error::LoginCancelled));
    let err = flow.deliver(&format!("{LB}?code=c&state=state-1")).unwrap_err();
    assert!(matches!(err, Error::NoPendingLogin), "{err}");
}

#[tokio::test(start_paused = true)]
async fn given_a_pending_login_when_the_timeout_passes_then_login_timed_out_and_it_is_no_longer_pending() {
    let flow = flow();
    let h = flow.start(pending("app", "state-1"));
    let err = h.wait().await.unwrap_err();
    assert!(
        matches!(err, Error::LoginTimedOut(d) if d == DEFAULT_LOGIN_TIMEOUT),
        "{err}"
    );
    assert!(!flow.is_pending("app"));
    assert!(matches!(
        flow.deliver(&format!("{LB}?code=c&state=state-1")),
        Err(Error::NoPendingLogin)
    ));
}

#[tokio::test(start_paused = true)]
async fn given_an_overdue_login_when_a_callback_arrives_before_the_waiter_wakes_then_it_is_refused() {
    let flow = flow();
    let h = flow.start(pending("app", "state-1").with_timeout(Duration::from_secs(60)));
    tokio::time::advance(Duration::from_secs(61)).await;
    assert!(matches!(
        flow.deliver(&format!("{LB}?code=c&state=state-1")),
        Err(Error::NoPendingLogin)
    ));
    assert!(matches!(h.wait().await.unwrap_err(), Error::LoginTimedOut(_)));
}

#[tokio::test]
async fn given_a_pending_login_when_the_same_app_starts_again_then_the_first_is_cancelled() {
    let flow = flow();
    let first = flow.start(pending("app", "state-1"));
    let second = flow.start(pending("app", "state-2"));
    assert!(matches!(first.wait().await.unwrap_err(), Error::LoginCancelled));
    // The first login's state no longer works; the second's does.
    assert!(matches!(
        flow.deliver(&format!("{LB}?code=c&state=state-1")),
        Err(Error::StateMismatch)
    ));
    flow.deliver(&format!("{LB}?code=c2&state=state-2")).unwrap();
    assert_eq!(second.wait().await.unwrap().code.expose(), "c2");
}

#[tokio::test]
async fn given_two_apps_pending_when_callbacks_arrive_then_each_goes_to_its_own_login() {
    let flow = flow();
    let a = flow.start(pending("a", "state-a"));
    let (p, _) =
        PendingLogin::for_redirect("b", "https://relay.example/cb", CsrfState::new("state-b"), None).unwrap();
    let b = flow.start(p);
    flow.deliver("hubkey://oauth/callback?code=cb&state=state-b")
        .unwrap();
    flow.deliver(&format!("{LB}?code=ca&state=state-a")).unwrap();
    let (a, b) = (a.wait().await.unwrap(), b.wait().await.unwrap());
    assert_eq!((a.app.as_str(), a.code.expose()), ("a", "ca"));
    assert_eq!(
        (b.app.as_str(), b.code.expose(), b.redirect_uri.as_str()),
        ("b", "cb", "https://relay.example/cb")
    );
    assert!(b.pkce_verifier.is_none());
}

#[tokio::test]
async fn given_a_dropped_handle_when_a_callback_arrives_then_no_pending_login() {
    let flow = flow();
    drop(flow.start(pending("app", "state-1")));
    assert!(!flow.is_pending("app"));
    assert!(matches!(
        flow.deliver(&format!("{LB}?code=c&state=state-1")),
        Err(Error::NoPendingLogin)
    ));
}

#[test]
fn given_a_completed_callback_when_debug_formatted_then_code_and_verifier_are_redacted() {
    let c = CompletedCallback {
        app: "app".into(),
        code: AuthCode::new("CODE-VALUE"),
        pkce_verifier: Some(PkceVerifier::new("VERIFIER-VALUE")),
        redirect_uri: LB.into(),
    };
    let s = format!("{c:?}");
    assert!(!s.contains("CODE-VALUE") && !s.contains("VERIFIER-VALUE"), "{s}");
}
