//! The building blocks of `hubkey doctor`: one report of everything that can stop a sign-in or a
//! refresh, each with a stable id, a status and a fix.
//!
//! [`doctor`] gathers:
//! * `config.endpoints`: whether the HubSpot hosts are overridden (`HUBKEY_*_BASE_URL`);
//! * `config.apps`: whether any app is registered;
//! * the [`crate::preflight`] findings of each app (the check id is the finding id, e.g.
//!   `redirect.port_busy`; `preflight.ok` when an app has no error or warning);
//! * `keychain`: the caller's keychain self-test (write, read back and delete a probe entry; pass
//!   `TokenStore::self_test()`, which has the timeout);
//! * `network.app_host`, `network.api_host`, `network.mcp_host`: an HTTP request to each
//!   configured host with a short timeout; any HTTP answer means reachable.
//!
//! [`DoctorReport::exit_code`] follows design.md §4: `0` when nothing failed, `2` when a
//! configuration check failed, `4` when the keychain failed, `5` when a host is unreachable. When
//! several kinds fail, the smallest code wins (configuration, then keychain, then network): fix
//! those first. Warnings never change the exit code.

use crate::app::AppConfig;
use crate::config::Endpoints;
use crate::error::Result;
use crate::preflight::{preflight, PreflightEnv, Severity};
use serde::Serialize;
use std::future::Future;
use std::time::Duration;
use url::Url;

/// Time allowed to reach each host.
pub const REACHABILITY_TIMEOUT: Duration = Duration::from_secs(5);

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "CheckStatus.ts"))]
pub enum CheckStatus {
    /// Fine (or informational).
    Ok,
    /// Worth a look; does not fail the report.
    Warn,
    /// Will stop a sign-in or a refresh.
    Fail,
}

/// What a check is about; decides the exit code of a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "CheckCategory.ts"))]
pub enum CheckCategory {
    /// Hubkey's or the app's configuration (exit code 2).
    Config,
    /// The system keychain (exit code 4).
    Keychain,
    /// HubSpot's hosts over the network (exit code 5).
    Network,
}

impl CheckCategory {
    /// The exit code of a failure in this category (design.md §4).
    pub fn exit_code(self) -> i32 {
        match self {
            CheckCategory::Config => 2,
            CheckCategory::Keychain => 4,
            CheckCategory::Network => 5,
        }
    }
}

/// One line of the doctor's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "Check.ts"))]
pub struct Check {
    /// Stable id (`keychain`, `network.api_host`, a preflight finding id…).
    pub id: String,
    /// What was checked, for people.
    pub title: String,
    /// Configuration, keychain or network.
    pub category: CheckCategory,
    /// The app or host concerned, when there is one.
    pub subject: Option<String>,
    /// Ok, warn or fail.
    pub status: CheckStatus,
    /// What was found.
    pub detail: String,
    /// How to fix it (warn and fail).
    pub fix: Option<String>,
}

/// Everything `hubkey doctor` found.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DoctorReport {
    /// The checks, in the order they ran.
    pub checks: Vec<Check>,
}

impl DoctorReport {
    /// True when no check failed.
    pub fn ok(&self) -> bool {
        !self.checks.iter().any(|c| c.status == CheckStatus::Fail)
    }

    /// 0 when nothing failed; else 2 (configuration), 4 (keychain) or 5 (network), the smallest
    /// applicable code when several kinds fail.
    pub fn exit_code(&self) -> i32 {
        self.checks
            .iter()
            .filter(|c| c.status == CheckStatus::Fail)
            .map(|c| c.category.exit_code())
            .min()
            .unwrap_or(0)
    }

    /// The checks with this id.
    pub fn with_id<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Check> + 'a {
        self.checks.iter().filter(move |c| c.id == id)
    }

    /// The first check with this id.
    pub fn find(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }
}

