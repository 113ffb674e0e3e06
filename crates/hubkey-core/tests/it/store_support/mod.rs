//! Fixtures shared by the `store_*` tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hubkey_core::app::{AppConfig, AppKind};
use hubkey_core::store::{Connection, ConnectionState, MemoryStore, TokenStore};
use hubkey_core::token::TokenSet;
use hubkey_core::{AccessToken, RefreshToken};
use std::sync::Arc;
use time::macros::datetime;

pub use hubkey_testkit::TempHome;

pub fn memory_store(tag: &str) -> (Arc<MemoryStore>, TokenStore, TempHome) {
    let mem = Arc::new(MemoryStore::new());
    let home = TempHome::new(tag);
    let store = TokenStore::new(mem.clone(), home.path());
    (mem, store, home)
}

pub fn app(name: &str) -> AppConfig {
    AppConfig {
        name: name.to_string(),
        client_id: "5c3c0b4a-1b2c-4d5e-8f90-123456789abc".to_string(),
        redirect_uri: "http://localhost:3000/oauth/callback".to_string(),
        scopes: vec!["oauth".into(), "crm.objects.contacts.read".into()],
        optional_scopes: vec!["crm.objects.deals.read".into()],
        kind: AppKind::Standard,
        pkce: true,
    }
}

pub const CLIENT_SECRET: &str = "9f8e7d6c-5b4a-3f2e-1d0c-ba9876543210";

pub fn connection(app: &str, hub_id: u64) -> Connection {
    Connection {
        app: app.to_string(),
        hub_id,
        hub_domain: Some(format!("portal-{hub_id}.hubspot.com")),
        user: Some("dev@example.com".into()),
        user_id: Some(77),
        app_id: Some(123456),
        scopes: vec!["oauth".into(), "crm.objects.contacts.read".into()],
        requested_scopes: vec![
            "oauth".into(),
            "crm.objects.contacts.read".into(),
            "crm.objects.deals.read".into(),
        ],
        optional_scopes_missing: vec!["crm.objects.deals.read".into()],
        is_user_level: Some(false),
        installing_user_id: Some(77),
        hublet: None,
        expires_at: datetime!(2026-11-23 10:30 UTC),
        state: ConnectionState::Fresh,
        state_reason: None,
        token_generation: 0,
        refresh_generation: None,
        access_token_hint: None,
        connected_at: datetime!(2026-11-23 10:00 UTC),
        last_refreshed_at: None,
    }
}

/// A token set whose values carry `tag`, so tests can tell generations apart and scan for them.
pub fn tokens(tag: &str) -> TokenSet {
    TokenSet {
        access_token: AccessToken::new(format!("CKXAccessTokenValue-{tag}-{}", "a".repeat(300))),
        refresh_token: RefreshToken::new(format!("na1-refresh-{tag}-0b1c-4d2e-9f3a-8b7c6d5e4f3a")),
        expires_at: datetime!(2026-11-23 10:30 UTC),
        scopes: vec!["oauth".into()],
        hub_id: None,
        user_id: None,
    }
}

pub fn same_tokens(a: &TokenSet, b: &TokenSet) -> bool {
    a.access_token.eq_secret(&b.access_token) && a.refresh_token.eq_secret(&b.refresh_token)
}
