//! The containers for secret values: one type per role.
//!
//! Client secrets, access tokens, refresh tokens, authorization codes, PKCE verifiers and login
//! `state`s each have their own type ([`ClientSecret`], [`AccessToken`], [`RefreshToken`],
//! [`AuthCode`], [`PkceVerifier`], [`CsrfState`]), so a function that takes three of them (the code
//! exchange) cannot be called with two swapped, and a refresh token cannot be handed out where an
//! access token is expected. [`Secret`] is the role-less container underneath, used only where a
//! value has no role: the keychain boundary ([`crate::store::SecretStore`]) and text put on the
//! clipboard.
//!
//! Every one of them has a redacted `Debug`, and deliberately no `Display`, `Serialize` or
//! `Deserialize`: a secret cannot reach a log line, an error message, an IPC response or a JSON
//! file by accident. The few places that must send or store the value call `expose()`, which is
//! easy to grep for. The bytes live in a [`zeroize::Zeroizing`] string, which overwrites them
//! when the value is dropped in a way the optimiser may not remove (a plain overwrite before
//! `free` may be optimised away).

use std::fmt;
use zeroize::Zeroizing;

/// A secret string without a role (the keychain boundary, clipboard text). Compare with
/// [`Secret::eq_secret`]; there is intentionally no `PartialEq` so that a secret is never compared
/// in a way that ends up in an assertion message.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The raw value, for the few places that must send or store it.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// Length in bytes (for size checks such as Windows' 2560-byte credential cap).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Constant-time-ish equality (length leaks; values do not short-circuit).
    pub fn eq_secret(&self, other: &Secret) -> bool {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    /// A masked form safe to show: the last 4 characters only for long values
    /// (`••••••••abcd`), nothing at all for short ones. Equal to `mask(&self.hint())`.
    pub fn masked(&self) -> String {
        mask(&self.hint())
    }

    /// The part of the value that [`Secret::masked`] reveals: the last [`HINT_CHARS`] characters
    /// of a value at least [`HINT_MIN_CHARS`] long, else the empty string. Not a secret: the
    /// index keeps it (`Connection::access_token_hint`) so that listing connections needs no
    /// keychain read.
    pub fn hint(&self) -> String {
        let n = self.0.chars().count();
        if n >= HINT_MIN_CHARS {
            self.0.chars().skip(n - HINT_CHARS).collect()
        } else {
            String::new()
        }
    }
}

/// How many trailing characters [`Secret::hint`] keeps.
pub const HINT_CHARS: usize = 4;

/// The shortest value whose tail [`Secret::hint`] reveals; shorter values reveal nothing.
pub const HINT_MIN_CHARS: usize = 24;

/// The masked form of a value whose [`Secret::hint`] is `hint`: `••••••••` and the hint.
pub fn mask(hint: &str) -> String {
    format!("••••••••{hint}")
}

/// What every secret type offers generically: its value, for code that handles any of them alike
/// (test helpers comparing two values, size checks).
pub trait ExposeSecret {
    /// The raw value.
    fn expose_secret(&self) -> &str;
}

impl ExposeSecret for Secret {
    fn expose_secret(&self) -> &str {
        self.expose()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

/// Declares a secret type for one role: a [`Secret`] inside, the same redacted `Debug` (naming
/// the role), `expose()`, and conversions to and from [`Secret`] for the keychain boundary.
macro_rules! secret_role {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $name(Secret);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(Secret::new(value))
            }

            /// The raw value, for the few places that must send or store it.
            pub fn expose(&self) -> &str {
                self.0.expose()
            }

            /// Length in bytes.
            pub fn len(&self) -> usize {
                self.0.len()
            }

            /// True when the value is empty.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }

            /// Constant-time-ish equality with another value of the same role.
            pub fn eq_secret(&self, other: &Self) -> bool {
                self.0.eq_secret(&other.0)
            }

            /// See [`Secret::masked`].
            pub fn masked(&self) -> String {
                self.0.masked()
            }

            /// See [`Secret::hint`].
            pub fn hint(&self) -> String {
                self.0.hint()
            }

            /// The role-less value, for the keychain ([`crate::store::SecretStore`] stores [`Secret`]s).
            pub fn as_secret(&self) -> &Secret {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl ExposeSecret for $name {
            fn expose_secret(&self) -> &str {
                self.0.expose()
            }
        }

        impl From<Secret> for $name {
            fn from(value: Secret) -> Self {
                Self(value)
            }
        }
    };
}

secret_role!(
    /// An app's client secret (HubSpot's Auth tab), sent only to the token, introspection and
    /// revocation endpoints (`client_secret_post`).
    ClientSecret
);
secret_role!(
    /// A bearer access token: what `hubkey token` prints and the API calls carry.
    AccessToken
);
secret_role!(
    /// A refresh token: only ever sent to HubSpot's token and revocation endpoints.
    RefreshToken
);
secret_role!(
    /// An authorization code from the redirect (single-use, exchanged at once).
    AuthCode
);
secret_role!(
    /// A PKCE code verifier (RFC 7636), kept in the pending login until the exchange.
    PkceVerifier
);
secret_role!(
    /// A login's `state` (its CSRF token): who knows it can complete the login.
    CsrfState
);

/// How a token is copied: the bare token, or the whole `Authorization` header line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CopyAs {
    /// The token alone.
    #[default]
    Token,
    /// `Authorization: Bearer …`, ready to paste into an HTTP client.
    Header,
}

