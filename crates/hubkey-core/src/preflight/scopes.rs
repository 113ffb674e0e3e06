//! The scope checks (hubspot-oauth.md §1.3, §6, §7.3): the lists' rules, names the catalog does not know, legacy,
//! sensitive and tiered scopes, and MCP auth apps, whose requested scopes HubSpot ignores.

use super::report::{ids, Finding, Severity};
use crate::app::AppConfig;
use crate::install_guide::hubspot_text as hs;
use crate::scopes::{ScopeCatalog, ScopeLists};

/// Reports malformed names; returns the well-formed ones.
fn well_formed<'a>(param: &str, scopes: &'a [String], out: &mut Vec<Finding>) -> Vec<&'a str> {
    let mut ok = Vec::new();
    for s in scopes {
        if crate::scopes::is_scope_token(s) {
            ok.push(s.as_str());
        } else {
            out.push(
                Finding::new(
                    ids::SCOPES_MALFORMED,
                    Severity::Error,
                    format!(
                        "{:?} in {param} is not a scope name: scope names contain only letters, digits, '.', '_', \
                         '-' and ':'. Hubkey will not build the sign-in URL.",
                        s.chars().take(60).collect::<String>()
                    ),
                    "Write one scope per entry, exactly as on the app's Auth tab (e.g. crm.objects.contacts.read).",
                )
                .about(s.chars().take(60).collect::<String>()),
            );
        }
    }
    ok
}

fn check_duplicates(param: &str, scopes: &[&str], out: &mut Vec<Finding>) {
    let mut seen: Vec<&str> = Vec::new();
    let mut reported: Vec<&str> = Vec::new();
    for s in scopes {
        if seen.contains(s) {
            if !reported.contains(s) {
                out.push(
                    Finding::new(
                        ids::SCOPES_DUPLICATE,
                        Severity::Warning,
                        format!("{s} is listed more than once in {param}."),
                        format!("Remove the repeated {s}."),
                    )
                    .about(*s),
                );
                reported.push(s);
            }
        } else {
            seen.push(s);
        }
    }
}

pub(super) fn check_standard_scopes(app: &AppConfig, catalog: &ScopeCatalog, out: &mut Vec<Finding>) {
    let required = well_formed("the required scopes (scope)", &app.scopes, out);
    let optional = well_formed("the optional scopes (optional_scope)", &app.optional_scopes, out);
    check_duplicates("the required scopes", &required, out);
    check_duplicates("the optional scopes", &optional, out);
    let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();
    let (required_names, optional_names) = (owned(&required), owned(&optional));
    let lists = ScopeLists::new(&required_names, &optional_names);

    if app.scopes.is_empty() {
        out.push(
            Finding::new(
                ids::SCOPES_NONE,
                Severity::Error,
                format!(
                    "The app has no required scopes. HubSpot requires all of the app's required scopes (at least \
                     oauth) in the install URL and shows: \"{}\"",
                    hs::INSUFFICIENT_SCOPES
                ),
                "Add the app's required scopes from its Auth tab, starting with oauth.",
            )
            .quoting(hs::INSUFFICIENT_SCOPES),
        );
    } else if lists.oauth_not_required() {
        let where_ = if lists.oauth_only_optional() {
            " It is listed among the optional scopes, where HubSpot does not count it."
        } else {
            ""
        };
        // Certain from HubSpot's own rules: every app has oauth as a required scope (it cannot be
        // removed), and an install URL missing a required scope is refused (§1.3 rule 1, §6.1).
        out.push(
            Finding::new(
                ids::SCOPES_OAUTH_MISSING,
                Severity::Error,
                format!(
                    "oauth is not among the required scopes.{where_} Every HubSpot app has oauth: HubSpot adds it \
                     to every app's required scopes and it cannot be removed, so an install URL without it is \
                     refused with \"{}\"",
                    hs::INSUFFICIENT_SCOPES
                ),
                "Add oauth to the required scopes.",
            )
            .about("oauth")
            .quoting(hs::INSUFFICIENT_SCOPES),
        );
    }

    for s in lists.in_both() {
        {
            out.push(
                Finding::new(
                    ids::SCOPES_IN_BOTH_LISTS,
                    Severity::Error,
                    format!(
                        "{s} is both required and optional. A required scope must be only in scope and an optional \
                         one only in optional_scope; HubSpot shows: \"{}\"",
                        hs::SCOPE_MISMATCH
                    ),
                    format!(
                        "Keep {s} in one list only, the same one as in the app's settings at HubSpot (Auth tab: \
                         required or optional)."
                    ),
                )
                .about(s)
                .quoting(hs::SCOPE_MISMATCH),
            );
        }
    }

    let mut explained: Vec<&str> = Vec::new();
    for (s, is_required) in required
        .iter()
        .map(|s| (*s, true))
        .chain(optional.iter().map(|s| (*s, false)))
    {
        if explained.contains(&s) {
            continue;
        }
        explained.push(s);
        let Some(info) = catalog.get(s) else {
            out.push(unknown_scope(s, catalog));
            continue;
        };
        if !info.selectable {
            out.push(
                Finding::new(
                    ids::SCOPES_NOT_SELECTABLE,
                    Severity::Warning,
                    format!(
                        "{s} cannot be configured on an app or requested in an install URL. {}",
                        info.notes.as_deref().unwrap_or("")
                    )
                    .trim_end()
                    .to_owned(),
                    format!("Remove {s}; see the note for the scope to use instead."),
                )
                .about(s),
            );
        }
        if info.legacy {
            let (message, fix) = if info.replaced_by.is_empty() {
                (
                    format!(
                        "{s} is one of HubSpot's legacy broad scope names, but it is still the scope for this API. {}",
                        info.notes.as_deref().unwrap_or("")
                    ),
                    "Nothing to change.".to_owned(),
                )
            } else {
                (
                    format!(
                        "{s} is a legacy broad scope. HubSpot still accepts it; the granular scopes grant less. {}",
                        info.notes.as_deref().unwrap_or("")
                    ),
                    format!(
                        "If the app only needs part of it, configure the granular scopes instead: {}.",
                        info.replaced_by.join(", ")
                    ),
                )
            };
            out.push(Finding::new(ids::SCOPES_LEGACY, Severity::Info, message.trim_end(), fix).about(s));
        }
        if info.sensitive {
            let needs = info
                .tier
                .as_ref()
                .filter(|t| !t.is_any())
                .map(|t| format!(" It needs {}.", crate::scopes::article_lower(&t.label)))
                .unwrap_or_default();
            out.push(
                Finding::new(
                    ids::SCOPES_SENSITIVE,
                    Severity::Info,
                    format!(
                        "{s} grants access to sensitive data.{needs} Marketplace apps also need HubSpot to allow \
                         sensitive scopes."
                    ),
                    "Request it only if the app reads or writes sensitive properties; otherwise use the \
                     non-sensitive scope.",
                )
                .about(s),
            );
        }
        if is_required {
            if let Some(tier) = info.tier.as_ref().filter(|t| !t.is_any()) {
                out.push(
                    Finding::new(
                        ids::SCOPES_REQUIRED_TIER,
                        Severity::Info,
                        format!(
                            "{s} is required and needs {}. Installing into an account without it fails with \
                             \"{}\"",
                            tier.label,
                            hs::ACCOUNT_LACKS_FEATURES
                        ),
                        format!(
                            "If the app can work without {s}, make it optional (at HubSpot and in Hubkey): HubSpot \
                             then drops it on accounts without that tier instead of refusing the install."
                        ),
                    )
                    .about(s)
                    .quoting(hs::ACCOUNT_LACKS_FEATURES),
                );
            }
        }
    }
}

