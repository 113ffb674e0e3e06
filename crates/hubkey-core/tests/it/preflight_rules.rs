#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Preflight: each rule has a test that triggers it and checks the message. Where HubSpot is
//! involved, the same configuration is sent to the HubSpot sandbox and the wording preflight quotes
//! must appear on the page HubSpot shows.

use crate::preflight_support;

use hubkey_core::app::AppConfig;
use hubkey_core::install_guide::hubspot_text as hs;
use hubkey_core::preflight::{ids, preflight, Finding, PortStatus, PreflightEnv, PreflightReport, Severity};
use hubspot_sandbox::{Fixture, DEMO_STARTER_HUB_ID};
use preflight_support::*;
use std::net::{Ipv4Addr, TcpListener};

fn check(app: &AppConfig) -> PreflightReport {
    preflight(app, &PreflightEnv::without_port_check())
}

fn finding<'a>(report: &'a PreflightReport, id: &str) -> &'a Finding {
    report
        .find(id)
        .unwrap_or_else(|| panic!("no {id} in {:#?}", report.findings))
}

fn with_redirect(uri: &str) -> AppConfig {
    let mut app = demo_app();
    app.redirect_uri = uri.into();
    app
}

// ----- a clean app --------------------------------------------------------------------------

#[tokio::test]
async fn given_the_demo_app_configured_as_at_hubspot_when_preflighted_then_it_is_ok_and_hubspot_shows_consent(
) {
    let report = check(&demo_app());
    assert!(report.ok(), "{:#?}", report.findings);
    assert_eq!(
        report.with_severity(Severity::Warning).count(),
        0,
        "{:#?}",
        report.findings
    );
    // automation is optional and legacy: information only.
    assert_eq!(finding(&report, ids::SCOPES_LEGACY).severity, Severity::Info);
    let sb = sandbox().await;
    let (kind, page) = authorize_page(&sb, &demo_app()).await;
    assert_eq!(kind, None, "{page}");
    assert!(page.contains("data-sandbox-page=\"consent\""));
}

#[test]
fn given_a_report_when_serialized_then_the_ui_gets_ids_severities_messages_and_fixes() {
    let report = check(&with_redirect("http://127.0.0.1:53682/callback"));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["app"], "demo");
    let first = &json["findings"][0];
    assert_eq!(first["id"], "redirect.ip_literal");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["hubspot_says"], hs::IP_NOT_SUPPORTED);
    assert!(first["fix"]
        .as_str()
        .unwrap()
        .contains("http://localhost:53682/callback"));
}

// ----- redirect URL -------------------------------------------------------------------------

#[tokio::test]
async fn given_an_ip_literal_redirect_when_preflighted_then_error_quotes_hubspot_and_suggests_localhost() {
    for (uri, suggested) in [
        (
            "http://127.0.0.1:53682/callback",
            "http://localhost:53682/callback",
        ),
        ("http://[::1]:53682/callback", "http://localhost:53682/callback"),
    ] {
        let report = check(&with_redirect(uri));
        let f = finding(&report, ids::REDIRECT_IP_LITERAL);
        assert_eq!(f.severity, Severity::Error);
        assert!(f.message.contains(hs::IP_NOT_SUPPORTED), "{}", f.message);
        assert!(f.fix.contains(suggested), "{}", f.fix);
        assert!(!report.ok());
    }
    // HubSpot refuses it even when registered (the sandbox: "…IP addresses are not supported").
    let mut fixture = Fixture::demo();
    fixture.apps[0]
        .redirect_urls
        .push("http://127.0.0.1:53682/callback".into());
    let sb = sandbox_with(fixture).await;
    let url = raw_authorize_url(
        &sb,
        &[
            ("client_id", hubspot_sandbox::DEMO_STANDARD_CLIENT_ID),
            ("redirect_uri", "http://127.0.0.1:53682/callback"),
            ("scope", "oauth crm.objects.contacts.read"),
        ],
    );
    let (kind, page) = fetch(&url).await;
    assert_eq!(kind.as_deref(), Some("redirect_uri_not_allowed"));
    assert!(page.contains("IP addresses are not supported"));
}

