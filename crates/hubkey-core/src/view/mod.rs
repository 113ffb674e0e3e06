//! What crosses the desktop app's IPC boundary: command arguments, results and event payloads, in one
//! place, so the desktop host (`src-tauri`) keeps no mirror of a core type. Where the window needs the
//! domain type as it is (an [`crate::app::AppKind`], a [`crate::preflight::Finding`], a
//! [`crate::doctor::Check`]…), that type itself crosses; the types here exist only where the window needs
//! another shape (a masked token, RFC 3339 strings, scope groups, one sentence for a card).
//!
//! Nothing here can hold a secret: there is no field for one (the registration form's client secret is
//! turned into a [`crate::ClientSecret`] at once, and its `Debug` is redacted), and the secret types have no
//! `Serialize`. With the `ts` feature every type here derives `ts_rs::TS`; the desktop crate's bindings
//! test writes them to `ui/src/lib/bindings/` and fails when they are stale.
//!
//! Times are RFC 3339 strings in UTC ([`rfc3339`]); the UI renders them in local time.

pub mod ai_clients;
pub mod apps;
pub mod connections;
pub mod diagnostics;
pub mod login;

pub use ai_clients::{AiClientArgs, AiClientEntry, AiClientInstalled, AiClientsView};
pub use apps::{
    AppArgs, AppInfo, AppView, CopyRedirectArgs, PageTimings, RedirectKind, RegisterAppArgs,
    RegisterAppResult, StartAtLoginArgs, StartAtLoginView, UpdateView,
};
pub use connections::{ConnectionArgs, ConnectionView, CopyAck, CopyTokenArgs, SignOutArgs, SignOutView};
pub use diagnostics::{
    DoctorView, McpCheckView, McpOutcome, PreflightView, ScopeInfoView, ScopeSuggestionsArgs,
};
pub use login::{LoginFinished, LoginStarted, LoginState, StartLoginArgs};

pub use crate::text::rfc3339;

use crate::error::{Error, ErrorCode};
use crate::preflight::Finding;
use serde::Serialize;

/// The error a command returns to the window: a stable machine-readable `code` (the core's
/// [`ErrorCode`], a string union in TypeScript), a sentence for people and, when there is one, what to do
/// next. Built from [`Error`], whose messages never carry secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "CommandError.ts"))]
pub struct CommandError {
    /// `needs_reauth`, `port_in_use`, `invalid_input`, `preflight`…
    pub code: ErrorCode,
    pub message: String,
    pub hint: Option<String>,
    /// `preflight` only: every finding (errors first), so the UI can show each with its fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub findings: Option<Vec<Finding>>,
}

impl CommandError {
    /// An error with this code, message and hint.
    pub fn new(code: ErrorCode, message: impl Into<String>, hint: Option<&str>) -> Self {
        CommandError {
            code,
            message: message.into(),
            hint: hint.map(str::to_string),
            findings: None,
        }
    }
}

impl From<Error> for CommandError {
    fn from(error: Error) -> Self {
        let findings = match &error {
            Error::Preflight(report) => Some(report.findings.clone()),
            _ => None,
        };
        CommandError {
            code: error.code(),
            message: error.to_string(),
            hint: error.hint_if_any(),
            findings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_keep_their_code_for_the_ui() {
        let for_ui = CommandError::from(Error::Config("HUBKEY_HOME is wrong".into()));
        assert_eq!(for_ui.code, ErrorCode::Config);
        assert!(for_ui.message.contains("HUBKEY_HOME is wrong"));
        assert!(for_ui.hint.is_some_and(|h| !h.is_empty()));
    }

    #[test]
    fn preflight_errors_carry_every_finding_and_the_first_fix() {
        use crate::app::{AppConfig, AppKind};
        use crate::preflight::{preflight, PreflightEnv};
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
        let error = CommandError::from(Error::Preflight(Box::new(report)));
        assert_eq!(error.code, ErrorCode::Preflight);
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
        assert_eq!(json["code"], "preflight");
        assert_eq!(json["findings"][0]["severity"], "error");
        // Other errors have no `findings` key at all.
        let plain = serde_json::to_value(CommandError::from(Error::InvalidInput("x".into()))).unwrap();
        assert!(plain.get("findings").is_none(), "{plain}");
        assert_eq!(plain["code"], "invalid_input");
    }
}
