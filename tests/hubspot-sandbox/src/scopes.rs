//! The catalog of scope names HubSpot knows about (hubspot-oauth.md §6.2 and its corrections of
//! 2026-12-02).
//!
//! HubSpot rejects an install URL naming a scope that does not exist with "An invalid scope name was
//! provided" (§1.3 rule 3), so the emulator needs *some* list to check names against. This is
//! HubSpot's published scope table as the doc collects it: the 2023 docs table (§6.2 a), the
//! user-selectable families extracted from HubSpot's OpenAPI collection (§6.2 b), the legacy broad
//! scopes that still appear in install URLs, and the engagement scopes the corrections add
//! (`crm.objects.{tickets,notes,calls,tasks,meetings,emails,communications}.{read,write}`). It is
//! deliberately generous: a false "invalid scope" would make the emulator stricter than HubSpot.
//!
//! The sandbox plays HubSpot, so it keeps its own list rather than reading Hubkey's catalog; a
//! hubkey-core test compares the two ([`known_scopes`]) so they cannot drift apart.

use std::collections::HashSet;
use std::sync::LazyLock;

/// Single, non-family scope names.
const SINGLE: &[&str] = &[
    "oauth",
    // Legacy broad scopes (§6.2 community notes).
    "contacts",
    "content",
    "automation",
    "forms",
    "tickets",
    "timeline",
    "e-commerce",
    "files",
    "hubdb",
    "social",
    "reports",
    "integration-sync",
    "accounting",
    "actions",
    "business-intelligence",
    "transactional-email",
    "sales-email-read",
    "forms-uploaded-files",
    "marketing-email",
    // CRM misc.
    "crm.lists.read",
    "crm.lists.write",
    "crm.export",
    "crm.import",
    "crm.dealsplits.read_write",
    "crm.pipelines.orders.read",
    "crm.pipelines.orders.write",
    "crm.extensions_calling_transcripts.read",
    "crm.extensions_calling_transcripts.write",
    "crm.objects.tickets.sensitive.read",
    "crm.objects.tickets.sensitive.write",
    "crm.objects.tickets.highly_sensitive.read",
    "crm.objects.tickets.highly_sensitive.write",
    "tickets.sensitive",
    "tickets.sensitive.v2",
    "tickets.highly_sensitive",
    "tickets.highly_sensitive.v2",
    // CMS and content.
    "cms.domains.read",
    "cms.domains.write",
    "cms.performance.read",
    "cms.functions.read",
    "cms.functions.write",
    "cms.knowledge_base.articles.read",
    "cms.knowledge_base.articles.write",
    "cms.knowledge_base.articles.publish",
    "cms.knowledge_base.settings.read",
    "cms.knowledge_base.settings.write",
    "cms.membership.access_groups.write",
    "content.landing_pages.read",
    "content.landing_pages.write",
    "content.site_pages.read",
    "content.site_pages.write",
    "collector.graphql_query.execute",
    "collector.graphql_schema.read",
    "ctas.read",
    // Communication preferences and conversations.
    "communication_preferences.read",
    "communication_preferences.write",
    "communication_preferences.read_write",
    "communication_preferences.statuses.batch.read",
    "communication_preferences.statuses.batch.write",
    "conversations.read",
    "conversations.write",
    "conversations.custom_channels.read",
    "conversations.custom_channels.write",
    "conversations.visitor_identification.tokens.create",
    // Automation and marketing.
    "automation.sequences.read",
    "automation.sequences.write",
    "automation.sequences.enrollments.write",
    "marketing.campaigns.read",
    "marketing.campaigns.write",
    "marketing.campaigns.revenue.read",
    "marketing.campaigns.revenue.full.read",
    "marketing.campaigns.revenue.lite.read",
    "marketing.email.read",
    "marketing.email.write",
    "marketing.aeo.read",
    // Files and HubDB.
    "files.read",
    "files.write",
    "files.delete",
    "files.ui_hidden.read",
    "files.ui_hidden.write",
    "hubdb.rows.read",
    "hubdb.rows.write",
    "hubdb.tables.read",
    "hubdb.tables.write",
    "hubdb.tables.publish",
    // Other.
    "external_integrations.forms.access",
    "media_bridge.read",
    "media_bridge.write",
    "analytics.behavioral_events.send",
    "behavioral_events.event_definitions.read_write",
    "business_units.view.read",
    "business_units_view.read",
    "scheduler.meetings.meeting-link.read",
    "settings.users.read",
    "settings.users.write",
    "settings.users.teams.read",
    "settings.users.teams.write",
    "settings.users.team.write",
    "settings.currencies.read",
    "settings.currencies.write",
    "settings.billing.write",
    "tax_rates.read",
    "account-info.security.read",
    "data_integration.data_source.file.read",
    "data_integration.data_source.file.write",
    // Client-credentials-only developer scopes (§2.2).
    "developer.webhooks_journal.read",
    "developer.webhooks_journal.subscriptions.read",
    "developer.webhooks_journal.subscriptions.write",
];

