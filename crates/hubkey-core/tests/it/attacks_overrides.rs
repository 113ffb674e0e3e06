//! Issue 18, point 7: endpoint overrides an attacker might plant in a developer's shell (an `.envrc`, a
//! script's `export`), and a token endpoint that answers with a redirect. Only https, or plain http to a
//! literal loopback address, is accepted as an override, the rest is refused with the reason; and no
//! redirect from an endpoint that receives the client secret is ever followed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use hubkey_core::app::{AppConfig, AppKind};
use hubkey_core::client::HubSpotClient;
use hubkey_core::config::{env, Endpoints};
use hubkey_core::{ClientSecret, ErrorCode, RefreshToken};
use tokio::net::TcpListener;
use url::Url;

const VARS: [&str; 3] = [env::APP_BASE_URL, env::API_BASE_URL, env::MCP_BASE_URL];

fn only(var: &'static str, value: &'static str) -> impl Fn(&str) -> Option<String> {
    move |name| (name == var).then(|| value.to_string())
}

#[test]
fn attack_endpoint_overrides_to_names_that_look_local_to_other_schemes_or_with_credentials_are_refused_with_the_reason(
) {
    for var in VARS {
        for (bad, why) in [
            ("http://localhost.evil.example", "plain http"),
            ("http://127.0.0.1.nip.io:8080", "plain http"),
            ("http://127.0.0.1@evil.example", "plain http"),
            ("http://[::ffff:7f00:1]:8080", "plain http"),
            ("http://[::ffff:127.0.0.1]", "plain http"),
            ("http://localhost:8080", "plain http"),
            ("http://evil.example", "plain http"),
            ("http://10.0.0.1", "plain http"),
            ("file:///", "scheme file:"),
            ("file:///etc/passwd", "scheme file:"),
            ("ftp://127.0.0.1", "scheme ftp:"),
            ("javascript:alert(1)", "scheme javascript:"),
            ("https://user:pass@api.hubapi.com", "credentials"),
            ("http://user@127.0.0.1:8080", "credentials"),
            ("https://api.hubapi.com/?x=1", "no query"),
            ("not a url", "not a URL"),
        ] {
            let err = Endpoints::from_lookup(only(var, bad)).unwrap_err();
            assert!(
                matches!(err.code(), ErrorCode::UnsafeUrl | ErrorCode::Config),
                "{var}={bad}: {err}"
            );
            let text = err.to_string();
            assert!(text.contains(why), "{var}={bad}: the reason is missing: {text}");
            assert!(
                text.contains(var),
                "{var}={bad}: the variable is not named: {text}"
            );
        }
    }
}

#[test]
fn attack_https_overrides_of_another_host_are_accepted_only_with_a_warning_and_literal_loopback_http_without_one(
) {
    for var in VARS {
        let e = Endpoints::from_lookup(only(var, "https://evil.example")).unwrap();
        let warning = e
            .override_warning()
            .expect("an https override of another host is named");
        assert!(
            warning.contains(&format!("{var}=https://evil.example/")),
            "{warning}"
        );

        for good in [
            "http://127.0.0.1:4010",
            "http://127.8.9.10:4010",
            "http://[::1]:4010",
        ] {
            let e =
                Endpoints::from_lookup(only(var, good)).unwrap_or_else(|err| panic!("{var}={good}: {err}"));
            assert!(!e.is_hubspot(), "{var}={good}");
        }
    }
}

/// Answers every connection on `listener` with `response` after reading the request head, counting them.
async fn answer_all(listener: TcpListener, response: String, count: Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    while let Ok((mut s, _)) = listener.accept().await {
        count.fetch_add(1, Ordering::SeqCst);
        let response = response.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(response.as_bytes()).await;
            let _ = s.shutdown().await;
        });
    }
}

/// A token endpoint that answers every request with a 307 to another local server, and how many
/// connections that other server got.
async fn redirecting_token_endpoint() -> (Url, Arc<AtomicUsize>) {
    let reached = Arc::new(AtomicUsize::new(0));
    let catch = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let to = format!("http://{}/stolen", catch.local_addr().unwrap());
    tokio::spawn(answer_all(
        catch,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}"
            .to_string(),
        Arc::clone(&reached),
    ));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(answer_all(
        listener,
        format!("HTTP/1.1 307 Temporary Redirect\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"),
        Arc::new(AtomicUsize::new(0)),
    ));
    (Url::parse(&format!("http://{addr}")).unwrap(), reached)
}

#[tokio::test]
async fn attack_a_token_endpoint_that_redirects_elsewhere_is_not_followed_and_the_secrets_go_nowhere_else() {
    let (base, reached) = redirecting_token_endpoint().await;
    let client = HubSpotClient::new(Endpoints {
        app_base: base.clone(),
        api_base: base.clone(),
        mcp_base: base,
    })
    .unwrap();
    let app = AppConfig {
        name: "demo".into(),
        client_id: hubspot_sandbox::DEMO_STANDARD_CLIENT_ID.into(),
        redirect_uri: "http://localhost:53682/callback".into(),
        scopes: vec!["oauth".into()],
        optional_scopes: vec![],
        kind: AppKind::Standard,
        pkce: true,
    };
    let secret = ClientSecret::new("the-client-secret".to_string());
    let err = client
        .refresh(
            &app,
            &secret,
            &RefreshToken::new("the-refresh-token".to_string()),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap_err();
    assert_eq!(reached.load(Ordering::SeqCst), 0, "the redirect was followed");
    assert_ne!(
        err.code(),
        ErrorCode::NeedsReauth,
        "a redirect is not a refusal of the token: {err}"
    );
    let text = err.to_string();
    assert!(
        !text.contains("the-refresh-token") && !text.contains("the-client-secret"),
        "{text}"
    );
}
