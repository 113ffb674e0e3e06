//! The one container for secret values.
//!
//! Tokens, authorization codes, PKCE verifiers and client secrets are only ever held in a
//! [`Secret`]. It has a redacted `Debug`, and deliberately no `Display`, `Serialize` or
//! `Deserialize`: a secret cannot reach a log line, an error message, an IPC response or a JSON
//! file by accident. The few places that must send or store the value call [`Secret::expose`],
//! which is easy to grep for.

use std::fmt;

/// A secret string (access token, refresh token, authorization code, PKCE verifier, client
/// secret). Compare with [`Secret::eq_secret`]; there is intentionally no `PartialEq` so that a
/// secret is never compared in a way that ends up in an assertion message.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw value, for the few places that must send or store it.
    pub fn expose(&self) -> &str {
        &self.0
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

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // Best effort: overwrite the bytes before the allocation is freed.
        // SAFETY-free variant: replace the content with zeros of the same length.
        let len = self.0.len();
        self.0.clear();
        self.0.extend(std::iter::repeat_n('\0', len));
        self.0.clear();
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
    fn given_two_secrets_when_compared_then_only_equal_values_match() {
        assert!(Secret::new("abc").eq_secret(&Secret::new("abc")));
        assert!(!Secret::new("abc").eq_secret(&Secret::new("abd")));
        assert!(!Secret::new("abc").eq_secret(&Secret::new("abcd")));
    }

    #[test]
    fn given_a_long_token_when_masked_then_only_the_last_four_characters_show() {
        let s = Secret::new("CIrToaiiMhIHAAEAQAAAARiO1ooBIOP0sgEok-xyz9");
        assert_eq!(s.masked(), "••••••••xyz9");
        assert_eq!(Secret::new("short").masked(), "••••••••");
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
