//! Errors of the desktop host's start-up: reported once, then the process exits. What a command hands the UI is
//! hubkey-core's [`CommandError`] (its `code` is the core's `ErrorCode`).

use hubkey_core::view::CommandError;
use hubkey_core::ErrorCode;

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

impl From<Error> for CommandError {
    fn from(error: Error) -> Self {
        match error {
            Error::Core(e) => e.into(),
            Error::Logging { .. } => CommandError::new(ErrorCode::Io, error.to_string(), None),
            Error::Tauri(_) => CommandError::new(ErrorCode::Internal, error.to_string(), None),
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
        assert_eq!(for_ui.code, hubkey_core::ErrorCode::Config);
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
        assert_eq!(CommandError::from(error).code, ErrorCode::Io);
    }
}