#[tokio::test]
async fn given_plain_http_on_another_host_when_preflighted_then_https_is_required() {
    let report = check(&with_redirect("http://relay.example.com/cb"));
    let f = finding(&report, ids::REDIRECT_NOT_HTTPS);
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.hubspot_says.as_deref(), Some(hs::HTTPS_REQUIRED));
    assert!(f.message.contains("must use https"));
    let mut fixture = Fixture::demo();
    fixture.apps[0]
        .redirect_urls
        .push("http://relay.example.com/cb".into());
    let sb = sandbox_with(fixture).await;
    // (Hubkey itself refuses to build that URL, so it is built by hand.)
    let url = raw_authorize_url(
        &sb,
        &[
            ("client_id", hubspot_sandbox::DEMO_STANDARD_CLIENT_ID),
            ("redirect_uri", "http://relay.example.com/cb"),
            ("scope", "oauth crm.objects.contacts.read"),
        ],
    );
    let (kind, page) = fetch(&url).await;
    assert_eq!(kind.as_deref(), Some("redirect_uri_not_allowed"));
    assert!(page.contains("must use https"));
}

#[test]
fn given_a_custom_scheme_when_preflighted_then_it_is_refused_with_the_relay_as_the_way_out() {
    let report = check(&with_redirect("hubkey://oauth/callback"));
    let f = finding(&report, ids::REDIRECT_CUSTOM_SCHEME);
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains("hubkey://"));
    assert!(f.fix.contains("relay page"));
}

#[test]
fn given_https_on_localhost_when_preflighted_then_hubkey_explains_it_cannot_serve_tls() {
    let report = check(&with_redirect("https://localhost:53682/callback"));
    let f = finding(&report, ids::REDIRECT_HTTPS_LOCALHOST);
    assert_eq!(f.severity, Severity::Error);
    assert!(f.fix.contains("http://localhost:PORT/PATH"));
}

#[test]
fn given_localhost_without_a_port_when_preflighted_then_an_explicit_port_is_required() {
    for uri in ["http://localhost/callback", "http://localhost:0/callback"] {
        let report = check(&with_redirect(uri));
        let f = finding(&report, ids::REDIRECT_NO_PORT);
        assert_eq!(f.severity, Severity::Error, "{uri}");
        assert!(f.message.contains("compares the port exactly"));
    }
    // An explicit default port is a port.
    assert!(!check(&with_redirect("http://localhost:80/callback")).has(ids::REDIRECT_NO_PORT));
}

#[test]
fn given_a_port_another_program_listens_on_when_preflighted_with_the_real_probe_then_port_busy() {
    let held = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = held.local_addr().unwrap().port();
    let app = with_redirect(&format!("http://localhost:{port}/callback"));
    let report = preflight(&app, &PreflightEnv::system());
    let f = finding(&report, ids::REDIRECT_PORT_BUSY);
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains(&format!("Port {port}")), "{}", f.message);
    assert!(f.fix.contains(&format!("lsof -i :{port}")));
    drop(held);
    assert!(!preflight(&app, &PreflightEnv::system()).has(ids::REDIRECT_PORT_BUSY));
}

#[test]
fn given_an_injected_probe_when_preflighted_then_it_decides_and_skipping_checks_nothing() {
    let busy = PreflightEnv::with_port_probe(|_| PortStatus::InUse);
    assert!(preflight(&demo_app(), &busy).has(ids::REDIRECT_PORT_BUSY));
    let denied = PreflightEnv::with_port_probe(|_| PortStatus::Unavailable("permission denied".into()));
    let report = preflight(&with_redirect("http://localhost:80/callback"), &denied);
    let f = finding(&report, ids::REDIRECT_PORT_UNAVAILABLE);
    assert!(f.message.contains("port 80") && f.message.contains("permission denied"));
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicU16::new(0));
    let seen = asked.clone();
    let spy = PreflightEnv::with_port_probe(move |p| {
        seen.store(p, std::sync::atomic::Ordering::SeqCst);
        PortStatus::Free
    });
    assert!(preflight(&demo_app(), &spy).ok());
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 53682);
    // Relay redirects have no port to check.
    let report = preflight(
        &with_redirect("https://relay.example.com/hubkey-relay.html"),
        &busy,
    );
    assert!(!report.has(ids::REDIRECT_PORT_BUSY));
}

