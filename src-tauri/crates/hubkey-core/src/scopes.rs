//! HubSpot's scope strings, explained: what each grants, the account tier it needs (where known),
//! whether it is a legacy broad name or a sensitive-data variant, and its family.
//!
//! The catalog is data, not code: `src/scopes/catalog.json`, embedded at compile time and parsed
//! once ([`ScopeCatalog::embedded`]). Its sources are hubspot-oauth.md §6.2 (a) (the 2023 docs
//! table with required tiers), §6.2 (b) (the selectable families of HubSpot's API spec) and the
//! community notes on legacy and sensitive scopes. A `tier` of `null` means *unknown*, not free.
//!
//! Used by [`crate::preflight`] (unknown names with "did you mean", legacy names), by
//! [`ScopeDiff`] (why an optional scope was dropped), and by the UI
//! (autocompletion with [`ScopeCatalog::suggest`], explanations with [`ScopeCatalog::get`]).

use crate::app::{AppConfig, AppKind};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

/// The embedded catalog file.
const CATALOG_JSON: &str = include_str!("scopes/catalog.json");

/// A subscription level a scope needs (hubspot-oauth.md §6.2 (a) "Required account tier").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierInfo {
    /// Stable id, e.g. `marketing_pro`.
    pub id: String,
    /// Plain wording, e.g. "Marketing Hub Professional or Enterprise".
    pub label: String,
}

impl TierInfo {
    /// True for the "any account" tier (the scope needs no paid subscription).
    pub fn is_any(&self) -> bool {
        self.id == "any"
    }
}

/// A group of related scopes, for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyInfo {
    /// Stable id, e.g. `crm_objects`.
    pub id: String,
    /// Plain wording, e.g. "CRM records".
    pub label: String,
}

/// One scope string, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeInfo {
    /// The scope string exactly as HubSpot spells it.
    pub name: String,
    /// What it grants, in one plain sentence.
    pub grants: String,
    /// The family id (see [`ScopeCatalog::families`]).
    pub family: String,
    /// The lowest subscription that has it, where known (`None`: unknown).
    pub tier: Option<TierInfo>,
    /// One of the broad legacy names (`contacts`, `content`, `automation`…). Several are still the
    /// current scope for their API; [`ScopeInfo::replaced_by`] is empty for those.
    pub legacy: bool,
    /// A sensitive-data variant (`.sensitive.`, `.highly_sensitive.`).
    pub sensitive: bool,
    /// Finer-grained scopes to use instead (legacy names only; may be empty).
    pub replaced_by: Vec<String>,
    /// A caveat worth showing (spelling variants, uncertainty).
    pub notes: Option<String>,
    /// Whether it can be configured on an app and requested in an install URL (false for
    /// developer-only scopes and for ones reported not selectable).
    pub selectable: bool,
}

impl ScopeInfo {
    /// Why HubSpot may have dropped this scope when it was optional, from its tier.
    pub fn likely_drop_reason(&self) -> String {
        match &self.tier {
            Some(t) if t.is_any() => {
                "every subscription includes it, so the account has the tool turned off, or (on a \
                 user-level app) the installing user has no permission for it"
                    .to_owned()
            }
            Some(t) => format!("needs {}", article_lower(&t.label)),
            None => {
                "the account's subscription probably lacks the tool behind it (HubSpot drops optional scopes \
                 the account cannot use), or on a user-level app the installing user has no permission for it"
                    .to_owned()
            }
        }
    }
}

/// "The Business Units add-on" → "the Business Units add-on" (product names keep their case).
pub(crate) fn article_lower(label: &str) -> String {
    for article in ["Any ", "The ", "An ", "A "] {
        if let Some(rest) = label.strip_prefix(article) {
            return format!("{}{rest}", article.to_ascii_lowercase());
        }
    }
    label.to_owned()
}

#[derive(Deserialize)]
struct RawCatalog {
    tiers: Vec<TierInfo>,
    families: Vec<FamilyInfo>,
    scopes: Vec<RawScope>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    name: String,
    grants: String,
    family: String,
    tier: Option<String>,
    #[serde(default)]
    legacy: bool,
    #[serde(default)]
    sensitive: bool,
    #[serde(default)]
    replaced_by: Vec<String>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default = "yes")]
    selectable: bool,
}

fn yes() -> bool {
    true
}

/// The scope catalog: every scope Hubkey can explain, sorted by name.
#[derive(Debug, Clone)]
pub struct ScopeCatalog {
    scopes: Vec<ScopeInfo>,
    by_name: HashMap<String, usize>,
    families: Vec<FamilyInfo>,
    tiers: Vec<TierInfo>,
}