/// Runs every doctor check (see the module docs). `apps` is the one app of `--app NAME`, or all
/// registered apps; `keychain_self_test` is awaited once (e.g. `token_store.self_test()`);
/// `reachability: false` skips the network checks (offline use, tests).
pub async fn doctor(
    apps: &[AppConfig],
    endpoints: &Endpoints,
    preflight_env: &PreflightEnv,
    keychain_self_test: impl Future<Output = Result<()>>,
    reachability: bool,
) -> DoctorReport {
    let mut checks = vec![endpoints_check(endpoints)];
    if apps.is_empty() {
        checks.push(Check {
            id: "config.apps".into(),
            title: "Registered apps".into(),
            category: CheckCategory::Config,
            subject: None,
            status: CheckStatus::Warn,
            detail: "No HubSpot app is registered in Hubkey.".into(),
            fix: Some(
                "Add one with `hubkey app add NAME --client-id ID --redirect-uri URI --scopes \"oauth …\"`."
                    .into(),
            ),
        });
    }
    for app in apps {
        checks.extend(preflight_checks(app, preflight_env));
    }
    checks.push(keychain_check(keychain_self_test.await));
    if reachability {
        checks.extend(check_reachability(endpoints, REACHABILITY_TIMEOUT).await);
    }
    DoctorReport { checks }
}

/// The preflight findings of one app as doctor checks: errors fail, warnings warn, information
/// is `ok`; a single `preflight.ok` check when there is no error or warning.
pub fn preflight_checks(app: &AppConfig, env: &PreflightEnv) -> Vec<Check> {
    let report = preflight(app, env);
    let mut checks: Vec<Check> = report
        .findings
        .iter()
        .map(|f| Check {
            id: f.id.to_owned(),
            title: format!("{} of app {:?}", area(f.id), app.name),
            category: CheckCategory::Config,
            subject: Some(app.name.clone()),
            status: match f.severity {
                Severity::Error => CheckStatus::Fail,
                Severity::Warning => CheckStatus::Warn,
                Severity::Info => CheckStatus::Ok,
            },
            detail: f.message.clone(),
            fix: (f.severity != Severity::Info).then(|| f.fix.clone()),
        })
        .collect();
    if !checks.iter().any(|c| c.status != CheckStatus::Ok) {
        checks.insert(
            0,
            Check {
                id: "preflight.ok".into(),
                title: format!("Settings of app {:?}", app.name),
                category: CheckCategory::Config,
                subject: Some(app.name.clone()),
                status: CheckStatus::Ok,
                detail: "Client ID, redirect URL and scopes follow HubSpot's rules.".into(),
                fix: None,
            },
        );
    }
    checks
}

fn area(id: &str) -> &'static str {
    match id.split('.').next().unwrap_or("") {
        "client_id" => "Client ID",
        "redirect" => "Redirect URL",
        "scopes" => "Scopes",
        "mcp" => "MCP settings",
        "pkce" => "PKCE",
        _ => "Settings",
    }
}

fn endpoints_check(endpoints: &Endpoints) -> Check {
    let hosts = format!(
        "authorize {}, API {}, MCP {}",
        endpoints.app_base, endpoints.api_base, endpoints.mcp_base
    );
    let real = endpoints.is_hubspot();
    Check {
        id: "config.endpoints".into(),
        title: "HubSpot hosts".into(),
        category: CheckCategory::Config,
        subject: None,
        status: if real { CheckStatus::Ok } else { CheckStatus::Warn },
        detail: if real {
            format!("The real HubSpot: {hosts}.")
        } else {
            format!("Overridden by HUBKEY_*_BASE_URL (e.g. the sandbox): {hosts}.")
        },
        fix: (!real).then(|| {
            "Nothing to do if you meant to use the sandbox; otherwise unset HUBKEY_APP_BASE_URL, \
             HUBKEY_API_BASE_URL and HUBKEY_MCP_BASE_URL."
                .to_owned()
        }),
    }
}

fn keychain_check(result: Result<()>) -> Check {
    let (status, detail, fix) = match result {
        Ok(()) => (
            CheckStatus::Ok,
            "The system keychain stored, returned and deleted a test entry.".to_owned(),
            None,
        ),
        Err(e) => (CheckStatus::Fail, e.to_string(), Some(e.hint())),
    };
    Check {
        id: "keychain".into(),
        title: "System keychain".into(),
        category: CheckCategory::Keychain,
        subject: None,
        status,
        detail,
        fix,
    }
}

