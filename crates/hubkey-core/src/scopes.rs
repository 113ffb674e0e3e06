//! HubSpot's scope strings, explained: what each grants, the account tier it needs (where known),
//! whether it is a legacy broad name or a sensitive-data variant, and its family.
//!
//! The catalog is data, not code: `src/scopes/catalog.json`, embedded at compile time and parsed
//! once ([`ScopeCatalog::embedded`]). It is HubSpot's published scope table as hubspot-oauth.md
//! collects it (§6.2 (a) the 2023 docs table with required tiers, §6.2 (b) the scope strings of
//! HubSpot's API spec, the community notes on legacy and sensitive scopes, and the corrections of
//! 2026-12-02); the file names its source and the date it was last checked ([`ScopeCatalog::as_of`]).
//! A `tier` of `null` means *unknown*, not free.
//!
//! The catalog explains; it never decides. Only HubSpot knows which scopes exist, and its table
//! grows, so a name the catalog lacks is a warning everywhere ([`ScopeCatalog::unknown_note`]),
//! never a reason to refuse a sign-in or a registration. The one hard rule on names is
//! [`is_scope_token`]: characters that could change the install URL are refused (threat-model.md C11).
//!
//! Used by [`crate::preflight`] (unknown names with "did you mean", legacy names), by
//! [`ScopeDiff`] (why an optional scope was dropped), by the window's form validation, and by the
//! UI (autocompletion with [`ScopeCatalog::suggest`], explanations with [`ScopeCatalog::get`]).

use crate::app::{AppConfig, AppKind};
use crate::store::Connection;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

/// The embedded catalog file.
const CATALOG_JSON: &str = include_str!("scopes/catalog.json");

/// Longest scope name Hubkey puts in an install URL (HubSpot's are under 60 characters).
pub const MAX_SCOPE_LEN: usize = 100;

/// Whether `name` can go into an install URL as one scope: 1 to [`MAX_SCOPE_LEN`] ASCII letters,
/// digits, `.`, `_`, `-` or `:`. Anything else (`&`, `=`, `#`, `/`, spaces inside one entry…) could
/// add or change a query parameter (threat-model.md C11), so it is refused everywhere: the authorize URL
/// builder, preflight, the window's form and `hubkey app add` all use this one rule. Whether HubSpot
/// *knows* the name is a different question, answered only by HubSpot (see the module docs).
pub fn is_scope_token(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_SCOPE_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'))
}

/// The shape of every name in HubSpot's table: lowercase words of letters, digits, `_` and `-`,
/// joined by dots, starting with a letter (`crm.objects.contacts.read`, `sales-email-read`). Every
/// catalog entry has it (a test checks); a name without it is still only a warning.
pub fn is_canonical_scope_name(name: &str) -> bool {
    is_scope_token(name)
        && name.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        && name.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        })
}

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
    source: String,
    as_of: String,
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
    source: String,
    as_of: String,
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
            source: String::new(),
            as_of: String::new(),
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
            source: raw.source,
            as_of: raw.as_of,
            scopes,
            by_name,
            families: raw.families,
            tiers: raw.tiers,
        })
    }

    /// Where the list comes from (the file's `source`).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The date the list was last checked against HubSpot's table (`YYYY-MM-DD`).
    pub fn as_of(&self) -> &str {
        &self.as_of
    }

    /// What to say about a name the catalog lacks, as one sentence: "x is not in HubSpot's scope
    /// list as of 2026-12-02; did you mean y?" (the question only when a known name is close; else
    /// it ends with a full stop). `None` for a known name. A warning's wording, never an error's: HubSpot's
    /// list grows, and only HubSpot decides.
    pub fn unknown_note(&self, name: &str) -> Option<String> {
        if self.contains(name) {
            return None;
        }
        let base = format!("{name} is not in HubSpot's scope list as of {}", self.as_of);
        Some(match self.closest(name) {
            Some(near) => format!("{base}; did you mean {}?", near.name),
            None => format!("{base}."),
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "DroppedScope.ts"))]
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

/// Splits a scope list as typed (one argument, a text field): spaces, commas and new lines separate;
/// duplicates are dropped. The one parser of the window, `hubkey app add` and the registration rules.
pub fn parse_scope_list(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || c == ',') {
        if !word.is_empty() && !out.iter().any(|s| s == word) {
            out.push(word.to_string());
        }
    }
    out
}

