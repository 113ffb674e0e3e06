//! Errors of the desktop host: startup failures (reported once, then the process exits) and the error shape
//! commands hand to the UI.

use serde::Serialize;

/// Why the app could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// hubkey-core refused something (an environment override, the home directory, ...).
    #[error(transparent)]
    Core(#[from] hubkey_core::Error),
    /// The log directory or log file could not be prepared.
    #[error("cannot set up logging in {path}: {source}")]
    Logging {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Tauri could not build or run the app (no display, webview failure, ...).
    #[error("the desktop shell failed: {0}")]
    Tauri(#[from] tauri::Error),
}

impl Error {
    /// Exit codes follow the CLI contract (design.md §4): core errors keep theirs (2 for configuration),
    /// everything else is 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Core(e) => u8::try_from(e.exit_code()).unwrap_or(1),
            Error::Logging { .. } | Error::Tauri(_) => 1,
        }
    }
}

/// The error a command returns to the UI: a stable machine-readable `code`, a sentence for people and, when
/// there is one, what to do next. Built from [`hubkey_core::Error`], whose messages never carry secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export_to = "CommandError.ts")]
pub struct CommandError {
    /// A [`hubkey_core::ErrorCode`] string (`needs_reauth`, `port_in_use`…) or one of the host's own:
    /// `invalid_input`, `io`, `internal`.
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
}

impl CommandError {
    /// An error of the host itself (not from hubkey-core).
    pub fn new(code: &str, message: impl Into<String>, hint: Option<&str>) -> Self {
        CommandError {
            code: code.to_string(),
            message: message.into(),
            hint: hint.map(str::to_string),
        }
    }

    /// Input the command refuses before doing anything (validation failures).
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new("invalid_input", message, None)
    }
}

impl From<hubkey_core::Error> for CommandError {
    fn from(error: hubkey_core::Error) -> Self {
        CommandError {
            code: error.code().as_str().to_string(),
            message: error.to_string(),
            hint: Some(error.hint()),
        }
    }
}

impl From<Error> for CommandError {
    fn from(error: Error) -> Self {
        match error {
            Error::Core(e) => e.into(),
            Error::Logging { .. } => CommandError::new("io", error.to_string(), None),
            Error::Tauri(_) => CommandError::new("internal", error.to_string(), None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_exit_2_and_keep_their_code_for_the_ui() {
        let error = Error::from(hubkey_core::Error::Config("HUBKEY_HOME is wrong".into()));
        assert_eq!(error.exit_code(), 2);
        let for_ui = CommandError::from(error);
        assert_eq!(for_ui.code, hubkey_core::ErrorCode::Config.as_str());
        assert!(for_ui.message.contains("HUBKEY_HOME is wrong"));
        assert!(for_ui.hint.is_some_and(|h| !h.is_empty()));
    }

    #[test]
    fn logging_errors_exit_1() {
        let error = Error::Logging {
            path: "/x".into(),
            source: std::io::Error::other("denied"),
        };
        assert_eq!(error.exit_code(), 1);
        assert_eq!(CommandError::from(error).code, "io");
    }
}
