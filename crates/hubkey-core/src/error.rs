//! One closed error vocabulary for Hubkey.
//!
//! Every failure the user can meet is a variant of [`Error`]. Each has a stable machine code
//! ([`ErrorCode`], serialised in `snake_case`) that the UI and scripts act on, a plain message
//! (`Display`) and a next step ([`Error::hint`]). No variant carries a secret or a raw HTTP body:
//! HubSpot's `status` and `message` are short, documented strings and are safe to show.
//!
//! The CLI maps errors to the exit codes of design.md §4 with [`Error::exit_code`].

use std::time::Duration;

/// Result alias used across the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Stable error codes. Never renumber or rename: the UI and scripts key on these strings. With the `ts`
/// feature this is the TypeScript string union the window's error handling switches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ErrorCode.ts"))]
pub enum ErrorCode {
    Config,
    UnservableRedirect,
    UnsafeUrl,
    HubspotConfig,
    StateMissing,
    StateMismatch,
    ConsentDenied,
    CallbackInvalid,
    NoPendingLogin,
    AlreadyCompleted,
    LoginTimedOut,
    LoginCancelled,
    PortInUse,
    NeedsReauth,
    Transient,
    UnexpectedResponse,
    KeychainUnavailable,
    KeychainLocked,
    KeychainTimeout,
    SecretTooLong,
    NotSignedIn,
    CorruptRecord,
    NotFound,
    Ambiguous,
    Io,
    PkceRejected,
    Clipboard,
    InvalidInput,
    Preflight,
    Internal,
}

impl ErrorCode {
    /// The code as it appears in JSON and in CLI output.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Config => "config",
            ErrorCode::UnservableRedirect => "unservable_redirect",
            ErrorCode::UnsafeUrl => "unsafe_url",
            ErrorCode::HubspotConfig => "hubspot_config",
            ErrorCode::StateMissing => "state_missing",
            ErrorCode::StateMismatch => "state_mismatch",
            ErrorCode::ConsentDenied => "consent_denied",
            ErrorCode::CallbackInvalid => "callback_invalid",
            ErrorCode::NoPendingLogin => "no_pending_login",
            ErrorCode::AlreadyCompleted => "already_completed",
            ErrorCode::LoginTimedOut => "login_timed_out",
            ErrorCode::LoginCancelled => "login_cancelled",
            ErrorCode::PortInUse => "port_in_use",
            ErrorCode::NeedsReauth => "needs_reauth",
            ErrorCode::Transient => "transient",
            ErrorCode::UnexpectedResponse => "unexpected_response",
            ErrorCode::KeychainUnavailable => "keychain_unavailable",
            ErrorCode::KeychainLocked => "keychain_locked",
            ErrorCode::KeychainTimeout => "keychain_timeout",
            ErrorCode::SecretTooLong => "secret_too_long",
            ErrorCode::NotSignedIn => "not_signed_in",
            ErrorCode::CorruptRecord => "corrupt_record",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Ambiguous => "ambiguous",
            ErrorCode::Io => "io",
            ErrorCode::PkceRejected => "pkce_rejected",
            ErrorCode::Clipboard => "clipboard",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::Preflight => "preflight",
            ErrorCode::Internal => "internal",
        }
    }
}

/// HubSpot's OAuth error body, reduced to the fields that are safe to show
/// (`error`, `status`, `message`; hubspot-oauth.md §2.6). Never holds the raw body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HubSpotFault {
    /// HTTP status code of the response.
    pub http_status: u16,
    /// RFC 6749 `error` (e.g. `invalid_grant`).
    pub error: Option<String>,
    /// HubSpot's legacy `status` (e.g. `BAD_REFRESH_TOKEN`).
    pub status: Option<String>,
    /// HubSpot's human message (`message` or `error_description`).
    pub message: Option<String>,
    /// HubSpot's `correlationId`, for support requests.
    pub correlation_id: Option<String>,
}

impl std::fmt::Display for HubSpotFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}", self.http_status)?;
        if let Some(s) = &self.status {
            write!(f, " {s}")?;
        } else if let Some(e) = &self.error {
            write!(f, " {e}")?;
        }
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        Ok(())
    }
}