/// What [`check_reachability`] asks: (check id, title, URL) per host.
pub fn reachability_targets(endpoints: &Endpoints) -> [(&'static str, &'static str, &Url); 3] {
    [
        ("network.app_host", "Authorize page host", &endpoints.app_base),
        ("network.api_host", "API host", &endpoints.api_base),
        ("network.mcp_host", "MCP server host", &endpoints.mcp_base),
    ]
}

/// One request to each configured HubSpot host (the same host is asked once), with `timeout`:
/// any HTTP answer counts as reachable; a DNS, connection, TLS or timeout failure fails with the
/// host named.
pub async fn check_reachability(endpoints: &Endpoints, timeout: Duration) -> Vec<Check> {
    let targets = reachability_targets(endpoints);
    let http = match crate::mcp::build_http_client(timeout, timeout) {
        Ok(h) => h,
        Err(e) => {
            return targets
                .iter()
                .map(|(id, title, url)| unreachable(id, title, url, e.to_string()))
                .collect()
        }
    };
    let mut set = tokio::task::JoinSet::new();
    for (i, (_, _, url)) in targets.iter().enumerate() {
        let http = http.clone();
        let url: Url = (*url).clone();
        set.spawn(async move { (i, http.get(url).send().await.map(|r| r.status().as_u16())) });
    }
    let mut answers: Vec<Option<std::result::Result<u16, String>>> = vec![None; targets.len()];
    while let Some(joined) = set.join_next().await {
        if let Ok((i, r)) = joined {
            if let Some(slot) = answers.get_mut(i) {
                *slot = Some(r.map_err(|e| describe_failure(&e, timeout)));
            }
        }
    }
    targets
        .iter()
        .zip(answers)
        .map(|((id, title, url), answer)| match answer {
            Some(Ok(status)) => Check {
                id: (*id).to_owned(),
                title: (*title).to_owned(),
                category: CheckCategory::Network,
                subject: Some(host_of(url)),
                status: CheckStatus::Ok,
                detail: format!("{} answered (HTTP {status}).", host_of(url)),
                fix: None,
            },
            Some(Err(why)) => unreachable(id, title, url, why),
            None => unreachable(id, title, url, "the check did not finish".to_owned()),
        })
        .collect()
}

fn unreachable(id: &str, title: &str, url: &Url, why: String) -> Check {
    let host = host_of(url);
    Check {
        id: id.to_owned(),
        title: title.to_owned(),
        category: CheckCategory::Network,
        subject: Some(host.clone()),
        status: CheckStatus::Fail,
        detail: format!("Cannot reach {host}: {why}."),
        fix: Some(format!(
            "Check the network connection, proxy and firewall for {host}; if you set HUBKEY_*_BASE_URL, check \
             that the server there is running."
        )),
    }
}

fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => url.as_str().to_owned(),
    }
}

fn describe_failure(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no answer within {} s", timeout.as_secs_f32());
    }
    // The innermost cause (DNS, refused, TLS…) names no URL; reqwest's own message would.
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let what = if e.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    format!("{what} ({cause})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(category: CheckCategory, status: CheckStatus) -> Check {
        Check {
            id: "x".into(),
            title: "x".into(),
            category,
            subject: None,
            status,
            detail: String::new(),
            fix: None,
        }
    }

    #[test]
    fn given_failures_of_several_kinds_when_mapped_then_the_smallest_exit_code_wins() {
        use CheckCategory::*;
        use CheckStatus::*;
        let report = |cs: Vec<Check>| DoctorReport { checks: cs };
        assert_eq!(
            report(vec![check(Config, Warn), check(Network, Ok)]).exit_code(),
            0
        );
        assert_eq!(
            report(vec![check(Network, Fail), check(Keychain, Fail)]).exit_code(),
            4
        );
        assert_eq!(
            report(vec![check(Network, Fail), check(Config, Fail)]).exit_code(),
            2
        );
        assert_eq!(report(vec![check(Network, Fail)]).exit_code(), 5);
        assert!(!report(vec![check(Network, Fail)]).ok());
    }
}