impl ScopeCatalog {
    /// The catalog shipped with Hubkey (parsed once). If the embedded file were ever invalid (a
    /// test prevents that), this is an empty catalog rather than a crash.
    pub fn embedded() -> &'static ScopeCatalog {
        static CATALOG: OnceLock<ScopeCatalog> = OnceLock::new();
        CATALOG.get_or_init(|| match ScopeCatalog::from_json(CATALOG_JSON) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("the embedded scope catalog is invalid: {e}");
                ScopeCatalog::empty()
            }
        })
    }

    fn empty() -> Self {
        Self {
            scopes: Vec::new(),
            by_name: HashMap::new(),
            families: Vec::new(),
            tiers: Vec::new(),
        }
    }

    /// Parses a catalog in the format of `src/scopes/catalog.json`. Refuses duplicates, unknown
    /// tier or family ids and `replaced_by` entries that are not in the catalog.
    pub fn from_json(json: &str) -> Result<Self, String> {
        let raw: RawCatalog = serde_json::from_str(json).map_err(|e| format!("not a scope catalog: {e}"))?;
        let tiers: HashMap<&str, &TierInfo> = raw.tiers.iter().map(|t| (t.id.as_str(), t)).collect();
        let mut scopes = Vec::with_capacity(raw.scopes.len());
        for s in &raw.scopes {
            if !raw.families.iter().any(|f| f.id == s.family) {
                return Err(format!("scope {:?}: unknown family {:?}", s.name, s.family));
            }
            let tier = match &s.tier {
                None => None,
                Some(id) => Some(
                    (*tiers
                        .get(id.as_str())
                        .ok_or_else(|| format!("scope {:?}: unknown tier {id:?}", s.name))?)
                    .clone(),
                ),
            };
            scopes.push(ScopeInfo {
                name: s.name.clone(),
                grants: s.grants.clone(),
                family: s.family.clone(),
                tier,
                legacy: s.legacy,
                sensitive: s.sensitive,
                replaced_by: s.replaced_by.clone(),
                notes: s.notes.clone(),
                selectable: s.selectable,
            });
        }
        scopes.sort_by(|a, b| a.name.cmp(&b.name));
        let mut by_name = HashMap::with_capacity(scopes.len());
        for (i, s) in scopes.iter().enumerate() {
            if by_name.insert(s.name.clone(), i).is_some() {
                return Err(format!("duplicate scope {:?}", s.name));
            }
        }
        for s in &scopes {
            if let Some(r) = s.replaced_by.iter().find(|r| !by_name.contains_key(r.as_str())) {
                return Err(format!(
                    "scope {:?}: replaced_by names unknown scope {r:?}",
                    s.name
                ));
            }
        }
        Ok(Self {
            scopes,
            by_name,
            families: raw.families,
            tiers: raw.tiers,
        })
    }

    /// Every scope, sorted by name.
    pub fn all(&self) -> &[ScopeInfo] {
        &self.scopes
    }

    /// The families, in display order.
    pub fn families(&self) -> &[FamilyInfo] {
        &self.families
    }

    /// The tiers, from "any account" upwards.
    pub fn tiers(&self) -> &[TierInfo] {
        &self.tiers
    }

    /// The scope of this exact name (scope names are case-sensitive at HubSpot).
    pub fn get(&self, name: &str) -> Option<&ScopeInfo> {
        self.by_name.get(name).and_then(|&i| self.scopes.get(i))
    }

    /// Whether the catalog knows this exact name.
    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// Autocompletion: selectable scopes whose name starts with `prefix` (case-insensitive,
    /// surrounding spaces ignored), sorted by name; when none does, those that contain it. An
    /// empty prefix gives every selectable scope.
    pub fn suggest(&self, prefix: &str) -> Vec<&ScopeInfo> {
        let p = prefix.trim().to_ascii_lowercase();
        let selectable = || self.scopes.iter().filter(|s| s.selectable);
        let starts: Vec<&ScopeInfo> = selectable().filter(|s| s.name.starts_with(&p)).collect();
        if !starts.is_empty() || p.is_empty() {
            return starts;
        }
        selectable().filter(|s| s.name.contains(&p)).collect()
    }

    /// "Did you mean": the known scope closest to a name that is not in the catalog (edit distance,
    /// case-insensitive), when it is close enough to be a plausible typo. `None` for a known name.
    pub fn closest(&self, name: &str) -> Option<&ScopeInfo> {
        self.closest_with_distance(name).map(|(s, _)| s)
    }

    /// As [`ScopeCatalog::closest`], with the edit distance (0 for a case or whitespace slip).
    pub fn closest_with_distance(&self, name: &str) -> Option<(&ScopeInfo, usize)> {
        if self.contains(name) {
            return None;
        }
        let wanted = name.trim().to_ascii_lowercase();
        if wanted.is_empty() {
            return None;
        }
        // A case or whitespace slip is always worth suggesting.
        if let Some(exact) = self.get(&wanted) {
            return Some((exact, 0));
        }
        let limit = 2 + wanted.chars().count() / 12;
        self.scopes
            .iter()
            .map(|s| (s, edit_distance(&wanted, &s.name)))
            .filter(|(_, d)| *d <= limit)
            .min_by(|(a, da), (b, db)| da.cmp(db).then_with(|| a.name.cmp(&b.name)))
    }
}