/// Every failure Hubkey reports. Closed on purpose: adding a variant is a reviewed change.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad local configuration (an env override, an app definition, a CLI flag).
    #[error("configuration error: {0}")]
    Config(String),

    /// The registered redirect URL is one Hubkey cannot listen on or relay from.
    #[error("Hubkey cannot receive the redirect at {url}: {reason}")]
    UnservableRedirect { url: String, reason: String },

    /// A URL that would be handed to the browser or used as an endpoint is not safe.
    #[error("refused to use the URL {url}: {reason}")]
    UnsafeUrl { url: String, reason: String },

    /// HubSpot rejected our app configuration (`BAD_CLIENT_ID`, `BAD_CLIENT_SECRET`,
    /// `BAD_REDIRECT_URI`, `BAD_GRANT_TYPE`, 415…). Stored tokens are kept.
    #[error("HubSpot rejected the app configuration ({0})")]
    HubSpotConfig(HubSpotFault),

    /// The callback carried no `state`.
    #[error("the sign-in callback had no state parameter; it was not started by Hubkey")]
    StateMissing,

    /// The callback's `state` is not the pending login's.
    #[error("the sign-in callback does not belong to the pending login (state mismatch)")]
    StateMismatch,

    /// The code exchange failed with an error naming the PKCE verifier or challenge
    /// (`BAD_CODE_VERIFIER`, or an `error_description` mentioning `code_verifier`/`code_challenge`):
    /// HubSpot's handling of PKCE on standard apps is undocumented (hubspot-oauth.md §1.4), and an app
    /// may be one that refuses it. Nothing was stored.
    #[error("HubSpot refused this sign-in's PKCE code verifier ({0})")]
    PkceRejected(HubSpotFault),

    /// HubSpot redirected back with `error` (for example `access_denied`).
    #[error("HubSpot did not grant access: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    ConsentDenied {
        error: String,
        description: Option<String>,
    },

    /// The callback URL is malformed (wrong path, duplicate parameters, no code…).
    #[error("invalid sign-in callback: {0}")]
    CallbackInvalid(String),

    /// A callback arrived while no login was pending.
    #[error("no sign-in is in progress")]
    NoPendingLogin,

    /// The login already completed; a second callback is ignored.
    #[error("this sign-in has already completed")]
    AlreadyCompleted,

    /// No callback arrived in time.
    #[error("no answer from HubSpot after {} s", .0.as_secs())]
    LoginTimedOut(Duration),

    /// The user cancelled the login.
    #[error("sign-in cancelled")]
    LoginCancelled,

    /// The loopback port of the registered redirect URL is taken.
    #[error("port {port} on localhost is already in use")]
    PortInUse { port: u16 },

    /// The refresh token is revoked, unknown or the portal is gone: re-authorize.
    #[error("HubSpot no longer accepts this connection's refresh token ({0})")]
    NeedsReauth(HubSpotFault),

    /// 429, 5xx, timeouts, dropped connections. Worth retrying.
    #[error("HubSpot is unavailable right now: {what}")]
    Transient {
        what: String,
        retry_after: Option<Duration>,
    },

    /// HubSpot answered something we could not understand (the body is never included).
    #[error("unexpected answer from HubSpot: {0}")]
    UnexpectedResponse(String),

    /// No usable OS keychain (no Secret Service, no D-Bus, SSH session on Windows…).
    #[error("the system keychain is not available: {0}")]
    KeychainUnavailable(String),

    /// The keychain exists but is locked.
    #[error("the system keychain is locked")]
    KeychainLocked,

    /// The keychain did not answer in time (a locked Secret Service can hang).
    #[error("the system keychain did not answer within {} s", .0.as_secs())]
    KeychainTimeout(Duration),

    /// A value exceeds what the platform keychain can hold.
    #[error("{what} is too long for the system keychain ({len} bytes, limit {limit})")]
    SecretTooLong { what: String, len: usize, limit: usize },

    /// No secret stored for this connection/app.
    #[error("not signed in: {0}")]
    NotSignedIn(String),

    /// A stored record could not be read (kept, not deleted).
    #[error("a stored record is unreadable: {0}")]
    CorruptRecord(String),

    /// A named app or connection does not exist.
    #[error("{0}")]
    NotFound(String),

    /// A selection matched several apps or connections.
    #[error("{0}")]
    Ambiguous(String),

    /// File system trouble (index, locks, logs).
    #[error("file error: {0}")]
    Io(String),

    /// Input refused before anything was done: an app registration the rules refuse
    /// ([`crate::draft::AppDraft::validate`]; the message is every error, in field order), a name already
    /// taken, a value too long.
    #[error("{0}")]
    InvalidInput(String),

    /// A sign-in refused before it started: HubSpot's rules, checked against the app, found errors
    /// ([`crate::preflight`]). The message is the first error; the report has every finding.
    #[error("{}", preflight_message(.0))]
    Preflight(Box<crate::preflight::report::PreflightReport>),

    /// The system clipboard refused a copy (no clipboard in this session, another program holding it).
    #[error("cannot write to the clipboard: {0}")]
    Clipboard(String),

    /// HubSpot rotated the refresh token, and the keychain did not save the new one after several tries
    /// (docs/SECURITY.md, finding 9). The new token set is kept in the running process, which retries;
    /// code `keychain_unavailable`.
    #[error("HubSpot issued a new refresh token, but the keychain did not save it ({cause}); Hubkey keeps it in this process and retries. If this process ends first, the portal must be connected again")]
    UnsavedRefreshToken { cause: String },

    /// The Hubkey home folder (or a folder in it) could be changed by another user: Hubkey stops before it reads
    /// or writes anything there (docs/SECURITY.md, finding 3). Code `config`; the hint is the one-line fix.
    #[error("refusing to use {path}: {reason}")]
    UnsafeHome {
        path: String,
        reason: String,
        fix: String,
    },
}

