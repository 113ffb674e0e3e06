//! A login outlives its window: closing the main window destroys the webview, and the page of the window built
//! again asks `login_state` for the logins still pending and for the results no page received (handed over
//! once). Through the mock runtime's IPC with the real capabilities (as tests/it/ipc_commands.rs); a login is
//! started without a window through `commands::begin_login`, the body of `start_login`, because the mock runtime
//! never removes a destroyed window. Covers threat-model.md S3 (no secret in any response or event: neither the
//! client secret, nor the login's `state` and PKCE challenge, nor a token) and S4 (`login_state` refused for a
//! window without the capability, its body not run: nothing is handed over).

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;
use support::{free_port, local_origin, request, wait_for, window};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hubkey_core::app::{AppConfig, AppKind};
use hubkey_core::client::HubSpotClient;
use hubkey_core::config::Endpoints;
use hubkey_core::store::{MemoryStore, TokenStore};
use hubkey_core::view::StartLoginArgs;
use hubkey_core::ConnectionKey;
use hubkey_desktop_lib::{Browser, Host, MAIN_WINDOW};
use hubspot_sandbox::{Fixture, Sandbox, SandboxHandle, DEMO_STANDARD_CLIENT_ID};
use serde_json::{json, Value};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime};
use tauri::{App, AppHandle, Listener, Manager, WebviewWindow};
use url::Url;

const CLIENT_ID: &str = "5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60";
const CLIENT_SECRET: &str = "0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a";

fn temp_home(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(support::unique(&format!("hubkey-{tag}")))
}

/// Every IPC response and `login-finished` event, to look for secrets at the end (S3).
#[derive(Default)]
struct Recorder(Mutex<Vec<(String, String)>>);

impl Recorder {
    fn push(&self, what: &str, json: String) {
        self.0.lock().unwrap().push((what.to_string(), json));
    }

    fn events(&self) -> Vec<Value> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(w, _)| w == "event login-finished")
            .map(|(_, j)| serde_json::from_str(j).unwrap())
            .collect()
    }

    fn assert_no_secret(&self, secrets: &[String]) {
        let seen = self.0.lock().unwrap();
        assert!(!seen.is_empty(), "nothing recorded");
        for (what, json) in seen.iter() {
            for secret in secrets {
                assert!(secret.len() >= 16, "weak probe");
                assert!(
                    !json.contains(&secret[..12]),
                    "S3: {what} carries a secret: {json}"
                );
            }
        }
    }
}

/// The app with the real capabilities and the given state; with its main window (as at start) or without it
/// (as after the user closed it). Records every `login-finished` event.
fn app(host: Host, with_window: bool, recorder: &Arc<Recorder>) -> App<MockRuntime> {
    let mut context = hubkey_desktop_lib::context::<MockRuntime>();
    for window in &mut context.config_mut().app.windows {
        window.create = with_window;
    }
    let app = hubkey_desktop_lib::configure_with(mock_builder(), host)
        .build(context)
        .unwrap();
    let r = Arc::clone(recorder);
    app.listen_any("login-finished", move |event| {
        r.push("event login-finished", event.payload().to_string())
    });
    app
}

/// A command from `window`'s page, recorded.
fn call(window: &WebviewWindow<MockRuntime>, recorder: &Recorder, cmd: &str, body: Value) -> Value {
    let response = get_ipc_response(window, request(cmd, body, local_origin()))
        .map(|b| b.deserialize::<Value>().unwrap())
        .unwrap_or_else(|e| panic!("{cmd} failed: {e}"));
    recorder.push(&format!("response {cmd}"), response.to_string());
    response
}

/// A browser that only remembers the authorize URL: HubSpot never answers, the login waits.
fn idle_browser(opened: Arc<Mutex<Option<Url>>>) -> Browser {
    Browser::Custom(Arc::new(move |url: &Url| {
        *opened.lock().unwrap() = Some(url.clone());
        Ok(())
    }))
}

/// The login's own secrets, from the authorize URL: `state` and the PKCE challenge.
fn login_secrets(opened: &Mutex<Option<Url>>) -> Vec<String> {
    let url = opened.lock().unwrap().clone().expect("the browser was opened");
    let secrets: Vec<String> = url
        .query_pairs()
        .filter(|(k, _)| k == "state" || k == "code_challenge")
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(secrets.len(), 2, "{url}");
    secrets
}

