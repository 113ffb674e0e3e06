//! Issue 18, point 2: an attacker's page opens `hubkey://oauth/callback?code=<attacker's code>&state=<guess>`
//! (login CSRF through the deep link), while no login is pending and while one is. Run through Hubkey's one
//! entry for links (`Hubkey::deliver`, what the desktop calls for every `hubkey:` URL it is handed) against
//! the sandbox over real HTTP: the attacker's code is a real one, minted by the sandbox for the attacker's own
//! portal, so only Hubkey's checks stand in the way. Each test then checks that no token request reached
//! HubSpot and nothing was stored, and that the real sign-in still completes for the victim's portal.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hubkey_core::app::{AppConfig, AppKind};
use hubkey_core::hubkey::LoginOptions;
use hubkey_core::store::{MemoryStore, TokenStore};
use hubkey_core::{ClientSecret, Error, Hubkey};
use hubspot_sandbox::{Fixture, Sandbox, SandboxHandle, DEMO_STANDARD_CLIENT_ID};
use url::Url;

const RELAY: &str = "https://relay.example.com/hubkey-relay.html";
const APP: &str = "demo";
const VICTIM: u64 = hubspot_sandbox::DEMO_PRO_HUB_ID;
const ATTACKER: u64 = hubspot_sandbox::DEMO_STARTER_HUB_ID;

struct World {
    sandbox: SandboxHandle,
    hubkey: Hubkey,
    _home: hubkey_testkit::TempHome,
}

async fn world(tag: &str) -> World {
    let mut fixture = Fixture::demo();
    hubkey_testkit::accept_redirect(&mut fixture, DEMO_STANDARD_CLIENT_ID, RELAY);
    let sandbox = Sandbox::start(fixture).await.unwrap();
    sandbox.update_switches(|s| s.auto_grant = true);
    let home = hubkey_testkit::TempHome::new(tag);
    let store = TokenStore::new(Arc::new(MemoryStore::new()), home.path());
    let app = AppConfig {
        name: APP.into(),
        client_id: DEMO_STANDARD_CLIENT_ID.into(),
        redirect_uri: RELAY.into(),
        scopes: vec!["oauth".into(), "crm.objects.contacts.read".into()],
        optional_scopes: vec![],
        kind: AppKind::Standard,
        pkce: true,
    };
    let secret = sandbox
        .fixture()
        .app(DEMO_STANDARD_CLIENT_ID)
        .unwrap()
        .client_secret
        .clone();
    store.save_app(&app, &ClientSecret::new(secret)).await.unwrap();
    let hubkey = Hubkey::builder(hubkey_testkit::client(&sandbox), store).build();
    World {
        sandbox,
        hubkey,
        _home: home,
    }
}

/// What HubSpot's consent does for `authorize` (auto-granted): the relay URL it redirects to, as the
/// `hubkey://` link the relay page would open.
async fn grant(authorize: &Url) -> String {
    let r = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(authorize.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302, "{authorize}: {:?}", r.text().await);
    let location = Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(RELAY), "{location}");
    format!("hubkey://oauth/callback?{}", location.query().unwrap())
}

/// The attacker's own sign-in: the authorize URL of the victim's kind, for the attacker's portal, with the
/// attacker's state; returns the link the relay would open for the attacker, with a real code.
async fn attackers_link(template: &Url) -> String {
    let mut url = template.clone();
    url.set_path(&format!("/oauth/{ATTACKER}/authorize"));
    let pairs: Vec<(String, String)> = template
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                "attackers-own-state".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    grant(&url).await
}

