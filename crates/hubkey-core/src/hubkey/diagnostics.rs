//! What Hubkey can tell before and around a sign-in: HubSpot's rules checked against an app
//! (preflight), the doctor's checks, the install-error guide and scope suggestions.

use super::Hubkey;
use crate::app::AppConfig;
use crate::doctor::DoctorReport;
use crate::error::{Error, Result};
use crate::install_guide::InstallFailure;
use crate::preflight::{PreflightEnv, PreflightReport};
use crate::scopes::{ScopeCatalog, ScopeInfo};

impl Hubkey {
    /// The preflight environment: the port check binds the redirect's port for an instant; while a
    /// login is pending, Hubkey's own listener may hold it, so the check is skipped then (it would
    /// report Hubkey itself as "another program").
    pub fn preflight_env(&self) -> PreflightEnv {
        if self.logins().pending_logins().is_empty() {
            PreflightEnv::system()
        } else {
            PreflightEnv::without_port_check()
        }
    }

    /// HubSpot's rules checked against `app`, without signing in (the check a login runs first).
    pub fn preflight(&self, app: &AppConfig) -> PreflightReport {
        crate::preflight::preflight(app, &self.preflight_env())
    }

    /// Preflight before a sign-in: the report (its warnings and notes) when the sign-in may start,
    /// [`Error::Preflight`] when HubSpot's rules found errors.
    pub fn check_login(&self, app: &AppConfig) -> Result<PreflightReport> {
        let report = self.preflight(app);
        if report.ok() {
            return Ok(report);
        }
        tracing::info!(app = %app.name, "sign-in refused by preflight");
        Err(Error::Preflight(Box::new(report)))
    }

    /// Diagnostics, as `hubkey doctor`: the settings of `apps`, the keychain (a probe entry
    /// written, read back and deleted) and, with `reachability`, whether HubSpot's hosts answer.
    pub async fn doctor(&self, apps: &[AppConfig], reachability: bool) -> DoctorReport {
        crate::doctor::doctor(
            apps,
            self.endpoints(),
            &self.preflight_env(),
            self.store().self_test(),
            reachability,
        )
        .await
    }

    /// HubSpot's install-error pages, explained (shown while a login waits: they never redirect).
    pub fn install_guide(&self) -> &'static [InstallFailure] {
        crate::install_guide::install_guide()
    }

    /// Selectable scopes of the catalog whose name starts with (else contains) `prefix`.
    pub fn scope_suggestions(&self, prefix: &str) -> Vec<&'static ScopeInfo> {
        ScopeCatalog::embedded().suggest(prefix)
    }
}