/// `crm.objects.<obj>.read` and `.write`.
const OBJECTS_READ_WRITE: &[&str] = &[
    "appointments",
    "calls",
    "carts",
    "commercepayments",
    "communications",
    "companies",
    "contacts",
    "courses",
    "custom",
    "deals",
    "emails",
    "goals",
    "invoices",
    "leads",
    "line_items",
    "listings",
    "marketing_events",
    "meetings",
    "notes",
    "orders",
    "partner-clients",
    "partner-services",
    "products",
    "projects",
    "quotes",
    "services",
    "subscriptions",
    "tasks",
    "tickets",
    "users",
];

/// `crm.objects.<obj>.read` only.
const OBJECTS_READ_ONLY: &[&str] = &[
    "contracts",
    "feedback_submissions",
    "feedback_submission",
    "owners",
];

/// Objects with `.sensitive.*` and `.highly_sensitive.*` variants.
const SENSITIVE_OBJECTS: &[&str] = &["companies", "contacts", "custom", "deals", "projects"];

/// `crm.schemas.<obj>.read` and `.write`.
const SCHEMAS_READ_WRITE: &[&str] = &[
    "appointments",
    "carts",
    "commercepayments",
    "companies",
    "contacts",
    "courses",
    "custom",
    "deals",
    "invoices",
    "listings",
    "orders",
    "projects",
    "quotes",
    "services",
    "subscriptions",
    "tickets",
];

/// `crm.schemas.<obj>.read` only.
const SCHEMAS_READ_ONLY: &[&str] = &["calls", "emails", "line_items", "meetings", "notes", "tasks"];

static CATALOG: LazyLock<HashSet<String>> = LazyLock::new(|| {
    let mut set: HashSet<String> = SINGLE.iter().map(|s| (*s).to_owned()).collect();
    for obj in OBJECTS_READ_WRITE {
        set.insert(format!("crm.objects.{obj}.read"));
        set.insert(format!("crm.objects.{obj}.write"));
    }
    for obj in OBJECTS_READ_ONLY {
        set.insert(format!("crm.objects.{obj}.read"));
    }
    for obj in SENSITIVE_OBJECTS {
        for level in ["sensitive", "highly_sensitive"] {
            for access in ["read", "write"] {
                set.insert(format!("crm.objects.{obj}.{level}.{access}"));
                set.insert(format!("crm.objects.{obj}.{level}.{access}.v2"));
            }
        }
    }
    for obj in SCHEMAS_READ_WRITE {
        set.insert(format!("crm.schemas.{obj}.read"));
        set.insert(format!("crm.schemas.{obj}.write"));
    }
    for obj in SCHEMAS_READ_ONLY {
        set.insert(format!("crm.schemas.{obj}.read"));
    }
    set
});

/// Whether HubSpot knows a scope of this name.
pub fn is_known_scope(name: &str) -> bool {
    CATALOG.contains(name)
}

/// Every scope name the sandbox accepts, sorted (for the test that keeps Hubkey's catalog and this
/// list equal).
pub fn known_scopes() -> Vec<String> {
    let mut all: Vec<String> = CATALOG.iter().cloned().collect();
    all.sort();
    all
}

/// Splits a scope parameter on whitespace (after form decoding, `+` and `%20` are both spaces),
/// dropping empty pieces and duplicates while keeping the first-seen order.
pub fn split_scopes(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for piece in raw.split_whitespace() {
        if !out.iter().any(|s| s == piece) {
            out.push(piece.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_knows_granular_legacy_and_family_names_but_not_made_up_ones() {
        assert!(is_known_scope("oauth"));
        assert!(is_known_scope("contacts"));
        assert!(is_known_scope("crm.objects.contacts.read"));
        assert!(is_known_scope("crm.objects.deals.highly_sensitive.write.v2"));
        assert!(is_known_scope("crm.schemas.tickets.write"));
        // The engagement scopes real apps request every day (corrections of 2026-12-02).
        for name in [
            "crm.objects.tasks.write",
            "crm.objects.notes.write",
            "crm.objects.calls.write",
            "crm.objects.tickets.read",
            "crm.objects.communications.write",
        ] {
            assert!(is_known_scope(name), "{name}");
        }
        assert!(!is_known_scope("crm.objects.owners.write"));
        assert!(!is_known_scope("crm.objects.contact.read"));
        assert!(!is_known_scope(""));
    }

    #[test]
    fn split_scopes_handles_runs_of_whitespace_and_duplicates() {
        assert_eq!(
            split_scopes("  oauth  contacts oauth\tfiles "),
            vec!["oauth", "contacts", "files"]
        );
    }
}
