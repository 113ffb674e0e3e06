#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The install-failure guide stays faithful to HubSpot's pages: every entry is triggered on the
//! HubSpot sandbox through the authorize URL Hubkey builds, and the entry's `hubspot_message` must
//! appear on the page the sandbox shows (and identify it).

use crate::preflight_support;

use hubkey_core::app::AppConfig;
use hubkey_core::install_guide::{self, hubspot_text as hs, install_guide, InstallFailure};
use hubspot_sandbox::{Fixture, InstallBlock, SandboxHandle};
use preflight_support::*;

/// How to make HubSpot (the sandbox) show the page of each guide entry.
enum Trigger {
    /// The demo app configured like this in Hubkey.
    App(fn() -> AppConfig),
    /// The demo app, signed in as another user.
    LoginAs(&'static str),
    /// The demo app, blocked at HubSpot for this reason.
    Blocked(InstallBlock),
}

fn trigger(id: &str) -> Trigger {
    match id {
        "no_install_permission" => Trigger::LoginAs("robin@acme.example"),
        "account_lacks_scopes" => Trigger::App(|| {
            // crm.objects.custom.read is conditionally required; the Professional portal lacks it.
            with_scopes(
                demo_app(),
                &["oauth", "crm.objects.contacts.read", "crm.objects.custom.read"],
                &[],
            )
        }),
        "governance_unapproved" => Trigger::Blocked(InstallBlock::GovernanceUnapproved),
        "scope_mismatch" => Trigger::App(|| {
            with_scopes(
                demo_app(),
                &["oauth", "crm.objects.contacts.read"],
                &["crm.objects.companies.read"],
            )
        }),
        "insufficient_scopes" => Trigger::App(|| with_scopes(demo_app(), &["oauth"], &[])),
        "invalid_scope_name" => Trigger::App(|| {
            with_scopes(
                demo_app(),
                &["oauth", "crm.objects.contacts.read", "crm.objects.unicorns.read"],
                &[],
            )
        }),
        "redirect_uri_mismatch" => Trigger::App(|| {
            let mut app = demo_app();
            app.redirect_uri = "http://localhost:53699/callback".into();
            app
        }),
        "invalid_client_id" => Trigger::App(|| {
            let mut app = demo_app();
            app.client_id = "00000000-0000-4000-8000-000000000000".into();
            app
        }),
        "aup_unsigned" => Trigger::Blocked(InstallBlock::AupUnsigned),
        "install_link_retired" => Trigger::Blocked(InstallBlock::InstallLinkRetired),
        other => panic!("no sandbox trigger for the guide entry {other}: add one"),
    }
}

async fn page_of(id: &str) -> (Option<String>, String) {
    let (sb, app): (SandboxHandle, AppConfig) = match trigger(id) {
        Trigger::App(app) => (sandbox().await, app()),
        Trigger::LoginAs(user) => {
            let sb = sandbox().await;
            sb.update_switches(|s| s.login_as = Some(user.to_owned()));
            (sb, demo_app())
        }
        Trigger::Blocked(block) => {
            let mut fixture = Fixture::demo();
            fixture.apps[0].install_block = Some(block);
            (sandbox_with(fixture).await, demo_app())
        }
    };
    let page = authorize_page(&sb, &app).await;
    sb.shutdown().await;
    page
}

#[tokio::test]
async fn given_each_guide_entry_when_its_failure_is_triggered_at_hubspot_then_the_page_shows_its_message() {
    assert_eq!(install_guide().len(), 10);
    for entry in install_guide() {
        let (kind, page) = page_of(entry.id).await;
        // The sandbox page is the failure this entry is about…
        assert_eq!(kind.as_deref(), Some(entry.id), "{}: {page}", entry.id);
        // …and shows HubSpot's wording the guide quotes.
        assert!(
            entry.matches(&page),
            "{}: {:?} not on the page {page}",
            entry.id,
            entry.hubspot_message
        );
        if !entry.hubspot_message.contains('{') {
            assert!(page.contains(entry.hubspot_message), "{} verbatim", entry.id);
        }
        // A user pasting the page's text gets this entry.
        assert_eq!(
            install_guide::identify(&page).map(|f| f.id),
            Some(entry.id),
            "{}",
            entry.id
        );
    }
}

#[tokio::test]
async fn given_the_tier_failure_when_shown_then_the_newer_wording_with_scopes_is_recognised_too() {
    let (_, page) = page_of("account_lacks_scopes").await;
    let entry: &InstallFailure = install_guide::entry("account_lacks_scopes").unwrap();
    assert!(entry.also_seen.contains(&hs::ACCOUNT_LACKS_SCOPES));
    assert!(page.contains(
        "Authorization failed because your account lacks access to the required scopes [crm.objects.custom.read]"
    ));
    let newer_only = "Authorization failed because your account lacks access to the required scopes [x]";
    assert_eq!(
        install_guide::identify(newer_only).map(|f| f.id),
        Some("account_lacks_scopes")
    );
}

#[test]
fn given_the_guide_when_serialized_then_the_ui_gets_every_field() {
    let json = serde_json::to_value(install_guide()).unwrap();
    let first = &json[0];
    for field in ["id", "title", "hubspot_message", "also_seen", "cause", "fix"] {
        assert!(!first[field].is_null(), "{field}");
    }
    assert_eq!(first["hubspot_message"], "Request for Integration Permissions");
}