impl Error {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Config(_) => ErrorCode::Config,
            Error::UnservableRedirect { .. } => ErrorCode::UnservableRedirect,
            Error::UnsafeUrl { .. } => ErrorCode::UnsafeUrl,
            Error::HubSpotConfig(_) => ErrorCode::HubspotConfig,
            Error::StateMissing => ErrorCode::StateMissing,
            Error::StateMismatch => ErrorCode::StateMismatch,
            Error::ConsentDenied { .. } => ErrorCode::ConsentDenied,
            Error::CallbackInvalid(_) => ErrorCode::CallbackInvalid,
            Error::NoPendingLogin => ErrorCode::NoPendingLogin,
            Error::AlreadyCompleted => ErrorCode::AlreadyCompleted,
            Error::LoginTimedOut(_) => ErrorCode::LoginTimedOut,
            Error::LoginCancelled => ErrorCode::LoginCancelled,
            Error::PortInUse { .. } => ErrorCode::PortInUse,
            Error::NeedsReauth(_) => ErrorCode::NeedsReauth,
            Error::Transient { .. } => ErrorCode::Transient,
            Error::UnexpectedResponse(_) => ErrorCode::UnexpectedResponse,
            Error::KeychainUnavailable(_) => ErrorCode::KeychainUnavailable,
            Error::KeychainLocked => ErrorCode::KeychainLocked,
            Error::KeychainTimeout(_) => ErrorCode::KeychainTimeout,
            Error::SecretTooLong { .. } => ErrorCode::SecretTooLong,
            Error::NotSignedIn(_) => ErrorCode::NotSignedIn,
            Error::CorruptRecord(_) => ErrorCode::CorruptRecord,
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::Ambiguous(_) => ErrorCode::Ambiguous,
            Error::Io(_) => ErrorCode::Io,
            Error::Clipboard(_) => ErrorCode::Clipboard,
            Error::InvalidInput(_) => ErrorCode::InvalidInput,
            Error::Preflight(_) => ErrorCode::Preflight,
            Error::PkceRejected(_) => ErrorCode::PkceRejected,
            Error::UnsafeHome { .. } => ErrorCode::Config,
            Error::UnsavedRefreshToken { .. } => ErrorCode::KeychainUnavailable,
        }
    }

    /// What the user should do next, in one sentence.
    pub fn hint(&self) -> String {
        match self {
            Error::Config(_) => "Check the app's settings or the HUBKEY_* environment variables.".into(),
            Error::UnservableRedirect { .. } => {
                "Register a redirect URL of the form http://localhost:PORT/PATH (or an https relay page) at HubSpot and in Hubkey.".into()
            }
            Error::UnsafeUrl { .. } => "Use https URLs (http only on localhost) for HubSpot endpoints.".into(),
            Error::HubSpotConfig(f) => match f.status.as_deref() {
                Some("BAD_CLIENT_ID") => "Copy the client ID again from the app's Auth tab in HubSpot.".into(),
                Some("BAD_CLIENT_SECRET") => "Copy the client secret again from the app's Auth tab and re-enter it in Hubkey.".into(),
                Some("BAD_REDIRECT_URI") => "Make the redirect URL in Hubkey identical (scheme, host, port, path) to the one registered at HubSpot.".into(),
                _ => "Check the app's client ID, secret and redirect URL against HubSpot's Auth tab; your tokens were kept.".into(),
            },
            Error::StateMissing | Error::StateMismatch | Error::CallbackInvalid(_) => {
                "Ignore this callback; if you started a sign-in, finish it in the browser window Hubkey opened.".into()
            }
            Error::PkceRejected(_) => "If HubSpot refuses the verifier on every sign-in, it does not accept PKCE for this app: retry once without PKCE (`hubkey login --no-pkce`, or \"Retry without PKCE\" in the window), or turn PKCE off for the app (`hubkey app add NAME … --no-pkce`, or the PKCE switch when registering it in the window). MCP auth apps always need PKCE.".into(),
            Error::ConsentDenied { error, .. } if is_refused_code(error) => {
                "Start the sign-in again: HubSpot's authorization code was refused (it is single-use and expires within minutes).".into()
            }
            Error::ConsentDenied { .. } => "Start the sign-in again and choose \"Grant access\" on HubSpot's consent page.".into(),
            Error::NoPendingLogin | Error::AlreadyCompleted => "Nothing to do; start a new sign-in if you need one.".into(),
            Error::LoginTimedOut(_) => {
                "If HubSpot showed an error page, see the install-failure guide; otherwise start the sign-in again.".into()
            }
            Error::LoginCancelled => "Start the sign-in again when you are ready.".into(),
            Error::PortInUse { port } => format!(
                "Stop the program listening on port {port} (e.g. `lsof -i :{port}`), or register another localhost port at HubSpot and in Hubkey."
            ),
            Error::NeedsReauth(_) => "Re-authorize the connection (the app may have been uninstalled from the portal).".into(),
            Error::Transient { .. } => "Try again in a moment; Hubkey retries refreshes automatically.".into(),
            Error::UnexpectedResponse(_) => "Try again; if it persists, check the HubSpot status page.".into(),
            Error::KeychainUnavailable(_) => {
                "Start your desktop's keychain (on Linux: gnome-keyring or KeePassXC with Secret Service) and try again.".into()
            }
            Error::KeychainLocked => "Unlock your keychain (log in to the desktop session) and try again.".into(),
            Error::KeychainTimeout(_) => "Unlock your keychain; if a prompt is hidden, look for it and answer it.".into(),
            Error::SecretTooLong { .. } => "This value cannot be stored in this keychain.".into(),
            Error::NotSignedIn(_) => "Connect the portal again (hubkey login).".into(),
            Error::CorruptRecord(_) => "Connect the portal again; the unreadable record was kept for inspection.".into(),
            Error::NotFound(_) | Error::Ambiguous(_) => "See `hubkey status` for the apps and portals you have.".into(),
            Error::Io(_) => "Check that HUBKEY_HOME is writable.".into(),
            Error::InvalidInput(_) => "Correct the input and try again.".into(),
            Error::Preflight(report) => report
                .with_severity(crate::preflight::report::Severity::Error)
                .next()
                .map(|f| f.fix.clone())
                .unwrap_or_else(|| "Fix the app's settings and sign in again.".into()),
            Error::Clipboard(_) => "Try again; if it keeps failing, check that the desktop session has a clipboard.".into(),
            Error::UnsafeHome { fix, .. } => fix.clone(),
            Error::UnsavedRefreshToken { .. } => {
                "Unlock or restart your keychain and keep Hubkey running until it has saved the token.".into()
            }
        }
    }

    /// [`Error::hint`], except where the message already says what to do: input refused by the
    /// registration rules (each message is its own instruction).
    pub fn hint_if_any(&self) -> Option<String> {
        match self {
            Error::InvalidInput(_) => None,
            _ => Some(self.hint()),
        }
    }

    /// Exit code for the CLI (design.md §4): 2 usage/configuration, 3 re-authorization needed,
    /// 4 keychain unavailable, 5 HubSpot or network failure after retries.
    pub fn exit_code(&self) -> i32 {
        match self.code() {
            ErrorCode::NeedsReauth | ErrorCode::NotSignedIn | ErrorCode::CorruptRecord => 3,
            ErrorCode::KeychainUnavailable
            | ErrorCode::KeychainLocked
            | ErrorCode::KeychainTimeout
            | ErrorCode::SecretTooLong => 4,
            ErrorCode::Transient
            | ErrorCode::UnexpectedResponse
            | ErrorCode::ConsentDenied
            | ErrorCode::LoginTimedOut
            | ErrorCode::LoginCancelled
            | ErrorCode::StateMissing
            | ErrorCode::StateMismatch
            | ErrorCode::CallbackInvalid
            | ErrorCode::NoPendingLogin
            | ErrorCode::AlreadyCompleted => 5,
            _ => 2,
        }
    }

    /// True when retrying later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Transient { .. })
    }
}

