//! Text for what hubkey-core explains: preflight findings, the install-failure guide and the
//! doctor's report. Pure functions from core types to lines, so every format is unit-tested;
//! `--json` prints the core types' serde form instead.

use crate::failure::Failure;
use hubkey_core::doctor::{CheckStatus, DoctorReport};
use hubkey_core::install_guide::InstallFailure;
use hubkey_core::preflight::{Finding, PreflightReport, Severity};

/// `message` ending in a full stop (or a quote or other closing punctuation), trimmed.
fn sentence(message: &str) -> String {
    let m = message.trim();
    if m.ends_with(['.', '!', '?', '"', ')']) {
        m.to_owned()
    } else {
        format!("{m}.")
    }
}

/// One finding as one line: `hubkey: <message> Fix: <fix>` for an error, `hubkey: warning: …`
/// for a warning, `hubkey: note: <message>` for information (no fix: there is nothing to do).
pub fn finding_line(f: &Finding) -> String {
    let line = match f.severity {
        Severity::Error => format!("hubkey: {} Fix: {}", sentence(&f.message), sentence(&f.fix)),
        Severity::Warning => format!(
            "hubkey: warning: {} Fix: {}",
            sentence(&f.message),
            sentence(&f.fix)
        ),
        Severity::Info => format!("hubkey: note: {}", sentence(&f.message)),
    };
    line.replace(['\n', '\r'], " ")
}

/// What `hubkey login` prints before it starts when preflight found no error: one short line per
/// warning, then per note.
pub fn preflight_notes(report: &PreflightReport) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Error)
        .map(finding_line)
        .collect()
}

/// What `hubkey app add` prints after saving: one line per warning, and per error, which does not stop
/// the save (HubSpot's settings may be what is being fixed) but will stop `hubkey login` until it is
/// fixed. Notes are left out. A scope name Hubkey does not know is a warning here as everywhere.
pub fn registration_notes(report: &PreflightReport) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .map(|f| match f.severity {
            Severity::Error => format!(
                "hubkey: warning: {} `hubkey login` will refuse to start until this is fixed. Fix: {}",
                sentence(&f.message),
                sentence(&f.fix)
            )
            .replace(['\n', '\r'], " "),
            _ => finding_line(f),
        })
        .collect()
}

/// `None` when the sign-in may start; else the failure `hubkey login` stops with: exit 2, one
/// line per error (each with its fix), then the warnings. Notes are left out: they would bury
/// the errors.
pub fn preflight_failure(report: &PreflightReport) -> Option<Failure> {
    if report.ok() {
        return None;
    }
    let lines = report
        .with_severity(Severity::Error)
        .chain(report.with_severity(Severity::Warning))
        .map(finding_line)
        .collect();
    Some(Failure::reported(2, lines))
}

/// The install-failure guide, compact: a heading, then one line per failure with HubSpot's
/// wording and the fix. Printed after the error line when no redirect arrived in time.
pub fn guide_lines(guide: &[InstallFailure]) -> Vec<String> {
    let mut lines = vec![
        "HubSpot shows install errors on its own page and never redirects back. If the browser showed one of \
         these, here is what to do:"
            .to_owned(),
    ];
    lines.extend(guide.iter().map(|f| {
        format!(
            "  - {} (\"{}\"): {}",
            f.title,
            f.hubspot_message.trim_end_matches('.'),
            sentence(f.fix)
        )
        .replace(['\n', '\r'], " ")
    }));
    lines
}

fn status_label(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Ok => "ok  ",
        CheckStatus::Warn => "warn",
        CheckStatus::Fail => "FAIL",
    }
}

/// The doctor's report for people: per check its status, title and detail, and the fix under
/// warnings and failures; then a count.
pub fn doctor_lines(report: &DoctorReport) -> Vec<String> {
    let mut lines = Vec::new();
    for c in &report.checks {
        lines.push(
            format!("{}  {}: {}", status_label(c.status), c.title, sentence(&c.detail))
                .replace(['\n', '\r'], " "),
        );
        if let Some(fix) = c.fix.as_deref().filter(|f| !f.trim().is_empty()) {
            lines.push(format!("      fix: {}", sentence(fix)).replace(['\n', '\r'], " "));
        }
    }
    let count = |s: CheckStatus| report.checks.iter().filter(|c| c.status == s).count();
    lines.push(String::new());
    lines.push(format!(
        "{} failed, {} {}, {} ok.",
        count(CheckStatus::Fail),
        count(CheckStatus::Warn),
        if count(CheckStatus::Warn) == 1 {
            "warning"
        } else {
            "warnings"
        },
        count(CheckStatus::Ok)
    ));
    lines
}