/// An optional scope the account did not grant, and the likely reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DroppedScope {
    /// The scope.
    pub scope: String,
    /// Why HubSpot probably dropped it (from the catalog's tier), e.g. "needs Marketing Hub
    /// Professional or Enterprise".
    pub likely_reason: String,
}

/// Requested against granted scopes, after consent (hubspot-oauth.md §1.3, §6.1, §6.3, §7.3).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ScopeDiff {
    /// Required scopes that were granted (`oauth` counts as required even when not listed:
    /// HubSpot adds it to every app).
    pub required_granted: Vec<String>,
    /// Required scopes that were not granted. Should never happen: HubSpot refuses the install
    /// instead of dropping a required scope.
    pub required_missing: Vec<String>,
    /// Optional scopes that were granted.
    pub optional_granted: Vec<String>,
    /// Optional scopes that were not granted, with the likely reason.
    pub optional_dropped: Vec<DroppedScope>,
    /// Granted scopes that were not requested (an MCP auth app's bundle, or `oauth`…).
    pub extra_granted: Vec<String>,
    /// True for MCP auth apps: HubSpot ignores the requested scopes, so everything is "extra".
    pub requested_scopes_ignored: bool,
}

impl ScopeDiff {
    /// Compares the app's requested scopes with the `granted` ones (the token's `scopes`).
    pub fn compute(app: &AppConfig, granted: &[String]) -> ScopeDiff {
        Self::compute_with(app, granted, None, ScopeCatalog::embedded())
    }

    /// As [`ScopeDiff::compute`]; `is_user_level` (from the connection's metadata) sharpens the
    /// reasons for dropped scopes, and the catalog is explicit.
    pub fn compute_with(
        app: &AppConfig,
        granted: &[String],
        is_user_level: Option<bool>,
        catalog: &ScopeCatalog,
    ) -> ScopeDiff {
        let mut diff = ScopeDiff::default();
        let mut granted_unique: Vec<&str> = Vec::new();
        for g in granted {
            if !granted_unique.contains(&g.as_str()) {
                granted_unique.push(g);
            }
        }
        if app.kind == AppKind::Mcp {
            diff.requested_scopes_ignored = true;
            diff.extra_granted = granted_unique.iter().map(|s| (*s).to_owned()).collect();
            return diff;
        }
        let is_granted = |s: &str| granted_unique.contains(&s);
        let mut seen: Vec<&str> = Vec::new();
        for s in &app.scopes {
            if seen.contains(&s.as_str()) {
                continue;
            }
            seen.push(s);
            if is_granted(s) {
                diff.required_granted.push(s.clone());
            } else {
                diff.required_missing.push(s.clone());
            }
        }
        if !seen.contains(&"oauth") && is_granted("oauth") {
            diff.required_granted.push("oauth".to_owned());
            seen.push("oauth");
        }
        for s in &app.optional_scopes {
            if seen.contains(&s.as_str()) {
                continue;
            }
            seen.push(s);
            if is_granted(s) {
                diff.optional_granted.push(s.clone());
            } else {
                diff.optional_dropped.push(DroppedScope {
                    scope: s.clone(),
                    likely_reason: drop_reason(s, is_user_level, catalog),
                });
            }
        }
        diff.extra_granted = granted_unique
            .iter()
            .filter(|g| !seen.contains(g))
            .map(|s| (*s).to_owned())
            .collect();
        diff
    }

    /// True when every requested scope was granted.
    pub fn complete(&self) -> bool {
        self.required_missing.is_empty() && self.optional_dropped.is_empty()
    }
}

