//! Preflight: what HubSpot would refuse, found before the browser opens.
//!
//! HubSpot reports a bad install URL on an HTML page and never redirects back (hubspot-oauth.md
//! §1.3), so a misconfigured app otherwise looks like a login that hangs. [`preflight`] checks an
//! [`AppConfig`] against HubSpot's rules (§1.8 redirect URLs, §1.3 and §6 scopes, §7.3 MCP apps)
//! and returns [`Finding`]s with a stable id, a severity, the message (quoting HubSpot's wording
//! from [`crate::install_guide::hubspot_text`] where HubSpot has one) and the fix.
//!
//! The one check with a side effect, "is the loopback port free", binds `127.0.0.1:PORT` (and
//! `[::1]:PORT` where IPv6 exists) for an instant; [`PreflightEnv`] lets callers replace or skip
//! it. Run preflight *before* starting the loopback listener, or the check finds Hubkey's own
//! listener.
//!
//! Severities follow one rule: [`Severity::Error`] only where HubSpot's own rules make the refusal
//! certain (a redirect URL HubSpot refuses, a scope in both lists, `oauth` or every required scope
//! missing) or where Hubkey cannot build the URL or receive the redirect (a name with URL
//! characters, a busy port). A scope name Hubkey does not know is a [`Severity::Warning`] with a
//! "did you mean": only HubSpot decides which scopes exist, so it never blocks a sign-in.
//!
//! Finding ids (stable, see [`ids`]): `client_id.*`, `redirect.*`, `scopes.*`, `mcp.*`, `pkce.*`.

mod env;
mod redirect;
pub mod report;
mod scopes;

pub use env::{probe_loopback_port, PortStatus, PreflightEnv};
pub use report::{ids, Finding, PreflightReport, Severity};

use crate::app::{AppConfig, AppKind};
use crate::install_guide::hubspot_text as hs;
use crate::scopes::ScopeCatalog;

/// Checks an app's configuration against HubSpot's rules before a sign-in (see the module docs).
pub fn preflight(app: &AppConfig, env: &PreflightEnv) -> PreflightReport {
    let mut findings = Vec::new();
    check_client_id(app, &mut findings);
    redirect::check_redirect(app, env, &mut findings);
    match app.kind {
        AppKind::Standard => scopes::check_standard_scopes(app, ScopeCatalog::embedded(), &mut findings),
        AppKind::Mcp => scopes::check_mcp(app, &mut findings),
    }
    findings.sort_by_key(|f| f.severity);
    PreflightReport {
        app: app.name.clone(),
        findings,
    }
}

// ----- client id -------------------------------------------------------------------------------

fn check_client_id(app: &AppConfig, out: &mut Vec<Finding>) {
    let id = app.client_id.as_str();
    const FIX: &str =
        "Copy the client ID again from the app's Auth tab at HubSpot (for MCP auth apps: the app's \
details page under Development → MCP Auth Apps).";
    if id.trim().is_empty() {
        out.push(Finding::new(
            ids::CLIENT_ID_MISSING,
            Severity::Error,
            "The app has no client ID.",
            FIX,
        ));
        return;
    }
    let safe = id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !safe {
        out.push(
            Finding::new(
                ids::CLIENT_ID_INVALID,
                Severity::Error,
                "The client ID contains characters a HubSpot client ID never has (only letters, digits and \
                 dashes), so Hubkey will not build the sign-in URL.",
                FIX,
            )
            .about(id.chars().take(64).collect::<String>()),
        );
        return;
    }
    if !crate::app::looks_like_uuid(id) {
        out.push(
            Finding::new(
                ids::CLIENT_ID_NOT_UUID,
                Severity::Warning,
                format!(
                    "HubSpot client IDs are 36-character UUIDs (8-4-4-4-12 hex digits); this one has {} \
                     characters. HubSpot would show: \"{}\"",
                    id.len(),
                    hs::INVALID_CLIENT_ID
                ),
                FIX,
            )
            .about(id)
            .quoting(hs::INVALID_CLIENT_ID),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, TcpListener};

    #[test]
    fn given_uuid_shapes_then_only_8_4_4_4_12_hex_passes() {
        assert!(crate::app::looks_like_uuid(
            "5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60"
        ));
        assert!(!crate::app::looks_like_uuid("5f3c2a1e8b7d4c6e9a0f1b2c3d4e5f60"));
        assert!(!crate::app::looks_like_uuid(
            "zf3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60"
        ));
    }

    #[test]
    fn given_severities_when_sorted_then_errors_come_first() {
        let mut v = [Severity::Info, Severity::Error, Severity::Warning];
        v.sort();
        assert_eq!(v, [Severity::Error, Severity::Warning, Severity::Info]);
        assert_eq!(serde_json::to_string(&Severity::Warning).unwrap(), "\"warning\"");
    }

    #[test]
    fn given_a_port_held_by_another_socket_when_probed_then_it_is_in_use() {
        let held = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = held.local_addr().unwrap().port();
        assert_eq!(probe_loopback_port(port), PortStatus::InUse);
        drop(held);
        assert_eq!(probe_loopback_port(port), PortStatus::Free);
    }
}