#[test]
fn given_an_https_relay_page_when_preflighted_then_it_is_information_only() {
    let report = check(&with_redirect("https://relay.example.com/hubkey-relay.html"));
    assert!(report.ok());
    let f = finding(&report, ids::REDIRECT_RELAY);
    assert_eq!(f.severity, Severity::Info);
    assert!(f.message.contains("hubkey://"));
}

#[test]
fn given_malformed_redirect_urls_when_preflighted_then_each_is_an_error_with_its_reason() {
    for (uri, id, words) in [
        ("", ids::REDIRECT_INVALID, "no redirect URL"),
        (
            " http://localhost:53682/callback",
            ids::REDIRECT_INVALID,
            "spaces",
        ),
        ("not a url", ids::REDIRECT_INVALID, "spaces"),
        ("localhost:53682", ids::REDIRECT_CUSTOM_SCHEME, "custom"),
        ("http://localhost:53682/cb#x", ids::REDIRECT_INVALID, "#fragment"),
        (
            "http://u:p@localhost:53682/cb",
            ids::REDIRECT_INVALID,
            "user name or password",
        ),
        (
            "http://localhost:53682/cb?app=1",
            ids::REDIRECT_HAS_QUERY,
            "query string",
        ),
    ] {
        let report = check(&with_redirect(uri));
        let f = finding(&report, id);
        assert_eq!(f.severity, Severity::Error, "{uri}");
        assert!(f.message.contains(words), "{uri}: {}", f.message);
    }
}

// ----- client id ----------------------------------------------------------------------------

#[tokio::test]
async fn given_client_ids_of_the_wrong_shape_when_preflighted_then_missing_invalid_and_not_uuid_are_found() {
    let mut app = demo_app();
    app.client_id = String::new();
    assert_eq!(
        finding(&check(&app), ids::CLIENT_ID_MISSING).severity,
        Severity::Error
    );
    app.client_id = "abc&def".into();
    assert_eq!(
        finding(&check(&app), ids::CLIENT_ID_INVALID).severity,
        Severity::Error
    );
    app.client_id = "abc-def".into();
    let report = check(&app);
    let f = finding(&report, ids::CLIENT_ID_NOT_UUID);
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.hubspot_says.as_deref(), Some(hs::INVALID_CLIENT_ID));
    // HubSpot shows that wording for a client id it does not know.
    let sb = sandbox().await;
    let (kind, page) = authorize_page(&sb, &app).await;
    assert_eq!(kind.as_deref(), Some("invalid_client_id"));
    assert!(page.contains(hs::INVALID_CLIENT_ID));
}

// ----- scopes -------------------------------------------------------------------------------

#[tokio::test]
async fn given_no_required_scopes_when_preflighted_then_error_and_hubspot_says_insufficient() {
    let app = with_scopes(demo_app(), &[], &["automation"]);
    let report = check(&app);
    let f = finding(&report, ids::SCOPES_NONE);
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.hubspot_says.as_deref(), Some(hs::INSUFFICIENT_SCOPES));
    assert!(!report.has(ids::SCOPES_OAUTH_MISSING), "one finding is enough");
    let sb = sandbox().await;
    let url = raw_authorize_url(
        &sb,
        &[
            ("client_id", hubspot_sandbox::DEMO_STANDARD_CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("optional_scope", "automation"),
        ],
    );
    let (kind, page) = fetch(&url).await;
    assert_eq!(kind.as_deref(), Some("insufficient_scopes"));
    assert!(page.contains(hs::INSUFFICIENT_SCOPES));
}

#[test]
fn given_a_scope_listed_twice_when_preflighted_then_a_duplicate_warning_names_it_once() {
    let app = with_scopes(
        demo_app(),
        &[
            "oauth",
            "crm.objects.contacts.read",
            "crm.objects.contacts.read",
            "crm.objects.contacts.read",
        ],
        &["automation", "automation"],
    );
    let report = check(&app);
    let dups: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.id == ids::SCOPES_DUPLICATE)
        .collect();
    assert_eq!(dups.len(), 2, "{dups:#?}");
    assert!(dups.iter().all(|f| f.severity == Severity::Warning));
    assert!(dups[0]
        .message
        .contains("crm.objects.contacts.read is listed more than once in the required"));
    assert!(dups[1]
        .message
        .contains("automation is listed more than once in the optional"));
}