fn drop_reason(scope: &str, is_user_level: Option<bool>, catalog: &ScopeCatalog) -> String {
    let base = match catalog.get(scope) {
        Some(info) => info.likely_drop_reason(),
        None => "HubSpot drops optional scopes the account's subscription or the installing user cannot use"
            .to_owned(),
    };
    match is_user_level {
        // On a user-level app a missing user permission is at least as likely as a missing tier.
        Some(true)
            if catalog
                .get(scope)
                .is_some_and(|i| i.tier.as_ref().is_some_and(|t| !t.is_any())) =>
        {
            format!("{base}, or the installing user has no permission for it (user-level app)")
        }
        _ => base,
    }
}

/// Levenshtein distance over chars (scope names are short).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_the_embedded_file_when_parsed_then_it_is_valid_and_has_no_duplicates() {
        let c = ScopeCatalog::from_json(CATALOG_JSON).unwrap();
        assert!(c.all().len() > 200, "{}", c.all().len());
        assert_eq!(ScopeCatalog::embedded().all().len(), c.all().len());
    }

    #[test]
    fn given_a_catalog_with_a_duplicate_when_parsed_then_it_is_refused() {
        let json = r#"{"tiers":[],"families":[{"id":"f","label":"F"}],"scopes":[
            {"name":"a","grants":"x","family":"f","tier":null},
            {"name":"a","grants":"y","family":"f","tier":null}]}"#;
        assert!(ScopeCatalog::from_json(json).unwrap_err().contains("duplicate"));
    }

    #[test]
    fn given_a_typo_when_asking_for_the_closest_then_the_intended_scope_is_suggested() {
        let c = ScopeCatalog::embedded();
        assert_eq!(
            c.closest("crm.objects.contact.read").map(|s| s.name.as_str()),
            Some("crm.objects.contacts.read")
        );
        assert_eq!(
            c.closest("CRM.OBJECTS.DEALS.READ").map(|s| s.name.as_str()),
            Some("crm.objects.deals.read")
        );
        assert_eq!(c.closest("crm.objects.deals.read"), None);
        assert_eq!(c.closest("totally-made-up-thing"), None);
    }

    #[test]
    fn given_a_prefix_when_suggesting_then_matching_selectable_scopes_come_sorted() {
        let c = ScopeCatalog::embedded();
        let names: Vec<&str> = c
            .suggest("crm.objects.deals.")
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names.first(), Some(&"crm.objects.deals.highly_sensitive.read"));
        assert!(names.contains(&"crm.objects.deals.read") && names.contains(&"crm.objects.deals.write"));
        assert!(names.windows(2).all(|w| w[0] < w[1]));
        // No prefix match: fall back to a substring match.
        assert!(c
            .suggest("hubdb.rows")
            .iter()
            .any(|s| s.name == "hubdb.rows.read"));
        assert!(c.suggest("rows.read").iter().any(|s| s.name == "hubdb.rows.read"));
        // Developer-only scopes are never suggested.
        assert!(c.suggest("developer.").is_empty());
    }

    #[test]
    fn given_known_scopes_when_explained_then_tier_legacy_and_sensitive_follow_the_doc() {
        let c = ScopeCatalog::embedded();
        let automation = c.get("automation").unwrap();
        assert!(automation.legacy);
        assert_eq!(
            automation.tier.as_ref().unwrap().label,
            "Marketing Hub Professional or Enterprise"
        );
        assert_eq!(
            automation.likely_drop_reason(),
            "needs Marketing Hub Professional or Enterprise"
        );
        let tickets = c.get("tickets").unwrap();
        assert!(
            tickets.legacy && tickets.replaced_by.is_empty(),
            "still the current scope"
        );
        assert!(
            c.get("crm.objects.contacts.highly_sensitive.write.v2")
                .unwrap()
                .sensitive
        );
        assert_eq!(
            c.get("crm.objects.custom.read")
                .unwrap()
                .tier
                .as_ref()
                .unwrap()
                .id,
            "any_enterprise"
        );
        assert!(!c.get("crm.objects.contacts.read").unwrap().legacy);
        assert!(!c.get("developer.webhooks_journal.read").unwrap().selectable);
        let json = serde_json::to_value(c.get("oauth").unwrap()).unwrap();
        assert_eq!(json["name"], "oauth");
        assert_eq!(json["tier"]["id"], "any");
    }

    #[test]
    fn given_every_legacy_name_of_the_doc_then_each_is_in_the_catalog_marked_legacy() {
        let c = ScopeCatalog::embedded();
        for name in [
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
        ] {
            assert!(c.get(name).is_some_and(|s| s.legacy), "{name}");
        }
        assert_eq!(c.all().iter().filter(|s| s.legacy).count(), 15);
    }

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