/// A host over an in-memory keychain with one app, `demo`, on a free loopback port; the browser never answers.
fn offline_host(home: &std::path::Path, opened: &Arc<Mutex<Option<Url>>>) -> Host {
    let store = TokenStore::new(Arc::new(MemoryStore::new()), home);
    let config = AppConfig {
        name: "demo".into(),
        client_id: CLIENT_ID.into(),
        redirect_uri: format!("http://localhost:{}/callback", free_port()),
        scopes: vec!["oauth".into(), "crm.objects.contacts.read".into()],
        optional_scopes: vec![],
        kind: AppKind::Standard,
        pkce: true,
    };
    tauri::async_runtime::block_on(store.save_app(&config, &hubkey_core::ClientSecret::new(CLIENT_SECRET)))
        .unwrap();
    Host::new(hubkey_core::Hubkey::builder(HubSpotClient::new(Endpoints::hubspot()).unwrap(), store).build())
        .with_browser(idle_browser(Arc::clone(opened)))
}

fn demo_login() -> StartLoginArgs {
    StartLoginArgs {
        app: "demo".into(),
        portal_id: None,
        without_pkce: None,
    }
}

#[test]
fn given_a_login_started_when_the_page_asks_then_it_is_pending_until_cancelled() {
    let home = temp_home("login-state-pending");
    let opened = Arc::new(Mutex::new(None));
    let recorder = Arc::new(Recorder::default());
    let app = app(offline_host(&home, &opened), true, &recorder);
    let main = window(&app, MAIN_WINDOW);
    assert_eq!(
        call(&main, &recorder, "login_state", json!({})),
        json!({"pending": [], "unseen": []})
    );

    let started = call(&main, &recorder, "start_login", json!({"args": {"app": "demo"}}));
    wait_for("the browser", Duration::from_secs(10), || {
        opened.lock().unwrap().is_some()
    });

    // The page of a window built again finds the login as start_login described it.
    let state = call(&main, &recorder, "login_state", json!({}));
    assert_eq!(state, json!({"pending": [started], "unseen": []}));
    assert!(started["expires_at"].is_string(), "{started}");

    assert_eq!(
        call(&main, &recorder, "cancel_login", json!({"args": {"app": "demo"}})),
        json!(true)
    );
    assert_eq!(
        call(&main, &recorder, "login_state", json!({})),
        json!({"pending": [], "unseen": []}),
        "a cancelled login is no longer pending"
    );
    wait_for("the cancelled login's end", Duration::from_secs(10), || {
        !recorder.events().is_empty()
    });
    assert_eq!(recorder.events()[0]["error"]["code"], "login_cancelled");
    assert_eq!(
        call(&main, &recorder, "login_state", json!({})),
        json!({"pending": [], "unseen": []}),
        "a cancellation is not kept for later"
    );

    let mut secrets = login_secrets(&opened);
    secrets.push(CLIENT_SECRET.to_string());
    recorder.assert_no_secret(&secrets);
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn given_a_login_that_times_out_while_no_window_is_open_then_the_next_window_gets_the_failure_once() {
    let home = temp_home("login-state-unseen");
    let opened = Arc::new(Mutex::new(None));
    let recorder = Arc::new(Recorder::default());
    let host = offline_host(&home, &opened).with_login_timeout(Duration::from_millis(700));
    let app = app(host, false, &recorder);

    let started = tauri::async_runtime::block_on(hubkey_desktop_lib::ipc::login::begin_login(
        app.handle(),
        &app.state::<Host>(),
        demo_login(),
    ))
    .unwrap();
    assert_eq!(app.state::<Host>().logins().pending(), vec![started]);
    wait_for("the login's timeout", Duration::from_secs(10), || {
        app.state::<Host>().logins().pending().is_empty()
    });
    // Not popped up for a failure: the result waits for the user's next visit.
    std::thread::sleep(Duration::from_millis(300));
    assert!(app.get_webview_window(MAIN_WINDOW).is_none());

    // S4: a window without the capability is refused, and nothing is handed over to it.
    let intruder = window(&app, "intruder");
    let denied = get_ipc_response(&intruder, request("login_state", json!({}), local_origin())).unwrap_err();
    assert!(denied.to_string().contains("not allowed"), "{denied}");

    let main = window(&app, MAIN_WINDOW);
    let remote: Url = "https://evil.example/".parse().unwrap();
    let denied = get_ipc_response(&main, request("login_state", json!({}), remote)).unwrap_err();
    assert!(denied.to_string().contains("not allowed"), "{denied}");

    let state = call(&main, &recorder, "login_state", json!({}));
    assert_eq!(state["pending"], json!([]));
    let unseen = state["unseen"].as_array().unwrap();
    assert_eq!(unseen.len(), 1, "{state}");
    assert_eq!(unseen[0]["app"], "demo");
    assert_eq!(unseen[0]["ok"], false);
    assert_eq!(unseen[0]["error"]["code"], "login_timed_out", "{state}");
    assert_eq!(
        call(&main, &recorder, "login_state", json!({})),
        json!({"pending": [], "unseen": []}),
        "handed over once"
    );

    let mut secrets = login_secrets(&opened);
    secrets.push(CLIENT_SECRET.to_string());
    recorder.assert_no_secret(&secrets);
    let _ = std::fs::remove_dir_all(&home);
}

/// The "system browser" grants at once (the sandbox's `auto_grant`) and follows the redirect to the loopback.
fn granting_browser() -> Browser {
    Browser::Custom(Arc::new(move |url: &Url| {
        let url = url.clone();
        tauri::async_runtime::spawn(async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let answer = client.get(url).send().await.unwrap();
            let location = answer
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or_else(|| panic!("authorize did not redirect: {}", answer.status()))
                .to_string();
            client.get(&location).send().await.unwrap();
        });
        Ok(())
    }))
}