/// A name the catalog lacks: always a warning, never an error. Only HubSpot decides which scopes
/// exist, and its table grows (the first catalog called `crm.objects.tasks.write` a typo of
/// `crm.objects.carts.write` and blocked real apps); the "did you mean" stays as a hint.
fn unknown_scope(s: &str, catalog: &ScopeCatalog) -> Finding {
    let invalid = hs::INVALID_SCOPE_NAME;
    let note = catalog
        .unknown_note(s)
        .unwrap_or_else(|| format!("{s} is not in HubSpot's scope list."));
    let fix = match catalog.closest(s) {
        Some(near) => format!(
            "If it is a typo, use {} (here and at HubSpot); if the app's Auth tab at HubSpot lists {s}, nothing to \
             change.",
            near.name
        ),
        None => format!(
            "Check {s} against the app's Auth tab at HubSpot; if it is listed there, nothing to change."
        ),
    };
    Finding::new(
        ids::SCOPES_UNKNOWN,
        Severity::Warning,
        format!(
            "{note} HubSpot decides: the sign-in goes ahead, and if HubSpot does not know the name either it shows: \
             \"{invalid}\""
        ),
        fix,
    )
    .about(s)
    .quoting(invalid)
}

pub(super) fn check_mcp(app: &AppConfig, out: &mut Vec<Finding>) {
    // Malformed names still stop the URL from being built.
    well_formed("the required scopes (scope)", &app.scopes, out);
    well_formed("the optional scopes (optional_scope)", &app.optional_scopes, out);
    if !app.scopes.is_empty() || !app.optional_scopes.is_empty() {
        out.push(Finding::new(
            ids::MCP_SCOPES_IGNORED,
            Severity::Info,
            "HubSpot ignores the scopes of an MCP auth app: the granted scopes follow the MCP server's tools and \
             what the user allows on the consent screen.",
            "Nothing to fix; Hubkey shows the granted scopes after sign-in. To get scopes for new tools, sign in \
             again.",
        ));
    }
    if !app.pkce {
        out.push(
            Finding::new(
                ids::PKCE_OFF_FOR_MCP,
                Severity::Info,
                format!(
                    "PKCE is turned off for this app, but HubSpot requires it for MCP auth apps (\"{}\"), so Hubkey \
                     uses it anyway.",
                    hs::PKCE_REQUIRED_FOR_MCP
                ),
                "Nothing to fix; turn the PKCE switch back on to make the setting match.",
            )
            .quoting(hs::PKCE_REQUIRED_FOR_MCP),
        );
    }
}
