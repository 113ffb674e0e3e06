//! Shared set-up of the bridge tests: the bridge running in-process on line channels (the
//! client's side of stdin/stdout), and a token source that gets its tokens from the HubSpot
//! sandbox over real HTTP (a refresh is a real `grant_type=refresh_token` POST the sandbox logs).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hubkey_core::error::HubSpotFault;
use hubkey_core::{AccessToken, Error, Result};
use hubkey_mcp::{BridgeEnd, BridgeOptions, TokenLease, TokenSource};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use url::Url;

/// Tokens minted by the sandbox, refreshed at its token endpoint.
#[derive(Debug, Clone)]
pub struct SandboxTokens {
    pub http: reqwest::Client,
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub refresh: Arc<Mutex<String>>,
    pub access: Arc<Mutex<AccessToken>>,
    /// How many refreshes this source asked for.
    pub refreshes: Arc<AtomicUsize>,
}

impl SandboxTokens {
    pub fn new(
        token_url: String,
        client_id: &str,
        client_secret: &str,
        tokens: &hubspot_sandbox::Tokens,
    ) -> Self {
        Self {
            http: reqwest::Client::new(),
            token_url,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            refresh: Arc::new(Mutex::new(tokens.refresh_token.clone())),
            access: Arc::new(Mutex::new(AccessToken::new(tokens.access_token.clone()))),
            refreshes: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub fn current(&self) -> AccessToken {
        self.access.lock().unwrap().clone()
    }
}

impl TokenSource for SandboxTokens {
    async fn fresh_token(&self) -> Result<TokenLease> {
        // Like hubkey's refresher with a local clock that says "fresh": reuse for an hour.
        Ok(TokenLease {
            token: self.current(),
            reuse_until: Some(Instant::now() + Duration::from_secs(3600)),
        })
    }

    async fn refresh_after_unauthorized(&self, _rejected: &AccessToken) -> Result<TokenLease> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        let refresh = self.refresh.lock().unwrap().clone();
        let response = self
            .http
            .post(&self.token_url)
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.as_str()),
                ("refresh_token", refresh.as_str()),
            ])
            .send()
            .await
            .map_err(|e| Error::Transient {
                what: e.to_string(),
                retry_after: None,
            })?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status != 200 {
            return Err(Error::NeedsReauth(HubSpotFault {
                http_status: status,
                status: body["status"].as_str().map(str::to_owned),
                ..Default::default()
            }));
        }
        let access = AccessToken::new(body["access_token"].as_str().unwrap().to_owned());
        *self.access.lock().unwrap() = access.clone();
        Ok(TokenLease {
            token: access,
            reuse_until: Some(Instant::now() + Duration::from_secs(3600)),
        })
    }
}

/// The client's end of a running bridge.
pub struct Client {
    pub input: Option<mpsc::Sender<Vec<u8>>>,
    pub output: mpsc::UnboundedReceiver<Vec<u8>>,
    pub task: tokio::task::JoinHandle<BridgeEnd>,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
}

pub fn options(url: &str) -> BridgeOptions {
    let mut o = BridgeOptions::new(Url::parse(url).unwrap());
    o.reconnect_hint = "Reconnect the portal with `hubkey login --app test --portal 1`".into();
    o
}

impl Client {
    pub fn start<S: TokenSource>(options: BridgeOptions, source: S) -> Client {
        let (in_tx, in_rx) = mpsc::channel(64);
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let http = hubkey_mcp::bridge::http_client(&options).unwrap();
        let task = tokio::spawn(hubkey_mcp::run(
            options,
            http,
            source,
            in_rx,
            out_tx,
            async move {
                let _ = stop_rx.await;
            },
        ));
        Client {
            input: Some(in_tx),
            output: out_rx,
            task,
            stop: Some(stop_tx),
        }
    }

    pub async fn send(&self, message: Value) {
        self.send_raw(message.to_string().as_bytes()).await;
    }

    pub async fn send_raw(&self, line: &[u8]) {
        self.input.as_ref().unwrap().send(line.to_vec()).await.unwrap();
    }

    /// The next line on "stdout", parsed; asserts it is one line of JSON.
    pub async fn recv(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(20), self.output.recv())
            .await
            .expect("the bridge answers within 20 s")
            .expect("the bridge's output is open");
        assert!(
            !line.contains(&b'\n'),
            "one message is one line: {}",
            String::from_utf8_lossy(&line)
        );
        serde_json::from_slice(&line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&line)))
    }

    /// Nothing more on stdout within `wait`.
    pub async fn assert_silent(&mut self, wait: Duration) {
        if let Ok(Some(line)) = tokio::time::timeout(wait, self.output.recv()).await {
            panic!("unexpected output: {}", String::from_utf8_lossy(&line));
        }
    }

    pub async fn request(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        self.recv().await
    }

    /// initialize + notifications/initialized; returns the initialize answer.
    pub async fn initialize(&mut self) -> Value {
        let answer = self
            .request(
                0,
                "initialize",
                json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}),
            )
            .await;
        self.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        answer
    }

    /// Closes stdin and waits for the bridge to end.
    pub async fn close(mut self) -> BridgeEnd {
        drop(self.input.take());
        tokio::time::timeout(Duration::from_secs(20), self.task)
            .await
            .expect("the bridge ends")
            .unwrap()
    }

    /// Waits for the bridge to end on its own.
    pub async fn ended(self) -> BridgeEnd {
        tokio::time::timeout(Duration::from_secs(20), self.task)
            .await
            .expect("the bridge ends")
            .unwrap()
    }
}
