//! Windows' credential cap, enforced on every OS (threat-model.md T7).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::store_support;

use hubkey_core::store::{
    check_secret_size, keychain_encoded_len, MemoryStore, SecretKey, SecretStore, MAX_KEYCHAIN_SECRET_BYTES,
};
use hubkey_core::token::TokenSet;
use hubkey_core::ConnectionKey;
use hubkey_core::{AccessToken, ClientSecret, Error, ErrorCode, RefreshToken, Secret};
use store_support::*;

fn access_key() -> SecretKey {
    SecretKey::AccessToken {
        app: "crm".into(),
        hub_id: 42,
        generation: 1,
    }
}

#[test]
fn t7_the_limit_is_windows_credential_blob_size_in_utf16() {
    assert_eq!(MAX_KEYCHAIN_SECRET_BYTES, 5 * 512);
    assert_eq!(keychain_encoded_len("abc"), 6);
    assert_eq!(keychain_encoded_len("é"), 2);
    assert_eq!(keychain_encoded_len("😀"), 4);
}

#[test]
fn t7_given_the_largest_realistic_values_when_checked_then_they_fit() {
    // HubSpot access tokens: ~300 characters today, up to 512 in HubSpot's guidance.
    let access = AccessToken::new("C".repeat(512));
    // Refresh tokens are UUID-like (`na1-xxxx-…`, ~40 characters); allow a generous 256.
    let refresh = RefreshToken::new("r".repeat(256));
    let client_secret = ClientSecret::new(CLIENT_SECRET);
    assert_eq!(client_secret.len(), 36);
    let mem = MemoryStore::new();
    for (key, value) in [
        (access_key(), access.as_secret()),
        (
            SecretKey::RefreshToken {
                app: "crm".into(),
                hub_id: 42,
                generation: 1,
            },
            refresh.as_secret(),
        ),
        (
            SecretKey::ClientSecret { app: "crm".into() },
            client_secret.as_secret(),
        ),
    ] {
        check_secret_size(&key, value).unwrap();
        assert!(keychain_encoded_len(value.expose()) <= MAX_KEYCHAIN_SECRET_BYTES);
        mem.set(&key, value).unwrap();
    }
    // The exact limit fits; one more code unit does not.
    check_secret_size(&access_key(), &Secret::new("x".repeat(1280))).unwrap();
    check_secret_size(&access_key(), &Secret::new("é".repeat(1280))).unwrap();
}

#[test]
fn t7_given_an_oversize_value_when_set_then_secret_too_long_and_nothing_is_stored() {
    let mem = MemoryStore::new();
    for value in ["x".repeat(1281), "😀".repeat(641), "y".repeat(10_000)] {
        let err = mem.set(&access_key(), &Secret::new(value.clone())).unwrap_err();
        match &err {
            Error::SecretTooLong { what, len, limit } => {
                assert_eq!(what, "the access token");
                assert_eq!(*len, keychain_encoded_len(&value));
                assert_eq!(*limit, 2560);
            }
            other => panic!("expected SecretTooLong, got {other:?}"),
        }
        assert!(
            !err.to_string().contains(&value[..8]),
            "the error shows the value"
        );
    }
    assert!(mem.is_empty(), "an oversize value was stored (truncated?)");
}

#[tokio::test]
async fn t7_given_an_oversize_token_when_saving_a_connection_then_refused_before_any_write() {
    let (mem, store, _home) = memory_store("t7");
    store
        .save_app(&app("crm"), &ClientSecret::new(CLIENT_SECRET))
        .await
        .unwrap();
    let writes = mem.writes();
    let t = TokenSet {
        access_token: AccessToken::new("a".repeat(2000)),
        ..tokens("big")
    };
    let err = store
        .save_connection(connection("crm", 42), &t)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::SecretTooLong);
    assert_eq!(
        mem.writes(),
        writes,
        "nothing may be written for an oversize token set"
    );
    assert_eq!(
        store.connection(&ConnectionKey::new("crm", 42)).await.unwrap(),
        None
    );
    let err = store
        .save_app(&app("x"), &ClientSecret::new("s".repeat(1300)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::SecretTooLong);
}
