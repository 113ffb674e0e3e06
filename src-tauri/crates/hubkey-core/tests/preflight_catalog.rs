#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The scope catalog against the HubSpot sandbox's list of known scopes: the two must agree, so
//! that preflight never calls a scope unknown that the sandbox accepts, nor passes one the sandbox
//! rejects with "An invalid scope name was provided".
//!
//! The sandbox exposes only `is_known_scope(name)`, not its list, so the list is read from the
//! sandbox's source (`tests/hubspot-sandbox/src/scopes.rs`) and expanded the way the sandbox
//! expands it. If the sandbox's layout changes, this test fails loudly instead of passing vacuously.

use hubkey_core::scopes::ScopeCatalog;
use hubspot_sandbox::is_known_scope;
use std::collections::BTreeSet;

const SANDBOX_SCOPES_RS: &str = include_str!("../../../../tests/hubspot-sandbox/src/scopes.rs");

/// The string literals of `const NAME: &[&str] = &[ … ];` in the sandbox source.
fn sandbox_array(name: &str) -> Vec<String> {
    let start = SANDBOX_SCOPES_RS
        .find(&format!("const {name}: &[&str] = &["))
        .unwrap_or_else(|| panic!("the sandbox no longer defines {name}"));
    let body = &SANDBOX_SCOPES_RS[start..];
    let body = &body[body.find("&[").unwrap() + 2..body.find("];").unwrap()];
    let mut out = Vec::new();
    for line in body.lines() {
        let line = line.split("//").next().unwrap();
        let mut rest = line;
        while let Some(open) = rest.find('"') {
            let after = &rest[open + 1..];
            let close = after.find('"').unwrap();
            out.push(after[..close].to_owned());
            rest = &after[close + 1..];
        }
    }
    assert!(!out.is_empty(), "{name} is empty");
    out
}

/// The sandbox's whole catalog, expanded as its `CATALOG` does.
fn sandbox_known_scopes() -> BTreeSet<String> {
    let mut set: BTreeSet<String> = sandbox_array("SINGLE").into_iter().collect();
    for obj in sandbox_array("OBJECTS_READ_WRITE") {
        set.insert(format!("crm.objects.{obj}.read"));
        set.insert(format!("crm.objects.{obj}.write"));
    }
    for obj in sandbox_array("OBJECTS_READ_ONLY") {
        set.insert(format!("crm.objects.{obj}.read"));
    }
    for obj in sandbox_array("SENSITIVE_OBJECTS") {
        for level in ["sensitive", "highly_sensitive"] {
            for access in ["read", "write"] {
                set.insert(format!("crm.objects.{obj}.{level}.{access}"));
                set.insert(format!("crm.objects.{obj}.{level}.{access}.v2"));
            }
        }
    }
    for obj in sandbox_array("SCHEMAS_READ_WRITE") {
        set.insert(format!("crm.schemas.{obj}.read"));
        set.insert(format!("crm.schemas.{obj}.write"));
    }
    for obj in sandbox_array("SCHEMAS_READ_ONLY") {
        set.insert(format!("crm.schemas.{obj}.read"));
    }
    set
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
        "crm.objects.emails.read",
        "reportedly not selectable; use sales-email-read (§6.2)",
    ),
    (
        "crm.schemas.emails.read",
        "reportedly not selectable; use sales-email-read (§6.2)",
    ),
];

#[test]
fn given_the_sandbox_source_when_expanded_then_the_sandbox_itself_knows_every_name() {
    // Guards the parsing above: a mis-read name would not be known to the sandbox.
    let known = sandbox_known_scopes();
    assert!(known.len() > 200, "{}", known.len());
    for s in &known {
        assert!(
            is_known_scope(s),
            "{s} parsed from the sandbox source but unknown to it"
        );
    }
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
