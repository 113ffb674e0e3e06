//! A failed command: a core [`Error`] plus, where the CLI knows better, a more precise next step.
//!
//! The error line is `hubkey: <message>. <hint>` (design.md §4: one clear line saying what to do
//! next); the exit code comes from [`Error::exit_code`].

use hubkey_core::Error;

/// Why a command failed.
#[derive(Debug)]
pub struct Failure {
    /// Boxed: the core's error is large, and a `Result` carries it on every return path.
    error: Box<Error>,
    hint: Option<String>,
}

impl Failure {
    /// Replaces the core's generic hint with one that fits the command.
    pub fn with_hint(error: Error, hint: impl Into<String>) -> Self {
        Self {
            error: Box::new(error),
            hint: Some(hint.into()),
        }
    }

    /// The exit code of design.md §4.
    pub fn exit_code(&self) -> u8 {
        u8::try_from(self.error.exit_code()).unwrap_or(1)
    }

    /// The one line printed on stderr.
    pub fn line(&self) -> String {
        let hint = self.hint.clone().unwrap_or_else(|| self.error.hint());
        one_line(&self.error.to_string(), &hint)
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self {
            error: Box::new(error),
            hint: None,
        }
    }
}

/// `hubkey: <message>. <hint>`, without doubled full stops or line breaks.
pub fn one_line(message: &str, hint: &str) -> String {
    let message = message.trim().trim_end_matches('.');
    let line = if hint.trim().is_empty() {
        format!("hubkey: {message}.")
    } else {
        format!("hubkey: {message}. {}", hint.trim())
    };
    line.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hubkey_core::error::HubSpotFault;

    #[test]
    fn given_a_core_error_when_reported_then_it_is_one_line_with_its_hint_and_exit_code() {
        let f = Failure::from(Error::NeedsReauth(HubSpotFault {
            http_status: 400,
            status: Some("BAD_REFRESH_TOKEN".into()),
            ..Default::default()
        }));
        assert_eq!(f.exit_code(), 3);
        let line = f.line();
        assert!(line.starts_with("hubkey: HubSpot no longer accepts"), "{line}");
        assert!(line.contains("Re-authorize"), "{line}");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn given_a_message_ending_with_a_full_stop_when_joined_then_it_is_not_doubled() {
        assert_eq!(one_line("done.", "Next."), "hubkey: done. Next.");
        assert_eq!(one_line("a\nb", ""), "hubkey: a b.");
    }

    #[test]
    fn given_keychain_and_transient_errors_then_exit_codes_are_4_and_5() {
        assert_eq!(
            Failure::from(Error::KeychainUnavailable("x".into())).exit_code(),
            4
        );
        let t = Error::Transient {
            what: "down".into(),
            retry_after: None,
        };
        assert_eq!(Failure::from(t).exit_code(), 5);
        assert_eq!(
            Failure::with_hint(Error::Ambiguous("x".into()), "pass --app").exit_code(),
            2
        );
    }
}