fn param(link: &str, name: &str) -> String {
    Url::parse(link)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

fn with_state(link: &str, state: &str) -> String {
    format!(
        "hubkey://oauth/callback?code={}&state={state}",
        param(link, "code")
    )
}

/// Starts the victim's sign-in for the victim's portal; returns the task and HubSpot's authorize URL.
async fn start_login(
    w: &World,
) -> (
    tokio::task::JoinHandle<hubkey_core::Result<hubkey_core::store::Connection>>,
    Url,
) {
    let seen: Arc<Mutex<Option<Url>>> = Arc::default();
    let opened = Arc::clone(&seen);
    let hubkey = w.hubkey.clone();
    let task = tokio::spawn(async move {
        hubkey
            .login(
                APP,
                LoginOptions {
                    portal_id: Some(VICTIM),
                    timeout: Some(Duration::from_secs(30)),
                    without_pkce: false,
                },
                move |url| {
                    *opened.lock().unwrap() = Some(url.clone());
                    Ok(())
                },
            )
            .await
    });
    let url = loop {
        if let Some(u) = seen.lock().unwrap().clone() {
            break u;
        }
        assert!(!task.is_finished(), "the login ended before opening the browser");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    (task, url)
}

async fn stored_hubs(w: &World) -> Vec<u64> {
    let connections = w.hubkey.connections().await.unwrap();
    connections.iter().map(|c| c.hub_id).collect()
}

async fn nothing_stored_or_exchanged(w: &World, attack: &str) {
    assert_eq!(
        w.sandbox.count("/token", Some("authorization_code")),
        0,
        "{attack}: a code reached HubSpot's token endpoint"
    );
    assert!(
        w.hubkey.connections().await.unwrap().is_empty(),
        "{attack}: a connection was stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_deep_link_csrf_with_a_real_attacker_code_while_no_login_is_pending_stores_nothing() {
    let w = world("dl-idle").await;
    // The attacker gets a real code for their own portal (from a sign-in of their own, any authorize URL).
    let (task, authorize) = start_login(&w).await;
    let attacker = attackers_link(&authorize).await;
    assert!(w.hubkey.cancel_login(APP));
    assert!(task.await.unwrap().is_err());

    // With nothing pending, every guess is refused.
    for link in [
        attacker.clone(),
        with_state(&attacker, &param(authorize.as_str(), "state")),
        with_state(&attacker, "guess"),
    ] {
        let err = w.hubkey.deliver(&link).unwrap_err();
        assert!(
            matches!(err, Error::NoPendingLogin | Error::AlreadyCompleted),
            "{err}"
        );
    }
    nothing_stored_or_exchanged(&w, "no login pending").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_deep_link_csrf_while_a_login_is_pending_is_refused_and_the_real_link_connects_the_victims_portal(
) {
    let w = world("dl-pending").await;
    let (task, authorize) = start_login(&w).await;
    let attacker = attackers_link(&authorize).await;
    let right_state = param(authorize.as_str(), "state");

    // Guesses, the attacker's own state, and tricks around the right state's spelling.
    let long = "A".repeat(64 * 1024);
    for link in [
        attacker.clone(),
        with_state(&attacker, "guess"),
        with_state(&attacker, &right_state.to_ascii_uppercase()),
        with_state(&attacker, &format!("{right_state}+")),
        with_state(&attacker, &format!("{right_state}%00")),
        with_state(&attacker, "%ff%fe"),
        format!("{attacker}&state={right_state}"),
        format!(
            "hubkey://oauth/callback?code={}&state={long}",
            param(&attacker, "code")
        ),
        format!("hubkey://oauth/callback?code={long}&state=guess"),
        "hubkey://oauth/callback/../callback?code=x&state=guess".to_string(),
        format!("hubkey://evil/callback?code=x&state={right_state}x"),
        format!("hubkey://user@oauth/callback?code=x&state={right_state}x"),
        "hubkey:".to_string(),
        format!("hubkey://oauth/callback#code=x&state={right_state}x"),
    ] {
        assert!(
            w.hubkey.deliver(&link).is_err(),
            "accepted: {}",
            &link[..link.len().min(120)]
        );
        assert!(
            !task.is_finished(),
            "the login ended on {}",
            &link[..link.len().min(120)]
        );
    }
    nothing_stored_or_exchanged(&w, "login pending").await;

    // The real link (HubSpot's redirect through the relay), with extra parameters a page might add: they are
    // ignored, and the victim's own portal is connected.
    let real = grant(&authorize).await;
    let padded =
        format!("{real}&hub_id={ATTACKER}&redirect_uri=https%3A%2F%2Fevil.example&portal={ATTACKER}");
    w.hubkey.deliver(&padded).unwrap();
    let connected = tokio::time::timeout(Duration::from_secs(20), task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(connected.hub_id, VICTIM);
    assert_eq!(
        stored_hubs(&w).await,
        vec![VICTIM],
        "only the victim's portal is stored"
    );

    // Afterwards the attacker's link, even with the used state, is refused, and nothing changes.
    assert!(w.hubkey.deliver(&with_state(&attacker, &right_state)).is_err());
    assert_eq!(w.sandbox.count("/token", Some("authorization_code")), 1);
    assert_eq!(stored_hubs(&w).await, vec![VICTIM]);
}