/// A host against a sandbox (auto-grant) whose demo app registers a free loopback redirect, with `demo`
/// registered in Hubkey (PKCE on) and a browser that grants at once. `change` edits HubSpot's side first.
struct SandboxWorld {
    sandbox: SandboxHandle,
    store: TokenStore,
    client_secret: String,
    home: std::path::PathBuf,
}

fn sandbox_host(tag: &str, change: impl FnOnce(&mut Fixture)) -> (SandboxWorld, Host) {
    let loopback = format!("http://localhost:{}/callback", free_port());
    let mut fixture = Fixture::demo();
    hubkey_testkit::accept_redirect(&mut fixture, DEMO_STANDARD_CLIENT_ID, &loopback);
    change(&mut fixture);
    let sandbox: SandboxHandle = tauri::async_runtime::block_on(Sandbox::start(fixture)).unwrap();
    sandbox.update_switches(|s| s.auto_grant = true);
    let client_secret = sandbox
        .fixture()
        .app(DEMO_STANDARD_CLIENT_ID)
        .unwrap()
        .client_secret
        .clone();
    let home = temp_home(tag);
    let store = TokenStore::new(Arc::new(MemoryStore::new()), &home);
    let config = AppConfig {
        name: "demo".into(),
        client_id: DEMO_STANDARD_CLIENT_ID.into(),
        redirect_uri: loopback,
        scopes: vec!["oauth".into(), "crm.objects.contacts.read".into()],
        optional_scopes: vec![],
        kind: AppKind::Standard,
        pkce: true,
    };
    tauri::async_runtime::block_on(
        store.save_app(&config, &hubkey_core::ClientSecret::new(client_secret.as_str())),
    )
    .unwrap();
    let endpoints = Endpoints {
        app_base: Url::parse(&sandbox.base_url()).unwrap(),
        api_base: Url::parse(&sandbox.base_url()).unwrap(),
        mcp_base: Url::parse(&sandbox.mcp_base_url()).unwrap(),
    };
    let host = Host::new(
        hubkey_core::Hubkey::builder(HubSpotClient::new(endpoints).unwrap(), store.clone()).build(),
    )
    .with_browser(granting_browser());
    (
        SandboxWorld {
            sandbox,
            store,
            client_secret,
            home,
        },
        host,
    )
}