#[tokio::test]
async fn given_a_scope_in_both_lists_when_preflighted_then_error_quotes_the_mismatch_hubspot_shows() {
    let app = with_scopes(
        demo_app(),
        &["oauth", "crm.objects.contacts.read"],
        &["crm.objects.contacts.read", "automation"],
    );
    let report = check(&app);
    let f = finding(&report, ids::SCOPES_IN_BOTH_LISTS);
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.subject.as_deref(), Some("crm.objects.contacts.read"));
    assert!(f.message.contains(hs::SCOPE_MISMATCH));
    let sb = sandbox().await;
    let (kind, page) = authorize_page(&sb, &app).await;
    assert_eq!(kind.as_deref(), Some("scope_mismatch"));
    assert!(page.contains(hs::SCOPE_MISMATCH));
}

#[tokio::test]
async fn given_oauth_missing_from_required_when_preflighted_then_error_explains_hubspot_adds_it() {
    // Certain from HubSpot's rules: oauth is "added by default to all apps" as a required scope and
    // cannot be removed (hubspot-oauth.md §6.1), and a required scope missing from `scope` is refused
    // (§1.3 rule 1). Issue 13 keeps this an error.
    let app = with_scopes(demo_app(), &["crm.objects.contacts.read"], &["automation"]);
    let report = check(&app);
    let f = finding(&report, ids::SCOPES_OAUTH_MISSING);
    assert_eq!(f.severity, Severity::Error);
    assert!(!report.ok());
    assert!(f
        .message
        .contains("HubSpot adds it to every app's required scopes"));
    assert_eq!(f.fix, "Add oauth to the required scopes.");
    // Listed as optional instead: said so.
    let moved = with_scopes(demo_app(), &["crm.objects.contacts.read"], &["oauth"]);
    assert!(finding(&check(&moved), ids::SCOPES_OAUTH_MISSING)
        .message
        .contains("listed among the optional scopes"));
    // The sandbox, like HubSpot, requires oauth for an app that has it among its required scopes.
    let sb = sandbox().await;
    let (kind, page) = authorize_page(&sb, &app).await;
    assert_eq!(kind.as_deref(), Some("insufficient_scopes"));
    assert!(page.contains(f.hubspot_says.as_deref().unwrap()));
}

#[tokio::test]
async fn given_a_misspelt_scope_when_preflighted_then_a_warning_with_did_you_mean_and_hubspots_wording() {
    // Issue 13: a near miss is a hint, not a verdict; the sign-in starts and HubSpot decides.
    let app = with_scopes(demo_app(), &["oauth", "crm.objects.contact.read"], &[]);
    let report = check(&app);
    let f = finding(&report, ids::SCOPES_UNKNOWN);
    assert_eq!(f.severity, Severity::Warning);
    assert!(report.ok(), "{:#?}", report.findings);
    let as_of = hubkey_core::scopes::ScopeCatalog::embedded().as_of();
    assert!(
        f.message.starts_with(&format!(
            "crm.objects.contact.read is not in HubSpot's scope list as of {as_of}; did you mean \
             crm.objects.contacts.read?"
        )),
        "{}",
        f.message
    );
    assert_eq!(
        f.fix,
        "If it is a typo, use crm.objects.contacts.read (here and at HubSpot); if the app's Auth tab at HubSpot \
         lists crm.objects.contact.read, nothing to change."
    );
    assert_eq!(f.hubspot_says.as_deref(), Some(hs::INVALID_SCOPE_NAME));
    // HubSpot (the sandbox) has the last word: it does not know this one.
    let sb = sandbox().await;
    let (kind, page) = authorize_page(&sb, &app).await;
    assert_eq!(kind.as_deref(), Some("invalid_scope_name"));
    assert!(page.contains(hs::INVALID_SCOPE_NAME));
}

#[test]
fn given_the_scopes_real_apps_request_when_preflighted_then_none_is_called_unknown() {
    // Issue 13: the first catalog took these for typos of carts/quotes and blocked the sign-in.
    for scope in [
        "crm.objects.tasks.write",
        "crm.objects.notes.write",
        "crm.objects.calls.write",
        "crm.objects.tickets.read",
    ] {
        let app = with_scopes(demo_app(), &["oauth", "crm.objects.contacts.read", scope], &[]);
        let report = check(&app);
        assert!(report.ok(), "{scope}: {:#?}", report.findings);
        assert!(
            !report.has(ids::SCOPES_UNKNOWN),
            "{scope}: {:#?}",
            report.findings
        );
    }
}