/// The first preflight error, with how many more there are.
fn preflight_message(report: &crate::preflight::report::PreflightReport) -> String {
    let errors: Vec<_> = report
        .with_severity(crate::preflight::report::Severity::Error)
        .collect();
    match errors.as_slice() {
        [] => format!("The app “{}” is ready to sign in.", report.app),
        [only] => only.message.clone(),
        [first, rest @ ..] => format!(
            "{} ({} more problem{} below.)",
            first.message,
            rest.len(),
            if rest.len() == 1 { "" } else { "s" }
        ),
    }
}

/// A refused authorization code (not a user's "no" on the consent page).
fn is_refused_code(error: &str) -> bool {
    matches!(error, "BAD_AUTH_CODE" | "EXPIRED_AUTH_CODE" | "invalid_grant")
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_a_pkce_refusal_then_the_code_is_new_and_the_hint_names_both_fixes_not_grant_access() {
        let e = Error::PkceRejected(HubSpotFault {
            http_status: 400,
            status: Some("BAD_CODE_VERIFIER".into()),
            ..Default::default()
        });
        assert_eq!(e.code().as_str(), "pkce_rejected");
        assert!(e.to_string().contains("PKCE code verifier"), "{e}");
        let hint = e.hint();
        assert!(
            hint.contains("--no-pkce") && hint.contains("PKCE switch"),
            "the per-app setting: {hint}"
        );
        assert!(
            hint.contains("hubkey login --no-pkce") && hint.contains("Retry without PKCE"),
            "the retry: {hint}"
        );
        assert!(!hint.contains("Grant access"), "{hint}");
        // A refused code is not a \"no\" on the consent page either.
        let code = Error::ConsentDenied {
            error: "BAD_AUTH_CODE".into(),
            description: None,
        };
        assert!(!code.hint().contains("Grant access"), "{}", code.hint());
        let denied = Error::ConsentDenied {
            error: "access_denied".into(),
            description: None,
        };
        assert!(denied.hint().contains("Grant access"));
    }

    #[test]
    fn given_each_error_when_coded_then_the_code_string_is_stable_snake_case() {
        let e = Error::PortInUse { port: 3000 };
        assert_eq!(e.code().as_str(), "port_in_use");
        assert_eq!(serde_json::to_string(&e.code()).unwrap(), "\"port_in_use\"");
        assert!(e.to_string().contains("3000"));
        assert!(e.hint().contains("3000"));
    }

    #[test]
    fn given_errors_when_mapped_to_exit_codes_then_they_follow_the_cli_contract() {
        let fault = HubSpotFault {
            http_status: 400,
            ..Default::default()
        };
        assert_eq!(Error::NeedsReauth(fault.clone()).exit_code(), 3);
        assert_eq!(Error::KeychainLocked.exit_code(), 4);
        assert_eq!(
            Error::Transient {
                what: "HTTP 503".into(),
                retry_after: None
            }
            .exit_code(),
            5
        );
        assert_eq!(Error::HubSpotConfig(fault.clone()).exit_code(), 2);
        assert_eq!(Error::PkceRejected(fault).exit_code(), 2, "a setting to change");
        assert_eq!(Error::Config("x".into()).exit_code(), 2);
    }
}