#[test]
fn given_a_login_that_succeeds_while_no_window_is_open_then_the_window_is_built_and_gets_the_connection_once()
{
    let (world, host) = sandbox_host("login-state-connected", |_| {});
    let SandboxWorld {
        sandbox: _sandbox,
        store,
        client_secret,
        home,
    } = world;
    let recorder = Arc::new(Recorder::default());
    let app = app(host, false, &recorder);
    let handle: AppHandle<MockRuntime> = app.handle().clone();

    tauri::async_runtime::block_on(hubkey_desktop_lib::ipc::login::begin_login(
        &handle,
        &app.state::<Host>(),
        StartLoginArgs {
            app: "demo".into(),
            portal_id: Some(hubspot_sandbox::DEMO_PRO_HUB_ID),
            without_pkce: None,
        },
    ))
    .unwrap();

    // Connected: the window is built again, and its page finds the result it missed.
    wait_for("the main window", Duration::from_secs(20), || {
        app.get_webview_window(MAIN_WINDOW).is_some()
    });
    let main = window(&app, MAIN_WINDOW);
    let state = call(&main, &recorder, "login_state", json!({}));
    assert_eq!(state["pending"], json!([]));
    let unseen = state["unseen"].as_array().unwrap();
    assert_eq!(unseen.len(), 1, "{state}");
    assert_eq!(unseen[0]["ok"], true, "{state}");
    assert_eq!(
        unseen[0]["connection"]["hub_id"],
        hubspot_sandbox::DEMO_PRO_HUB_ID
    );
    assert_eq!(unseen[0]["connection"]["hub_domain"], "acme.example");
    assert_eq!(
        call(&main, &recorder, "login_state", json!({})),
        json!({"pending": [], "unseen": []}),
        "handed over once"
    );

    let tokens = tauri::async_runtime::block_on(
        store.load_tokens(&ConnectionKey::new("demo", hubspot_sandbox::DEMO_PRO_HUB_ID)),
    )
    .unwrap();
    recorder.assert_no_secret(&[
        client_secret,
        tokens.access_token.expose().to_string(),
        tokens.refresh_token.expose().to_string(),
    ]);
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn given_hubspot_refusing_pkce_when_a_login_fails_then_pkce_rejected_is_said_and_a_retry_without_pkce_connects(
) {
    // Issue 13, point 4: the sandbox plays a HubSpot that refuses PKCE on this standard app.
    let (world, host) = sandbox_host("login-state-pkce", |f| {
        f.apps
            .iter_mut()
            .find(|a| a.client_id == DEMO_STANDARD_CLIENT_ID)
            .unwrap()
            .rejects_pkce = true;
    });
    let recorder = Arc::new(Recorder::default());
    let app = app(host, true, &recorder);
    let handle: AppHandle<MockRuntime> = app.handle().clone();
    let login = |without_pkce: Option<bool>| {
        tauri::async_runtime::block_on(hubkey_desktop_lib::ipc::login::begin_login(
            &handle,
            &app.state::<Host>(),
            StartLoginArgs {
                app: "demo".into(),
                portal_id: Some(hubspot_sandbox::DEMO_PRO_HUB_ID),
                without_pkce,
            },
        ))
        .unwrap()
    };

    login(None);
    wait_for("the failed login", Duration::from_secs(20), || {
        recorder.events().len() == 1
    });
    let failed = recorder.events()[0].clone();
    assert_eq!(failed["ok"], false, "{failed}");
    assert_eq!(failed["error"]["code"], "pkce_rejected", "{failed}");
    let hint = failed["error"]["hint"].as_str().unwrap();
    assert!(
        hint.contains("Retry without PKCE") && hint.contains("PKCE switch"),
        "{hint}"
    );
    assert!(!hint.contains("Grant access"), "{hint}");

    // "Retry without PKCE": start_login's without_pkce.
    login(Some(true));
    wait_for("the retried login", Duration::from_secs(20), || {
        recorder.events().len() == 2
    });
    let retried = recorder.events()[1].clone();
    assert_eq!(retried["ok"], true, "{retried}");
    let requests = world.sandbox.requests();
    let authorize = requests
        .iter()
        .rev()
        .find(|r| r.path.ends_with("/authorize"))
        .unwrap();
    assert!(
        !authorize.query_fields.iter().any(|q| q == "code_challenge"),
        "{authorize:?}"
    );
    let exchange = requests
        .iter()
        .rev()
        .find(|r| r.grant_type.as_deref() == Some("authorization_code"))
        .unwrap();
    assert!(!exchange.had_code_verifier);
    // One time only: the app's setting is unchanged.
    let stored = tauri::async_runtime::block_on(world.store.app("demo")).unwrap();
    assert!(stored.pkce);

    let tokens = tauri::async_runtime::block_on(
        world
            .store
            .load_tokens(&ConnectionKey::new("demo", hubspot_sandbox::DEMO_PRO_HUB_ID)),
    )
    .unwrap();
    recorder.assert_no_secret(&[
        world.client_secret.clone(),
        tokens.access_token.expose().to_string(),
        tokens.refresh_token.expose().to_string(),
    ]);
    let _ = std::fs::remove_dir_all(&world.home);
}