#[test]
fn given_every_scope_of_the_catalog_when_requested_alone_then_preflight_never_refuses_the_sign_in() {
    // Acceptance of issue 13: "hubkey login for an app that requests any scope of the catalog starts".
    for info in hubkey_core::scopes::ScopeCatalog::embedded().all() {
        let required = with_scopes(demo_app(), &["oauth", &info.name], &[]);
        let report = check(&required);
        assert!(report.ok(), "{} as required: {:#?}", info.name, report.findings);
        assert!(!report.has(ids::SCOPES_UNKNOWN), "{}", info.name);
        if info.name != "oauth" {
            let optional = with_scopes(demo_app(), &["oauth"], &[&info.name]);
            assert!(check(&optional).ok(), "{} as optional", info.name);
        }
    }
}

#[test]
fn given_a_write_twin_the_catalog_lacks_when_preflighted_then_a_warning_that_still_suggests() {
    // Maybe HubSpot has it and the catalog lags: warn and suggest, never block.
    let app = with_scopes(
        demo_app(),
        &["oauth", "crm.objects.contacts.read"],
        &["crm.schemas.line_items.write"],
    );
    let report = check(&app);
    let f = finding(&report, ids::SCOPES_UNKNOWN);
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.message.contains("did you mean crm.schemas.line_items.read?"),
        "{}",
        f.message
    );
    assert!(report.ok());
}

#[test]
fn given_a_scope_unlike_any_known_one_when_preflighted_then_only_a_warning() {
    let app = with_scopes(
        demo_app(),
        &["oauth", "crm.objects.contacts.read", "zz.made.up"],
        &[],
    );
    let report = check(&app);
    let f = finding(&report, ids::SCOPES_UNKNOWN);
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("is not in HubSpot's scope list as of"));
    assert!(!f.message.contains("did you mean"));
    assert!(report.ok());
}

#[test]
fn given_a_case_slip_when_preflighted_then_a_warning_suggesting_the_lowercase_name() {
    // HubSpot's names are lowercase; a capitalised one is HubSpot's to refuse, not Hubkey's.
    let app = with_scopes(demo_app(), &["oauth", "CRM.Objects.Contacts.Read"], &[]);
    let report = check(&app);
    let f = finding(&report, ids::SCOPES_UNKNOWN);
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.message.contains("did you mean crm.objects.contacts.read?"),
        "{}",
        f.message
    );
    assert!(report.ok());
}

#[test]
fn given_a_developer_only_scope_when_preflighted_then_not_selectable_with_the_reason() {
    let app = with_scopes(
        demo_app(),
        &["oauth", "crm.objects.contacts.read"],
        &["developer.webhooks_journal.read", "crm.schemas.emails.read"],
    );
    let report = check(&app);
    let found: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.id == ids::SCOPES_NOT_SELECTABLE)
        .collect();
    assert_eq!(found.len(), 2);
    assert!(found[0].message.contains("client-credentials"));
    assert!(found[1].message.contains("sales-email-read"));
}

#[test]
fn given_legacy_scopes_when_preflighted_then_info_says_whether_granular_ones_exist() {
    let app = with_scopes(demo_app(), &["oauth", "content", "tickets"], &[]);
    let report = check(&app);
    let legacy: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.id == ids::SCOPES_LEGACY)
        .collect();
    assert_eq!(legacy.len(), 2);
    assert!(legacy.iter().all(|f| f.severity == Severity::Info));
    let content = legacy
        .iter()
        .find(|f| f.subject.as_deref() == Some("content"))
        .unwrap();
    assert!(content.message.contains("HubSpot still accepts it"));
    assert!(content.fix.contains("content.site_pages.read"));
    let tickets = legacy
        .iter()
        .find(|f| f.subject.as_deref() == Some("tickets"))
        .unwrap();
    assert!(tickets.message.contains("still the scope for this API"));
    assert_eq!(tickets.fix, "Nothing to change.");
}

