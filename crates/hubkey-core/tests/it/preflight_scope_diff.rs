#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `ScopeDiff` after consent, with the scopes the HubSpot sandbox actually grants: optional scopes
//! the account lacks are dropped and explained from the catalog's tier; MCP bundles are extra.

use crate::preflight_support;

use hubkey_core::scopes::{DroppedScope, ScopeCatalog, ScopeDiff};
use hubspot_sandbox::{
    DEMO_MCP_CLIENT_ID, DEMO_PRO_HUB_ID, DEMO_STANDARD_CLIENT_ID, DEMO_STARTER_HUB_ID,
    DEMO_USER_LEVEL_CLIENT_ID,
};
use preflight_support::*;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn given_a_starter_portal_without_automation_when_diffed_then_automation_is_dropped_for_its_tier() {
    let sb = sandbox().await;
    let granted = sb
        .issue_tokens_directly(DEMO_STANDARD_CLIENT_ID, DEMO_STARTER_HUB_ID, None)
        .unwrap()
        .scopes;
    let diff = ScopeDiff::compute(&demo_app(), &granted);
    assert_eq!(
        diff.required_granted,
        strings(&["oauth", "crm.objects.contacts.read"])
    );
    assert!(diff.required_missing.is_empty());
    assert_eq!(
        diff.optional_granted,
        strings(&["crm.objects.deals.read", "crm.objects.owners.read"])
    );
    assert_eq!(
        diff.optional_dropped,
        vec![DroppedScope {
            scope: "automation".into(),
            likely_reason: "needs Marketing Hub Professional or Enterprise".into(),
        }]
    );
    assert!(diff.extra_granted.is_empty());
    assert!(!diff.complete());
    // On the Professional portal everything requested is granted.
    let granted = sb
        .issue_tokens_directly(DEMO_STANDARD_CLIENT_ID, DEMO_PRO_HUB_ID, None)
        .unwrap()
        .scopes;
    assert!(ScopeDiff::compute(&demo_app(), &granted).complete());
}

#[tokio::test]
async fn given_a_user_level_app_and_a_user_without_deals_permission_when_diffed_then_the_reason_says_so() {
    let sb = sandbox().await;
    let granted = sb
        .issue_tokens_directly(
            DEMO_USER_LEVEL_CLIENT_ID,
            DEMO_PRO_HUB_ID,
            Some("morgan@acme.example"),
        )
        .unwrap()
        .scopes;
    let app = with_scopes(
        demo_app(),
        &["oauth", "crm.objects.contacts.read"],
        &["crm.objects.deals.read", "crm.objects.owners.read"],
    );
    let diff = ScopeDiff::compute_with(&app, &granted, Some(true), ScopeCatalog::embedded());
    assert_eq!(diff.optional_dropped.len(), 1);
    let dropped = &diff.optional_dropped[0];
    assert_eq!(dropped.scope, "crm.objects.deals.read");
    assert!(
        dropped
            .likely_reason
            .contains("the installing user has no permission"),
        "{}",
        dropped.likely_reason
    );
}

#[tokio::test]
async fn given_an_mcp_auth_app_when_diffed_then_the_whole_bundle_is_extra() {
    let sb = sandbox().await;
    let granted = sb
        .issue_tokens_directly(DEMO_MCP_CLIENT_ID, DEMO_PRO_HUB_ID, None)
        .unwrap()
        .scopes;
    let app = with_scopes(mcp_app(), &["crm.objects.contacts.read"], &[]);
    let diff = ScopeDiff::compute(&app, &granted);
    assert!(diff.requested_scopes_ignored);
    assert_eq!(diff.extra_granted, granted);
    assert!(diff.required_missing.is_empty() && diff.optional_dropped.is_empty());
}

#[test]
fn given_oauth_not_listed_and_unrequested_scopes_granted_when_diffed_then_oauth_counts_as_required() {
    let app = with_scopes(demo_app(), &["crm.objects.contacts.read"], &["made.up.scope"]);
    let granted = strings(&["oauth", "crm.objects.contacts.read", "tickets", "tickets"]);
    let diff = ScopeDiff::compute(&app, &granted);
    assert_eq!(
        diff.required_granted,
        strings(&["crm.objects.contacts.read", "oauth"])
    );
    assert_eq!(diff.extra_granted, strings(&["tickets"]));
    assert_eq!(diff.optional_dropped[0].scope, "made.up.scope");
    assert!(diff.optional_dropped[0]
        .likely_reason
        .contains("HubSpot drops optional scopes"));
    // A required scope missing (HubSpot would have refused the install) is reported, not hidden.
    let diff = ScopeDiff::compute(&demo_app(), &strings(&["oauth"]));
    assert_eq!(diff.required_missing, strings(&["crm.objects.contacts.read"]));
    let json = serde_json::to_value(&diff).unwrap();
    assert_eq!(json["required_missing"][0], "crm.objects.contacts.read");
    assert!(json["optional_dropped"][0]["likely_reason"].is_string());
}