impl CopyAs {
    /// From the `as_header` flag of the IPC and the hand-over.
    pub fn from_header_flag(as_header: bool) -> Self {
        if as_header {
            CopyAs::Header
        } else {
            CopyAs::Token
        }
    }

    /// Whether this is [`CopyAs::Header`].
    pub fn is_header(self) -> bool {
        self == CopyAs::Header
    }
}

impl AccessToken {
    /// The `Authorization` header's value: `Bearer …`. The one place that formats it.
    pub fn bearer_header(&self) -> Secret {
        Secret::new(format!("Bearer {}", self.expose()))
    }

    /// What a copy puts on the clipboard: the token, or `Authorization: Bearer …`.
    pub fn clipboard_text(&self, how: CopyAs) -> Secret {
        match how {
            CopyAs::Token => self.0.clone(),
            CopyAs::Header => Secret::new(format!("Authorization: {}", self.bearer_header().expose())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_a_secret_when_debug_formatted_then_the_value_is_absent() {
        let s = Secret::new("pat-na1-very-secret-value");
        let dbg = format!("{s:?} {:#?}", Some(&s));
        assert!(!dbg.contains("very-secret"), "{dbg}");
        assert!(dbg.contains("redacted"));
    }

    #[test]
    fn given_a_secret_of_each_role_when_debug_formatted_then_the_role_shows_and_the_value_does_not() {
        let dbg = format!(
            "{:?} {:?} {:?} {:?} {:?} {:?}",
            ClientSecret::new("very-secret-1"),
            AccessToken::new("very-secret-2"),
            RefreshToken::new("very-secret-3"),
            AuthCode::new("very-secret-4"),
            PkceVerifier::new("very-secret-5"),
            CsrfState::new("very-secret-6"),
        );
        assert!(!dbg.contains("very-secret"), "{dbg}");
        for role in [
            "ClientSecret",
            "AccessToken",
            "RefreshToken",
            "AuthCode",
            "PkceVerifier",
            "CsrfState",
        ] {
            assert!(dbg.contains(&format!("{role}([redacted])")), "{dbg}");
        }
    }

    #[test]
    fn given_an_access_token_when_formatted_as_a_header_then_it_is_bearer_and_the_line_names_authorization() {
        let t = AccessToken::new("CJT-abc");
        assert_eq!(t.bearer_header().expose(), "Bearer CJT-abc");
        assert_eq!(t.clipboard_text(CopyAs::Token).expose(), "CJT-abc");
        assert_eq!(
            t.clipboard_text(CopyAs::Header).expose(),
            "Authorization: Bearer CJT-abc"
        );
        assert_eq!(CopyAs::from_header_flag(true), CopyAs::Header);
        assert_eq!(CopyAs::from_header_flag(false), CopyAs::Token);
    }

    #[test]
    fn given_two_secrets_when_compared_then_only_equal_values_match() {
        assert!(Secret::new("abc").eq_secret(&Secret::new("abc")));
        assert!(!Secret::new("abc").eq_secret(&Secret::new("abd")));
        assert!(!Secret::new("abc").eq_secret(&Secret::new("abcd")));
        assert!(AccessToken::new("abc").eq_secret(&AccessToken::new("abc")));
        assert!(!RefreshToken::new("abc").eq_secret(&RefreshToken::new("abd")));
    }

    #[test]
    fn given_a_long_token_when_masked_then_only_the_last_four_characters_show() {
        let s = Secret::new("CIrToaiiMhIHAAEAQAAAARiO1ooBIOP0sgEok-xyz9");
        assert_eq!(s.masked(), "••••••••xyz9");
        assert_eq!(Secret::new("short").masked(), "••••••••");
        assert_eq!(
            AccessToken::new("CIrToaiiMhIHAAEAQAAAARiO1ooBIOP0sgEok-xyz9").masked(),
            "••••••••xyz9"
        );
    }

    #[test]
    fn given_tokens_of_any_length_when_hinted_then_the_mask_of_the_hint_is_the_masked_value() {
        for len in [0usize, 1, 4, 23, 24, 25, 300] {
            let s = Secret::new("x".repeat(len.saturating_sub(4)) + &"abcd"[..len.min(4)]);
            assert_eq!(mask(&s.hint()), s.masked(), "length {len}");
            assert!(s.hint().chars().count() <= HINT_CHARS);
        }
        assert_eq!(
            Secret::new("CIrToaiiMhIHAAEAQAAAARiO1ooBIOP0sgEok-xyz9").hint(),
            "xyz9"
        );
        assert_eq!(Secret::new("short-token-value").hint(), "");
    }
}
