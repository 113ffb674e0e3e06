//! What the loopback listener's test modules share (loopback_listener.rs, attacks_loopback.rs): one pending
//! login for an app called `my-app`, and a listener on an ephemeral port waiting for it.

use hubkey_core::callback::CallbackTarget;
use hubkey_core::login::{LoginFlow, LoginHandle, PendingLogin};
use hubkey_core::loopback::LoopbackListener;
use hubkey_core::{CsrfState, PkceVerifier};

pub const PATH: &str = "/oauth-callback";
pub const STATE: &str = "st4te-Zm9vYmFyYmF6cXV4";
pub const CODE: &str = "na1-1111-2222-3333-4444-555555555555";

pub fn pending(port: u16, state: &str) -> PendingLogin {
    PendingLogin::new(
        "my-app",
        CallbackTarget::loopback(port, PATH),
        CsrfState::new(state),
        Some(PkceVerifier::new("the-verifier")),
        format!("http://localhost:{port}{PATH}"),
    )
}

/// A listener on an ephemeral port and a pending login for it.
pub async fn listening() -> (LoginFlow, LoginHandle, LoopbackListener, u16) {
    let flow = LoginFlow::default();
    let listener = LoopbackListener::bind(flow.clone(), 0, PATH).await.unwrap();
    let port = listener.port();
    let handle = flow.start(pending(port, STATE));
    (flow, handle, listener, port)
}