/// An app's two scope lists, and HubSpot's rules on them that make an install certain to fail: the
/// registration rules ([`crate::draft`]) and preflight word them differently and decide them here.
#[derive(Debug, Clone, Copy)]
pub struct ScopeLists<'a> {
    required: &'a [String],
    optional: &'a [String],
}

impl<'a> ScopeLists<'a> {
    /// The required (`scope`) and optional (`optional_scope`) lists.
    pub fn new(required: &'a [String], optional: &'a [String]) -> Self {
        Self { required, optional }
    }

    fn required_has(&self, s: &str) -> bool {
        self.required.iter().any(|r| r == s)
    }

    fn optional_has(&self, s: &str) -> bool {
        self.optional.iter().any(|o| o == s)
    }

    /// `oauth` is not required (HubSpot adds it to every app's required scopes, so an install URL
    /// without it in `scope` is refused).
    pub fn oauth_not_required(&self) -> bool {
        !self.required_has("oauth")
    }

    /// `oauth` is in neither list.
    pub fn oauth_missing_everywhere(&self) -> bool {
        self.oauth_not_required() && !self.optional_has("oauth")
    }

    /// `oauth` is listed as optional only.
    pub fn oauth_only_optional(&self) -> bool {
        self.oauth_not_required() && self.optional_has("oauth")
    }

    /// The scopes in both lists (each once, in the optional list's order): HubSpot's "mismatch between
    /// the scopes in the install URL and the app's configured scopes".
    pub fn in_both(&self) -> Vec<&'a str> {
        let mut both: Vec<&'a str> = Vec::new();
        for s in self.optional {
            if self.required_has(s) && !both.contains(&s.as_str()) {
                both.push(s);
            }
        }
        both
    }
}

/// The scope groups of a connection, as its card shows them (`hubkey_core::view::ConnectionView`): what the
/// app asked for, against what HubSpot granted, with the [`ScopeDiff`]'s likely reasons for dropped ones.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeGroups {
    pub required: Vec<String>,
    pub optional_granted: Vec<String>,
    pub optional_dropped: Vec<String>,
    pub extra_granted: Vec<String>,
    pub dropped_reasons: Vec<DroppedScope>,
}

