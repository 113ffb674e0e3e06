#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The scope catalog against the HubSpot sandbox's list of known scopes: the two must be the same
//! set, so that preflight never calls a scope unknown that the sandbox accepts, nor passes one the
//! sandbox rejects with "An invalid scope name was provided". The sandbox plays HubSpot and keeps its
//! own list (`tests/hubspot-sandbox/src/scopes.rs`); this test is what keeps the two from drifting.

use hubkey_core::scopes::ScopeCatalog;
use hubspot_sandbox::{is_known_scope, known_scopes};
use std::collections::BTreeSet;

/// The sandbox's whole list.
fn sandbox_known_scopes() -> BTreeSet<String> {
    known_scopes().into_iter().collect()
}

/// Scopes the sandbox knows that are *not* user-selectable, and why (the catalog has them, marked
/// `selectable: false`, so preflight warns instead of calling them unknown).
const NOT_SELECTABLE: &[(&str, &str)] = &[
    (
        "developer.webhooks_journal.read",
        "client-credentials developer scope (§2.2)",
    ),
    (
        "developer.webhooks_journal.subscriptions.read",
        "client-credentials developer scope (§2.2)",
    ),
    (
        "developer.webhooks_journal.subscriptions.write",
        "client-credentials developer scope (§2.2)",
    ),
    (
        "crm.schemas.emails.read",
        "reportedly not selectable; use sales-email-read (§6.2)",
    ),
];

#[test]
fn given_the_sandbox_and_the_catalog_then_they_hold_exactly_the_same_names() {
    let sandbox = sandbox_known_scopes();
    assert!(sandbox.len() > 240, "{}", sandbox.len());
    assert!(sandbox.iter().all(|s| is_known_scope(s)));
    let catalog: BTreeSet<String> = ScopeCatalog::embedded()
        .all()
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let only_sandbox: Vec<&String> = sandbox.difference(&catalog).collect();
    let only_catalog: Vec<&String> = catalog.difference(&sandbox).collect();
    assert!(
        only_sandbox.is_empty() && only_catalog.is_empty(),
        "only in the sandbox: {only_sandbox:?}; only in the catalog: {only_catalog:?}"
    );
}

#[test]
fn given_every_scope_the_sandbox_knows_then_the_catalog_has_it_and_selectable_ones_are_selectable() {
    let catalog = ScopeCatalog::embedded();
    let known = sandbox_known_scopes();
    let missing: Vec<&String> = known.iter().filter(|s| !catalog.contains(s)).collect();
    assert!(
        missing.is_empty(),
        "in the sandbox, not in the catalog: {missing:?}"
    );
    let not_selectable: BTreeSet<&str> = known
        .iter()
        .filter(|s| !catalog.get(s).unwrap().selectable)
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = NOT_SELECTABLE.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        not_selectable, expected,
        "exceptions must be listed with their reason"
    );
}

#[test]
fn given_every_catalog_scope_then_the_sandbox_accepts_its_name() {
    // Otherwise preflight would pass a scope the sandbox refuses as "An invalid scope name".
    let unknown: Vec<&str> = ScopeCatalog::embedded()
        .all()
        .iter()
        .map(|s| s.name.as_str())
        .filter(|s| !is_known_scope(s))
        .collect();
    assert!(
        unknown.is_empty(),
        "in the catalog, unknown to the sandbox: {unknown:?}"
    );
}

#[test]
fn given_the_embedded_catalog_when_loaded_then_names_are_unique_and_each_entry_is_complete() {
    let catalog = ScopeCatalog::embedded();
    let names: BTreeSet<&str> = catalog.all().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names.len(), catalog.all().len(), "duplicates");
    let families: BTreeSet<&str> = catalog.families().iter().map(|f| f.id.as_str()).collect();
    for s in catalog.all() {
        assert!(
            s.grants.ends_with('.') && s.grants.len() > 10,
            "{}: {:?}",
            s.name,
            s.grants
        );
        assert!(families.contains(s.family.as_str()), "{}", s.name);
        assert_eq!(
            s.sensitive,
            s.name.contains("sensitive"),
            "{}: sensitive flag follows the name",
            s.name
        );
    }
}

#[test]
fn given_the_2023_tier_table_then_the_catalog_carries_each_known_tier() {
    // hubspot-oauth.md §6.2 (a), one scope per tier row.
    let catalog = ScopeCatalog::embedded();
    for (scope, tier) in [
        ("oauth", "any"),
        ("crm.objects.quotes.write", "any"),
        ("crm.objects.custom.write", "any_enterprise"),
        ("cms.functions.write", "cms_enterprise"),
        ("cms.knowledge_base.articles.publish", "service_pro"),
        ("crm.objects.feedback_submission.read", "service_pro"),
        ("crm.objects.goals.read", "sales_starter"),
        ("analytics.behavioral_events.send", "marketing_enterprise"),
        ("automation", "marketing_pro"),
        ("social", "marketing_pro"),
        ("content", "cms_or_marketing_pro"),
        ("hubdb", "cms_or_marketing_pro"),
        ("collector.graphql_query.execute", "cms_pro"),
        ("conversations.visitor_identification.tokens.create", "any_pro"),
        ("ctas.read", "marketing_or_cms_starter"),
        ("transactional-email", "marketing_pro_transactional"),
        ("business_units.view.read", "business_units"),
    ] {
        let info = catalog.get(scope).unwrap_or_else(|| panic!("{scope} missing"));
        assert_eq!(info.tier.as_ref().map(|t| t.id.as_str()), Some(tier), "{scope}");
    }
}
