//! Errors of the desktop host: startup failures (reported once, then the process exits) and the error shape
//! commands hand to the UI.

use serde::Serialize;

use crate::views::FindingView;

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
    /// `invalid_input`, `io`, `internal`, `preflight`.
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
    /// `preflight` only: every finding (errors first), so the UI can show each with its fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub findings: Option<Vec<FindingView>>,
}

impl CommandError {
    /// An error of the host itself (not from hubkey-core).
    pub fn new(code: &str, message: impl Into<String>, hint: Option<&str>) -> Self {
        CommandError {
            code: code.to_string(),
            message: message.into(),
            hint: hint.map(str::to_string),
            findings: None,
        }
    }

    /// A sign-in refused before it started because preflight found errors: the first error as the message,
    /// its fix as the hint, and every finding.
    pub fn preflight(report: &hubkey_core::preflight::PreflightReport) -> Self {
        use hubkey_core::preflight::Severity;
        let errors: Vec<_> = report.with_severity(Severity::Error).collect();
        let message = match errors.as_slice() {
            [] => format!("The app “{}” is ready to sign in.", report.app),
            [only] => only.message.clone(),
            [first, rest @ ..] => format!(
                "{} ({} more problem{} below.)",
                first.message,
                rest.len(),
                if rest.len() == 1 { "" } else { "s" }
            ),
        };
        CommandError {
            code: "preflight".to_string(),
            message,
            hint: errors.first().map(|f| f.fix.clone()),
            findings: Some(report.findings.iter().map(FindingView::from).collect()),
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
            findings: None,
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
    fn preflight_errors_carry_every_finding_and_the_first_fix() {
        use hubkey_core::app::{AppConfig, AppKind};
        use hubkey_core::preflight::{preflight, PreflightEnv};
        let app = AppConfig {
            name: "demo".into(),
            client_id: "5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60".into(),
            redirect_uri: "http://127.0.0.1:53682/callback".into(),
            scopes: vec!["oauth".into(), "crm.objects.contacts.read".into()],
            optional_scopes: vec!["crm.objects.contacts.read".into()],
            kind: AppKind::Standard,
            pkce: true,
        };
        let report = preflight(&app, &PreflightEnv::without_port_check());
        let error = CommandError::preflight(&report);
        assert_eq!(error.code, "preflight");
        assert!(
            error.message.contains("IP addresses are not supported"),
            "{error:?}"
        );
        assert!(error.message.ends_with("(1 more problem below.)"), "{error:?}");
        assert!(error.hint.as_deref().is_some_and(|h| h.contains("localhost")));
        let findings = error.findings.as_ref().unwrap();
        assert_eq!(findings[0].id, "redirect.ip_literal");
        assert!(findings.iter().any(|f| f.id == "scopes.in_both_lists"));
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(json["findings"][0]["severity"], "error");
        // Other errors have no `findings` key at all.
        let plain = serde_json::to_value(CommandError::invalid_input("x")).unwrap();
        assert!(plain.get("findings").is_none(), "{plain}");
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