#[test]
fn given_a_sensitive_scope_when_preflighted_then_info_names_the_requirement() {
    let app = with_scopes(
        demo_app(),
        &["oauth", "crm.objects.contacts.read"],
        &["crm.objects.contacts.sensitive.read.v2", "tickets.sensitive"],
    );
    let report = check(&app);
    let sensitive: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.id == ids::SCOPES_SENSITIVE)
        .collect();
    assert_eq!(sensitive.len(), 2);
    assert!(sensitive[0]
        .message
        .contains("an Enterprise subscription with Sensitive Data turned on"));
    assert!(
        !sensitive[1].message.contains("Enterprise"),
        "tickets' sensitive scopes are on all tiers"
    );
}

#[tokio::test]
async fn given_a_required_scope_that_needs_a_tier_when_preflighted_then_info_quotes_the_tier_error() {
    let app = with_scopes(
        demo_app(),
        &["oauth", "crm.objects.contacts.read", "automation"],
        &[],
    );
    let report = check(&app);
    let f = finding(&report, ids::SCOPES_REQUIRED_TIER);
    assert_eq!(f.severity, Severity::Info);
    assert!(f
        .message
        .contains("needs Marketing Hub Professional or Enterprise"));
    assert!(f.fix.contains("make it optional"));
    // On the Starter portal (no automation), HubSpot refuses with exactly that wording.
    let mut fixture = Fixture::demo();
    fixture.apps[0].required_scopes.push("automation".into());
    fixture.apps[0].optional_scopes.retain(|s| s != "automation");
    let sb = sandbox_with(fixture).await;
    let client = hubkey_core::client::HubSpotClient::new(endpoints(&sb)).unwrap();
    let url = client
        .begin_authorization(&app, Some(DEMO_STARTER_HUB_ID))
        .unwrap()
        .url;
    let (kind, page) = fetch(url.as_str()).await;
    assert_eq!(kind.as_deref(), Some("account_lacks_scopes"));
    assert!(page.contains(f.hubspot_says.as_deref().unwrap()));
}

#[test]
fn given_a_scope_with_url_characters_when_preflighted_then_malformed_error() {
    let app = with_scopes(demo_app(), &["oauth", "crm.objects.contacts.read&x=1"], &[]);
    let f = finding(&check(&app), ids::SCOPES_MALFORMED).clone();
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains("is not a scope name"));
}

// ----- MCP auth apps ------------------------------------------------------------------------

#[test]
fn given_an_mcp_app_with_scopes_when_preflighted_then_scopes_are_ignored_and_not_checked() {
    let app = with_scopes(mcp_app(), &["crm.objects.contact.read"], &["automation"]);
    let report = check(&app);
    assert!(report.ok(), "{:#?}", report.findings);
    let f = finding(&report, ids::MCP_SCOPES_IGNORED);
    assert_eq!(f.severity, Severity::Info);
    assert!(f.message.contains("ignores the scopes of an MCP auth app"));
    assert!(!report.has(ids::SCOPES_UNKNOWN) && !report.has(ids::SCOPES_LEGACY));
    // Without scopes, nothing to say.
    assert!(
        check(&mcp_app()).findings.is_empty(),
        "{:#?}",
        check(&mcp_app()).findings
    );
}

#[test]
fn given_an_mcp_app_with_pkce_off_when_preflighted_then_info_says_pkce_is_forced() {
    let mut app = mcp_app();
    app.pkce = false;
    let report = check(&app);
    let f = finding(&report, ids::PKCE_OFF_FOR_MCP);
    assert_eq!(f.severity, Severity::Info);
    assert!(f.message.contains(hs::PKCE_REQUIRED_FOR_MCP));
    assert!(app.uses_pkce(), "and Hubkey does use it");
    // A standard app may turn PKCE off without a finding.
    let mut standard = demo_app();
    standard.pkce = false;
    assert!(!check(&standard).has(ids::PKCE_OFF_FOR_MCP));
}

#[test]
fn given_several_problems_when_preflighted_then_errors_come_first() {
    let app = with_scopes(
        with_redirect("http://127.0.0.1:53682/callback"),
        &["crm.objects.contacts.read", "content"],
        &[],
    );
    let report = check(&app);
    let severities: Vec<Severity> = report.findings.iter().map(|f| f.severity).collect();
    let mut sorted = severities.clone();
    sorted.sort();
    assert_eq!(severities, sorted);
    assert_eq!(severities.first(), Some(&Severity::Error));
    assert_eq!(severities.last(), Some(&Severity::Info));
}