impl ScopeGroups {
    /// Groups the granted scopes by what the app asked for. Without the app (removed meanwhile), every
    /// granted scope counts as required and the recorded `optional_scopes_missing` as dropped.
    pub fn new(conn: &Connection, app: Option<&AppConfig>) -> Self {
        let granted = |s: &String| conn.scopes.iter().any(|g| g == s);
        let Some(app) = app else {
            return ScopeGroups {
                required: conn.scopes.clone(),
                optional_dropped: conn.optional_scopes_missing.clone(),
                ..Default::default()
            };
        };
        let required: Vec<String> = app.scopes.clone();
        let optional_granted: Vec<String> = app
            .optional_scopes
            .iter()
            .filter(|s| granted(s))
            .cloned()
            .collect();
        let optional_dropped: Vec<String> = app
            .optional_scopes
            .iter()
            .filter(|s| !granted(s))
            .cloned()
            .collect();
        let extra_granted = conn
            .scopes
            .iter()
            .filter(|s| !app.scopes.contains(s) && !app.optional_scopes.contains(s))
            .cloned()
            .collect();
        let diff = ScopeDiff::compute_with(app, &conn.scopes, conn.is_user_level, ScopeCatalog::embedded());
        let dropped_reasons = optional_dropped
            .iter()
            .filter_map(|s| diff.optional_dropped.iter().find(|d| &d.scope == s))
            .cloned()
            .collect();
        ScopeGroups {
            required,
            optional_granted,
            optional_dropped,
            extra_granted,
            dropped_reasons,
        }
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
    fn given_every_catalog_name_then_each_is_well_formed_and_unique_even_ignoring_case() {
        let c = ScopeCatalog::embedded();
        let mut seen = std::collections::HashSet::new();
        for s in c.all() {
            assert!(
                is_canonical_scope_name(&s.name),
                "{:?} is not a well-formed scope name",
                s.name
            );
            assert!(is_scope_token(&s.name), "{:?}", s.name);
            assert_eq!(s.name.trim(), s.name);
            assert!(
                seen.insert(s.name.to_ascii_lowercase()),
                "{:?} is listed twice",
                s.name
            );
        }
        // The raw file, too (the parser sorts and would hide an exact duplicate behind an error).
        let raw: serde_json::Value = serde_json::from_str(CATALOG_JSON).unwrap();
        let names: Vec<&str> = raw["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), seen.len());
    }

    #[test]
    fn given_the_catalog_then_it_names_its_source_and_the_date_it_was_checked() {
        let c = ScopeCatalog::embedded();
        assert!(c.source().contains("developers.hubspot.com"), "{}", c.source());
        assert!(c.source().contains("hubspot-oauth.md"), "{}", c.source());
        assert!(
            time::Date::parse(
                c.as_of(),
                &time::macros::format_description!("[year]-[month]-[day]")
            )
            .is_ok(),
            "{}",
            c.as_of()
        );
    }

    #[test]
    fn given_the_families_the_issue_lists_then_the_catalog_has_them_all() {
        // Issue 13, point 1: HubSpot's whole published table, not only what the first catalog held.
        let c = ScopeCatalog::embedded();
        for obj in [
            "contacts",
            "companies",
            "deals",
            "tickets",
            "line_items",
            "quotes",
            "products",
            "notes",
            "calls",
            "tasks",
            "meetings",
            "emails",
            "communications",
            "leads",
            "goals",
            "carts",
            "orders",
            "invoices",
        ] {
            for access in ["read", "write"] {
                let name = format!("crm.objects.{obj}.{access}");
                assert!(c.contains(&name), "{name}");
            }
        }
        for name in [
            "crm.objects.owners.read",
            "crm.schemas.contacts.read",
            "crm.schemas.custom.write",
            "crm.lists.read",
            "crm.lists.write",
            "crm.import",
            "crm.export",
            "crm.dealsplits.read_write",
            "automation",
            "content",
            "forms",
            "files",
            "timeline",
            "tickets",
            "e-commerce",
            "conversations.read",
            "conversations.write",
            "settings.users.read",
            "settings.users.write",
            "settings.users.teams.read",
            "settings.currencies.read",
            "settings.currencies.write",
            "oauth",
            "crm.objects.contacts.sensitive.read.v2",
            "crm.objects.deals.highly_sensitive.write",
            "crm.objects.tickets.highly_sensitive.read",
            "tickets.sensitive.v2",
        ] {
            assert!(c.contains(name), "{name}");
        }
    }

    #[test]
    fn given_scope_tokens_then_only_url_safe_names_pass_and_canonical_ones_are_lowercase_dotted() {
        for ok in [
            "oauth",
            "crm.objects.contacts.read",
            "sales-email-read",
            "Contacts.Read",
            "a:b",
        ] {
            assert!(is_scope_token(ok), "{ok}");
        }
        for bad in [
            "",
            "crm.objects.contacts.read&x=1",
            "a b",
            "a/b",
            "a#b",
            "ünïcode",
            &"a".repeat(101),
        ] {
            assert!(!is_scope_token(bad), "{bad}");
        }
        for not_canonical in ["Contacts.Read", "crm..read", ".crm", "crm.", "1oauth", "a:b"] {
            assert!(
                is_scope_token(not_canonical) && !is_canonical_scope_name(not_canonical),
                "{not_canonical}"
            );
        }
    }

    #[test]
    fn given_unknown_names_then_the_note_is_a_dated_warning_with_a_suggestion_when_one_is_close() {
        let c = ScopeCatalog::embedded();
        assert_eq!(c.unknown_note("crm.objects.tasks.write"), None);
        assert_eq!(
            c.unknown_note("crm.objects.contact.read").unwrap(),
            format!(
                "crm.objects.contact.read is not in HubSpot's scope list as of {}; did you mean crm.objects.contacts.read?",
                c.as_of()
            )
        );
        assert_eq!(
            c.unknown_note("zz.made.up").unwrap(),
            format!("zz.made.up is not in HubSpot's scope list as of {}.", c.as_of())
        );
    }

    #[test]
    fn given_a_catalog_with_a_duplicate_when_parsed_then_it_is_refused() {
        let json = r#"{"source":"t","as_of":"2026-01-01","tiers":[],"families":[{"id":"f","label":"F"}],"scopes":[
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
