//! Helpers for the preflight, install-guide, MCP and doctor tests: the demo apps as Hubkey
//! `AppConfig`s, endpoints pointing at a running sandbox, and fetching HubSpot's (the sandbox's)
//! authorize page for an app.
#![allow(dead_code)]

use hubkey_core::app::{AppConfig, AppKind};
use hubkey_core::client::HubSpotClient;
use hubkey_core::config::Endpoints;
use hubspot_sandbox::{Fixture, Sandbox, SandboxHandle, DEMO_PRO_HUB_ID, DEMO_STANDARD_CLIENT_ID};
use url::Url;

pub const REDIRECT: &str = "http://localhost:53682/callback";

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// The sandbox's demo standard app ("Hubkey Demo"), configured in Hubkey exactly as at HubSpot.
pub fn demo_app() -> AppConfig {
    AppConfig {
        name: "demo".into(),
        client_id: DEMO_STANDARD_CLIENT_ID.into(),
        redirect_uri: REDIRECT.into(),
        scopes: strings(&["oauth", "crm.objects.contacts.read"]),
        optional_scopes: strings(&["crm.objects.deals.read", "automation", "crm.objects.owners.read"]),
        kind: AppKind::Standard,
        pkce: true,
    }
}

/// The demo MCP auth app (`Hubkey MCP`).
pub use hubkey_testkit::mcp_app;

pub fn with_scopes(mut app: AppConfig, scopes: &[&str], optional: &[&str]) -> AppConfig {
    app.scopes = strings(scopes);
    app.optional_scopes = strings(optional);
    app
}

pub async fn sandbox() -> SandboxHandle {
    sandbox_with(Fixture::demo()).await
}

pub async fn sandbox_with(fixture: Fixture) -> SandboxHandle {
    Sandbox::start(fixture).await.expect("the sandbox starts")
}

pub fn endpoints(sb: &SandboxHandle) -> Endpoints {
    Endpoints {
        app_base: Url::parse(&sb.base_url()).unwrap(),
        api_base: Url::parse(&sb.base_url()).unwrap(),
        mcp_base: Url::parse(&sb.mcp_base_url()).unwrap(),
    }
}

/// GETs a URL without following redirects; the body with HTML entities decoded, and the
/// sandbox's `X-Sandbox-Error` kind.
pub async fn fetch(url: &str) -> (Option<String>, String) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = http.get(url).send().await.unwrap();
    assert!(
        response.headers().get("location").is_none(),
        "HubSpot's install errors never redirect"
    );
    let kind = response
        .headers()
        .get("x-sandbox-error")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    (kind, html_escape::decode_html_entities(&text).into_owned())
}

/// The authorize page HubSpot (the sandbox) shows for `app`, with the URL Hubkey builds.
pub async fn authorize_page(sb: &SandboxHandle, app: &AppConfig) -> (Option<String>, String) {
    let client = HubSpotClient::new(endpoints(sb)).unwrap();
    let request = client
        .begin_authorization(app, Some(DEMO_PRO_HUB_ID))
        .expect("Hubkey builds the URL");
    fetch(request.url.as_str()).await
}

/// An authorize URL built by hand (for settings Hubkey refuses to put in a URL).
pub fn raw_authorize_url(sb: &SandboxHandle, pairs: &[(&str, &str)]) -> String {
    let mut url = Url::parse(&format!("{}/oauth/{DEMO_PRO_HUB_ID}/authorize", sb.base_url())).unwrap();
    url.query_pairs_mut().extend_pairs(pairs);
    url.to_string()
}
