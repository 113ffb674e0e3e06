//! Helpers shared by the sandbox's HTTP-level tests: a started sandbox, a client that does not
//! follow redirects, and the steps of the browser and token legs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hubspot_sandbox::{Fixture, Sandbox, SandboxHandle, DEMO_STANDARD_CLIENT_ID};
use reqwest::header::{HeaderMap, LOCATION};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const STD_SECRET: &str = "0d6e4c2a-9f8b-4e7d-a6c5-b4a3f2e1d0c9";
pub const REDIRECT: &str = "http://localhost:53682/callback";
pub const BASE_SCOPE: &str = "oauth crm.objects.contacts.read";

/// A started sandbox and an HTTP client that never follows redirects.
pub struct Env {
    pub sb: SandboxHandle,
    pub http: reqwest::Client,
}

/// A page or JSON answer, fully read.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn location(&self) -> String {
        self.headers
            .get(LOCATION)
            .unwrap_or_else(|| panic!("no Location; status {} body {}", self.status, self.text))
            .to_str()
            .unwrap()
            .to_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(|v| v.to_str().unwrap().to_owned())
    }

    /// Asserts this is an authorize error page of `kind` that contains `message`, and no redirect.
    pub fn assert_error_page(&self, kind: &str, message: &str) {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "error pages answer 200 like HubSpot's SPA"
        );
        assert!(
            self.headers.get(LOCATION).is_none(),
            "an error page must never redirect"
        );
        assert_eq!(
            self.header("x-sandbox-error").as_deref(),
            Some(kind),
            "{}",
            self.text
        );
        assert!(self.text.contains(&format!("data-sandbox-error=\"{kind}\"")));
        let escaped = html_escape::encode_text(message).to_string();
        assert!(
            self.text.contains(&escaped),
            "page lacks {message:?}:\n{}",
            self.text
        );
    }
}

/// Query-string pairs of a URL, decoded.
pub fn query_of(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url).unwrap().query_pairs().into_owned().collect()
}

pub fn query_value(url: &str, name: &str) -> Option<String> {
    query_of(url).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// A PKCE pair (verifier, S256 challenge).
pub fn pkce() -> (String, String) {
    let verifier = "sandbox-test-verifier-0123456789-abcdefghijklmnop".to_owned();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// Extracts `name="…" value="…"` from a page.
pub fn hidden_value(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in page:\n{page}"))
        + marker.len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end].to_owned()
}

/// Extracts the consent form's `action`.
pub fn form_action(page: &str) -> String {
    let marker = "<form method=\"post\" action=\"";
    let start = page.find(marker).expect("no form") + marker.len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end].to_owned()
}

pub async fn env() -> Env {
    env_with(Fixture::demo()).await
}

pub async fn env_with(fixture: Fixture) -> Env {
    let sb = Sandbox::start(fixture).await.expect("sandbox starts");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Env { sb, http }
}

impl Env {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sb.base_url())
    }

    pub fn mcp_url(&self, path: &str) -> String {
        format!("{}{path}", self.sb.mcp_base_url())
    }

    /// `{base}{path}?{pairs}` with `url`'s form encoding (spaces as `+`).
    pub fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
        let mut url = url::Url::parse(base).unwrap();
        url.query_pairs_mut().extend_pairs(pairs);
        url.to_string()
    }

    /// The standard demo app's authorize URL with the given extra/overriding parameters.
    pub fn authorize_url(&self, path: &str, overrides: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("client_id", DEMO_STANDARD_CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("scope", BASE_SCOPE),
            ("state", "st-123"),
        ];
        for (k, v) in overrides {
            pairs.retain(|(pk, _)| pk != k);
            if !v.is_empty() {
                pairs.push((k, v));
            }
        }
        Env::with_query(&self.url(path), &pairs)
    }

    pub async fn get(&self, url: &str) -> Answer {
        read(self.http.get(url).send().await.expect("GET")).await
    }

    pub async fn post_form(&self, url: &str, fields: &[(&str, &str)]) -> Answer {
        read(self.http.post(url).form(fields).send().await.expect("POST")).await
    }

    /// Submits a consent page's form with `decision`, from the page's own listener.
    pub async fn submit_consent(&self, page_url: &str, page: &str, decision: &str) -> Answer {
        let origin = url::Url::parse(page_url).unwrap().origin().ascii_serialization();
        let action = format!("{origin}{}", form_action(page));
        let pending = hidden_value(page, "pending_id");
        self.post_form(&action, &[("pending_id", &pending), ("decision", decision)])
            .await
    }

    /// Browser leg through the consent page: GET authorize → "Grant access" → the 302 location.
    pub async fn consent_flow(&self, authorize_url: &str) -> String {
        let page = self.get(authorize_url).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text.contains("data-sandbox-page=\"consent\""),
            "not a consent page:\n{}",
            page.text
        );
        let answer = self.submit_consent(authorize_url, &page.text, "grant").await;
        assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.text);
        answer.location()
    }

    /// A code for the standard app on the Professional portal via the consent page.
    pub async fn code(&self, overrides: &[(&str, &str)]) -> String {
        let url = self.authorize_url(
            &format!("/oauth/{}/authorize", hubspot_sandbox::DEMO_PRO_HUB_ID),
            overrides,
        );
        let location = self.consent_flow(&url).await;
        query_value(&location, "code").unwrap_or_else(|| panic!("no code in {location}"))
    }

    pub async fn token(&self, version: &str, fields: &[(&str, &str)]) -> Answer {
        self.post_form(&self.url(&format!("/oauth/{version}/token")), fields)
            .await
    }

    /// Exchanges a code of the standard app (v3).
    pub async fn exchange(&self, code: &str) -> Answer {
        self.token(
            "v3",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", DEMO_STANDARD_CLIENT_ID),
                ("client_secret", STD_SECRET),
                ("redirect_uri", REDIRECT),
                ("code", code),
            ],
        )
        .await
    }

    /// Refreshes a standard-app refresh token on `version`.
    pub async fn refresh(&self, version: &str, refresh_token: &str) -> Answer {
        self.token(
            version,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", DEMO_STANDARD_CLIENT_ID),
                ("client_secret", STD_SECRET),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    /// Full install of the standard app on the Professional portal: the token response.
    pub async fn install(&self) -> Value {
        let code = self.code(&[]).await;
        let answer = self.exchange(&code).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        answer.json()
    }

    pub async fn bearer_get(&self, url: &str, token: &str) -> Answer {
        read(self.http.get(url).bearer_auth(token).send().await.expect("GET")).await
    }
}

pub async fn read(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    Answer {
        status,
        headers,
        text,
    }
}

/// Asserts a token-endpoint error: HTTP 400 with the full HubSpot body.
pub fn assert_oauth_error(answer: &Answer, status: &str, error: &str) {
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
    let body = answer.json();
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(body["message"], body["error_description"]);
    assert_eq!(body["correlationId"].as_str().map(str::len), Some(36));
}
