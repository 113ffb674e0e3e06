//! A failed command: a core [`Error`] plus, where the CLI knows better, a more precise next step.
//!
//! The error line is `hubkey: <message>. <hint>` (design.md §4: one clear line saying what to do
//! next); the exit code comes from [`Error::exit_code`].
//!
//! Two documented exceptions to "one line", both chosen by the command, never by accident:
//! * [`Failure::followed_by`]: lines printed *after* the error line. Only `hubkey login` uses it,
//!   and only when no redirect arrived in time: HubSpot shows install errors on its own page and
//!   never redirects, so the install-failure guide follows the error line.
//! * [`Failure::reported`]: the command has its own lines (`hubkey login` prints one line per
//!   preflight error, `hubkey doctor` one summary line) and its own exit code.

use hubkey_core::error::ErrorCode;
use hubkey_core::Error;

/// Why a command failed.
#[derive(Debug)]
pub struct Failure {
    kind: Kind,
    /// Printed after the error line(s).
    follow_up: Vec<String>,
}

#[derive(Debug)]
enum Kind {
    /// Boxed: the core's error is large, and a `Result` carries it on every return path.
    Core { error: Box<Error>, hint: Option<String> },
    /// Lines written by the command, with its exit code.
    Reported { exit_code: u8, lines: Vec<String> },
}

impl Failure {
    /// Replaces the core's generic hint with one that fits the command.
    pub fn with_hint(error: Error, hint: impl Into<String>) -> Self {
        Self {
            kind: Kind::Core {
                error: Box::new(error),
                hint: Some(hint.into()),
            },
            follow_up: Vec::new(),
        }
    }

    /// A failure the command words itself: `lines` (each already `hubkey: …`) and `exit_code`.
    pub fn reported(exit_code: u8, lines: Vec<String>) -> Self {
        Self {
            kind: Kind::Reported { exit_code, lines },
            follow_up: Vec::new(),
        }
    }

    /// Adds lines printed after the error line (see the module docs for when that is allowed).
    pub fn followed_by(mut self, lines: Vec<String>) -> Self {
        self.follow_up.extend(lines);
        self
    }

    /// The exit code of design.md §4.
    pub fn exit_code(&self) -> u8 {
        match &self.kind {
            Kind::Core { error, .. } => u8::try_from(error.exit_code()).unwrap_or(1),
            Kind::Reported { exit_code, .. } => *exit_code,
        }
    }

    /// The error line printed on stderr (the first of [`Failure::lines`]).
    #[cfg(test)]
    pub fn line(&self) -> String {
        self.lines().into_iter().next().unwrap_or_default()
    }

    /// The stable code (hubkey-core's [`ErrorCode`]). A failure the command worded itself has the
    /// code its exit code stands for (1 and 3: `needs_reauth`, 2: `config`, 4:
    /// `keychain_unavailable`, 5: `transient`).
    pub fn code(&self) -> &'static str {
        match &self.kind {
            Kind::Core { error, .. } => error.code().as_str(),
            Kind::Reported { exit_code, .. } => match exit_code {
                1 | 3 => ErrorCode::NeedsReauth.as_str(),
                2 => ErrorCode::Config.as_str(),
                4 => ErrorCode::KeychainUnavailable.as_str(),
                5 => ErrorCode::Transient.as_str(),
                _ => ErrorCode::Internal.as_str(),
            },
        }
    }

    /// The failure under `--json`: one line on stderr,
    /// `{"error":{"code":"…","message":"hubkey: …","exit_code":N}}` (the message is every line of
    /// [`Failure::lines`], joined by spaces). gh keeps errors on stderr under `--json`, so does
    /// Hubkey: stdout holds only what the command printed before it failed, if anything.
    pub fn json_line(&self) -> String {
        let value = serde_json::json!({
            "error": {
                "code": self.code(),
                "message": self.lines().join(" "),
                "exit_code": self.exit_code(),
            }
        });
        value.to_string()
    }

    /// Every line printed on stderr, in order: the error line (one for a core error), then the
    /// follow-up lines.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = match &self.kind {
            Kind::Core { error, hint } => {
                let hint = hint.clone().unwrap_or_else(|| error.hint());
                vec![one_line(&error.to_string(), &hint)]
            }
            Kind::Reported { lines, .. } => lines.clone(),
        };
        lines.extend(self.follow_up.iter().cloned());
        lines
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self {
            kind: Kind::Core {
                error: Box::new(error),
                hint: None,
            },
            follow_up: Vec::new(),
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
        assert_eq!(f.lines(), vec![line]);
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

    #[test]
    fn given_follow_up_lines_then_they_come_after_the_error_line() {
        let f = Failure::from(Error::LoginTimedOut(std::time::Duration::from_secs(5)))
            .followed_by(vec!["guide".into()]);
        let lines = f.lines();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].starts_with("hubkey: no answer from HubSpot"),
            "{lines:?}"
        );
        assert_eq!(lines[1], "guide");
        assert_eq!(f.exit_code(), 5);
    }

    #[test]
    fn given_a_failure_under_json_then_it_is_one_json_line_with_the_stable_code() {
        let f = Failure::with_hint(Error::Ambiguous("several apps".into()), "pass --app");
        let line = f.json_line();
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["error"]["code"], "ambiguous");
        assert_eq!(v["error"]["exit_code"], 2);
        assert_eq!(v["error"]["message"], "hubkey: several apps. pass --app");
        let r: serde_json::Value =
            serde_json::from_str(&Failure::reported(1, vec!["x".into()]).json_line()).unwrap();
        assert_eq!(r["error"]["code"], "needs_reauth");
    }

    #[test]
    fn given_a_reported_failure_then_its_lines_and_code_are_kept() {
        let f = Failure::reported(2, vec!["hubkey: a.".into(), "hubkey: b.".into()]);
        assert_eq!(f.exit_code(), 2);
        assert_eq!(f.line(), "hubkey: a.");
        assert_eq!(f.lines().len(), 2);
        assert!(Failure::reported(4, Vec::new()).lines().is_empty());
    }
}