/// The one stderr line of a doctor run that found failures: how many, which ids, what kind.
pub fn doctor_failure_line(report: &DoctorReport) -> Option<String> {
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.status == CheckStatus::Fail)
        .map(|c| c.id.as_str())
        .collect();
    if failed.is_empty() {
        return None;
    }
    let what = match report.exit_code() {
        2 => "configuration",
        4 => "keychain",
        5 => "network",
        _ => "check",
    };
    let mut ids = failed.clone();
    ids.dedup();
    Some(format!(
        "hubkey: doctor found {} failing {} ({}; first fix the {what} problems). Each check above says how to fix it.",
        failed.len(),
        if failed.len() == 1 { "check" } else { "checks" },
        ids.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hubkey_core::app::{AppConfig, AppKind};
    use hubkey_core::doctor::{Check, CheckCategory};
    use hubkey_core::install_guide::install_guide;
    use hubkey_core::preflight::{ids, preflight, PreflightEnv};

    fn app(redirect: &str, scopes: &[&str], optional: &[&str]) -> AppConfig {
        AppConfig {
            name: "demo".into(),
            client_id: "5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60".into(),
            redirect_uri: redirect.into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            optional_scopes: optional.iter().map(|s| (*s).to_owned()).collect(),
            kind: AppKind::Standard,
            pkce: true,
        }
    }

    #[test]
    fn given_an_ip_literal_redirect_when_preflight_fails_then_one_line_per_error_quotes_hubspot_and_the_fix()
    {
        let report = preflight(
            &app("http://127.0.0.1:53682/callback", &["oauth", "x.y"], &["x.y"]),
            &PreflightEnv::without_port_check(),
        );
        let failure = preflight_failure(&report).expect("errors stop the login");
        assert_eq!(failure.exit_code(), 2);
        let lines = failure.lines();
        let errors = report.with_severity(Severity::Error).count();
        assert!(errors >= 2, "{report:?}");
        assert!(lines.len() >= errors);
        assert!(lines
            .iter()
            .all(|l| l.starts_with("hubkey: ") && !l.contains('\n')));
        assert!(lines[0].contains("IP addresses are not supported"), "{lines:?}");
        assert!(lines[0].contains("Fix: Use localhost"), "{lines:?}");
        assert!(
            lines.iter().any(|l| l.contains("mismatch between the scopes")),
            "{lines:?}"
        );
    }

    #[test]
    fn given_a_clean_app_then_no_failure_and_notes_are_short_single_lines() {
        let report = preflight(
            &app(
                "http://localhost:53682/callback",
                &["oauth", "crm.objects.contacts.read"],
                &["automation"],
            ),
            &PreflightEnv::without_port_check(),
        );
        assert!(preflight_failure(&report).is_none());
        let notes = preflight_notes(&report);
        assert!(report.has(ids::SCOPES_LEGACY));
        assert!(
            notes.iter().any(|n| n.starts_with("hubkey: note: automation")),
            "{notes:?}"
        );
        assert!(notes.iter().all(|n| !n.contains('\n')));
    }

    #[test]
    fn given_a_made_up_scope_and_a_mismatch_when_registering_then_each_is_one_warning_line_and_notes_are_left_out(
    ) {
        let report = preflight(
            &app(
                "http://localhost:53682/callback",
                &["oauth", "zz.made.up", "x.y"],
                &["x.y", "automation"],
            ),
            &PreflightEnv::without_port_check(),
        );
        let lines = registration_notes(&report);
        assert!(
            lines
                .iter()
                .all(|l| l.starts_with("hubkey: warning: ") && !l.contains('\n')),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("zz.made.up is not in HubSpot's scope list as of")
                    && !l.contains("will refuse")),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|l| l.contains("mismatch between the scopes")
                && l.contains("`hubkey login` will refuse to start")),
            "{lines:?}"
        );
        assert!(
            !lines
                .iter()
                .any(|l| l.contains("automation is one of HubSpot's legacy")),
            "{lines:?}"
        );
    }

    #[test]
    fn given_the_guide_then_a_heading_and_one_line_per_entry_with_hubspots_wording() {
        let lines = guide_lines(install_guide());
        assert_eq!(lines.len(), install_guide().len() + 1);
        assert!(lines
            .iter()
            .any(|l| l.contains("Request for Integration Permissions")));
        assert!(lines.iter().skip(1).all(|l| l.starts_with("  - ")));
    }

    fn check(id: &str, category: CheckCategory, status: CheckStatus, fix: Option<&str>) -> Check {
        Check {
            id: id.into(),
            title: format!("Title {id}"),
            category,
            subject: None,
            status,
            detail: format!("detail of {id}"),
            fix: fix.map(str::to_owned),
        }
    }

    #[test]
    fn given_a_doctor_report_then_status_title_detail_and_fix_are_listed_and_failures_summarised() {
        let report = DoctorReport {
            checks: vec![
                check("keychain", CheckCategory::Keychain, CheckStatus::Ok, None),
                check(
                    "config.endpoints",
                    CheckCategory::Config,
                    CheckStatus::Warn,
                    Some("unset it"),
                ),
                check(
                    "network.api_host",
                    CheckCategory::Network,
                    CheckStatus::Fail,
                    Some("start it"),
                ),
            ],
        };
        let lines = doctor_lines(&report);
        assert_eq!(lines[0], "ok    Title keychain: detail of keychain.");
        assert_eq!(
            lines[1],
            "warn  Title config.endpoints: detail of config.endpoints."
        );
        assert_eq!(lines[2], "      fix: unset it.");
        assert!(lines[3].starts_with("FAIL  Title network.api_host"));
        assert_eq!(lines.last().unwrap(), "1 failed, 1 warning, 1 ok.");
        let line = doctor_failure_line(&report).unwrap();
        assert!(
            line.contains("network.api_host") && line.contains("network"),
            "{line}"
        );
        let healthy = DoctorReport {
            checks: vec![check("keychain", CheckCategory::Keychain, CheckStatus::Ok, None)],
        };
        assert_eq!(doctor_failure_line(&healthy), None);
    }
}
