//! Checks on a new app before anything is saved. The UI runs the same rules as you type
//! (`ui/src/lib/validation.ts`, same messages); these are the ones that count.
//!
//! What Hubkey can check locally of HubSpot's install-time scope rules (hubspot-oauth.md §1.3):
//! - a scope in both lists → HubSpot's "mismatch between the scopes in the install URL and the app's
//!   configured scopes" error page (an optional scope in `scope`, or a required one in `optional_scope`);
//! - `oauth` is "added by default to all apps" and "must always be required" → an error when it is
//!   missing from the required list (HubSpot refuses the install URL), or optional;
//! - words with characters no scope name has (`;`, `/`, `=`…) → an error: they cannot go into the install
//!   URL ([`hubkey_core::scopes::is_scope_token`], the rule the URL builder and preflight use).
//!
//! A name Hubkey's catalog lacks is only a warning ("not in HubSpot's scope list as of …; did you mean …?"),
//! exactly as in preflight and `hubkey app add`: only HubSpot decides which scopes exist. The UI mirror
//! leaves this one check to Rust (it has no copy of the catalog); its warnings come back with
//! `register_app`'s result.
//!
//! The redirect URL must be one Hubkey can receive ([`hubkey_core::callback::redirect_target`]).

use serde::Serialize;
use ts_rs::TS;

/// A field of the registration form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "Field.ts")]
pub enum Field {
    Name,
    ClientId,
    ClientSecret,
    RedirectUri,
    Scopes,
    OptionalScopes,
}

/// Whether an issue blocks saving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "Level.ts")]
pub enum Level {
    Error,
    Warning,
}

/// One message about one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export_to = "Issue.ts")]
pub struct Issue {
    pub field: Field,
    pub level: Level,
    pub message: String,
}

impl Issue {
    fn error(field: Field, message: impl Into<String>) -> Self {
        Issue {
            field,
            level: Level::Error,
            message: message.into(),
        }
    }
    fn warning(field: Field, message: impl Into<String>) -> Self {
        Issue {
            field,
            level: Level::Warning,
            message: message.into(),
        }
    }
}

/// The registration form as typed (the secret only as "present and well-formed", never its value).
#[derive(Debug, Clone, Copy)]
pub struct AppInput<'a> {
    pub name: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub redirect_uri: &'a str,
    pub scopes: &'a str,
    pub optional_scopes: &'a str,
}

/// Splits a scope list as typed: spaces, commas and new lines separate; duplicates are dropped.
pub fn parse_scopes(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || c == ',') {
        if !word.is_empty() && !out.iter().any(|s| s == word) {
            out.push(word.to_string());
        }
    }
    out
}

/// Whether a word can be a scope in the install URL at all (letters, digits, `.`, `_`, `-`, `:`), the one
/// rule every validator shares ([`hubkey_core::scopes::is_scope_token`]).
pub fn is_scope_name(word: &str) -> bool {
    hubkey_core::scopes::is_scope_token(word)
}

fn is_app_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 64
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// 8-4-4-4-12 hex digits.
fn looks_like_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Sentence case with a full stop: "the URL has no host" → "The URL has no host."
fn sentence(reason: &str) -> String {
    let mut chars = reason.chars();
    let mut s: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// The redirect URL's problem, as one sentence, or `None` when Hubkey can receive it.
pub fn redirect_problem(redirect_uri: &str) -> Option<String> {
    match hubkey_core::callback::redirect_target(redirect_uri) {
        Ok(_) => None,
        Err(hubkey_core::Error::UnservableRedirect { reason, .. }) => {
            // The URL parser's own wording varies by version; the UI mirror cannot reproduce it.
            let reason = if reason.starts_with("it is not a URL") {
                "it is not a URL".to_string()
            } else {
                reason
            };
            Some(sentence(&reason))
        }
        Err(other) => Some(sentence(&other.to_string())),
    }
}

/// Every issue with the form, errors and warnings, in field order.
pub fn validate(input: &AppInput<'_>) -> Vec<Issue> {
    let mut issues = Vec::new();

    let name = input.name.trim();
    if name.is_empty() {
        issues.push(Issue::error(Field::Name, "Give the app a name."));
    } else if !is_app_name(name) {
        issues.push(Issue::error(
            Field::Name,
            "Use up to 64 letters, digits, dots, dashes or underscores (no spaces), starting with a letter or digit.",
        ));
    }

    let client_id = input.client_id.trim();
    if client_id.is_empty() {
        issues.push(Issue::error(
            Field::ClientId,
            "Paste the client ID from the app's Auth tab in HubSpot.",
        ));
    } else if client_id.chars().any(char::is_whitespace) {
        issues.push(Issue::error(
            Field::ClientId,
            "The client ID cannot contain spaces.",
        ));
    } else if !looks_like_uuid(client_id) {
        issues.push(Issue::warning(
            Field::ClientId,
            "HubSpot client IDs look like 5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60; check that this is the client ID, not the app ID.",
        ));
    }

    let secret = input.client_secret.trim();
    if secret.is_empty() {
        issues.push(Issue::error(
            Field::ClientSecret,
            "Paste the client secret from the app's Auth tab in HubSpot.",
        ));
    } else if secret.chars().any(char::is_whitespace) {
        issues.push(Issue::error(
            Field::ClientSecret,
            "The client secret cannot contain spaces.",
        ));
    }

    let redirect = input.redirect_uri.trim();
    if redirect.is_empty() {
        issues.push(Issue::error(
            Field::RedirectUri,
            "Enter the redirect URL exactly as registered at HubSpot.",
        ));
    } else if let Some(problem) = redirect_problem(redirect) {
        issues.push(Issue::error(Field::RedirectUri, problem));
    }

    let required = parse_scopes(input.scopes);
    let optional = parse_scopes(input.optional_scopes);
    let catalog = hubkey_core::scopes::ScopeCatalog::embedded();
    for (field, list) in [(Field::Scopes, &required), (Field::OptionalScopes, &optional)] {
        for word in list {
            if !is_scope_name(word) {
                issues.push(Issue::error(
                    field,
                    format!("“{word}” is not a scope name; scopes look like crm.objects.contacts.read."),
                ));
            } else if let Some(note) = catalog.unknown_note(word) {
                issues.push(Issue::warning(
                    field,
                    format!("{note} Only HubSpot decides: the app is saved and the sign-in starts."),
                ));
            }
        }
    }
    if required.is_empty() {
        issues.push(Issue::error(
            Field::Scopes,
            "Add the app's required scopes (at least oauth).",
        ));
    } else if !required.iter().any(|s| s == "oauth") && !optional.iter().any(|s| s == "oauth") {
        issues.push(Issue::error(
            Field::Scopes,
            "HubSpot adds oauth to every app as a required scope and refuses an install URL without it; add it here.",
        ));
    }
    if optional.iter().any(|s| s == "oauth") && !required.iter().any(|s| s == "oauth") {
        issues.push(Issue::error(
            Field::OptionalScopes,
            "oauth is always a required scope; move it to the required list.",
        ));
    }
    let both: Vec<&String> = optional.iter().filter(|s| required.contains(s)).collect();
    if !both.is_empty() {
        let names: Vec<String> = both.iter().map(|s| format!("“{s}”")).collect();
        issues.push(Issue::error(
            Field::OptionalScopes,
            format!(
                "{} {} in both lists. HubSpot would refuse the install: “Authorization failed because there is a mismatch between the scopes in the install URL and the app's configured scopes.” Keep each scope in the list it has in the app's settings.",
                names.join(", "),
                if names.len() == 1 { "is" } else { "are" }
            ),
        ));
    }
    issues
}

/// True when any issue blocks saving.
pub fn has_errors(issues: &[Issue]) -> bool {
    issues.iter().any(|i| i.level == Level::Error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> AppInput<'static> {
        AppInput {
            name: "demo",
            client_id: "5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60",
            client_secret: "0d6e4c2a-9f8b-4e7d-a6c5-b4a3f2e1d0c9",
            redirect_uri: "http://localhost:53682/callback",
            scopes: "oauth crm.objects.contacts.read",
            optional_scopes: "crm.objects.deals.read, automation",
        }
    }

    fn messages(input: &AppInput<'_>) -> Vec<(Field, Level, String)> {
        validate(input)
            .into_iter()
            .map(|i| (i.field, i.level, i.message))
            .collect()
    }

    #[test]
    fn a_good_form_has_no_issues() {
        assert_eq!(messages(&good()), vec![]);
    }

    #[test]
    fn scopes_split_on_spaces_commas_and_lines_without_duplicates() {
        assert_eq!(
            parse_scopes(" oauth,crm.objects.contacts.read\n\toauth  automation,,"),
            vec!["oauth", "crm.objects.contacts.read", "automation"]
        );
        assert!(parse_scopes(" , \n").is_empty());
    }

    #[test]
    fn scope_names_are_url_safe_words() {
        for ok in [
            "oauth",
            "crm.objects.contacts.read",
            "sales-email-read",
            "business_units_view.read",
            "e-commerce",
            // Not HubSpot's shape, but only HubSpot may refuse them (a warning, below).
            "Contacts",
            "crm..read",
        ] {
            assert!(is_scope_name(ok), "{ok}");
        }
        for bad in ["", "crm objects", "crm/objects", "scope=x", "a;b", "a&b"] {
            assert!(!is_scope_name(bad), "{bad}");
        }
    }

    #[test]
    fn unknown_and_near_miss_scopes_are_warnings_that_never_block_saving() {
        // Issue 13: these blocked the window as "typos" of carts and quotes; HubSpot's table has them.
        let real = AppInput {
            scopes: "oauth crm.objects.tasks.write crm.objects.notes.write crm.objects.calls.write",
            optional_scopes: "crm.objects.tickets.read",
            ..good()
        };
        assert_eq!(messages(&real), vec![]);
        let as_of = hubkey_core::scopes::ScopeCatalog::embedded().as_of();
        let made_up = AppInput {
            scopes: "oauth crm.objects.contact.read",
            optional_scopes: "zz.made.up",
            ..good()
        };
        let issues = validate(&made_up);
        assert!(!has_errors(&issues), "{issues:?}");
        assert_eq!(
            messages(&made_up),
            vec![
                (
                    Field::Scopes,
                    Level::Warning,
                    format!(
                        "crm.objects.contact.read is not in HubSpot's scope list as of {as_of}; did you mean \
                         crm.objects.contacts.read? Only HubSpot decides: the app is saved and the sign-in starts."
                    )
                ),
                (
                    Field::OptionalScopes,
                    Level::Warning,
                    format!(
                        "zz.made.up is not in HubSpot's scope list as of {as_of}. Only HubSpot decides: the app is \
                         saved and the sign-in starts."
                    )
                ),
            ]
        );
    }

    #[test]
    fn the_window_preflight_and_the_cli_agree_on_which_scope_problems_block() {
        // One rule for names (is_scope_token), warnings for unknown names, errors for HubSpot's certain
        // refusals: the form, preflight and `hubkey app add` (which prints preflight's findings) agree.
        use hubkey_core::app::{AppConfig, AppKind};
        use hubkey_core::preflight::{ids, preflight, PreflightEnv, Severity};
        let cases: [(&str, &str, bool); 6] = [
            ("oauth crm.objects.tasks.write", "", false),
            ("oauth zz.made.up", "", false),
            ("oauth CRM.Objects.Contacts.Read", "", false),
            (
                "oauth crm.objects.contacts.read",
                "crm.objects.contacts.read",
                true,
            ),
            ("crm.objects.contacts.read", "", true),
            ("oauth a;b", "", true),
        ];
        for (scopes, optional, blocks) in cases {
            let input = AppInput {
                scopes,
                optional_scopes: optional,
                ..good()
            };
            let form_blocks = has_errors(&validate(&input));
            let app = AppConfig {
                name: "demo".into(),
                client_id: good().client_id.into(),
                redirect_uri: good().redirect_uri.into(),
                scopes: parse_scopes(scopes),
                optional_scopes: parse_scopes(optional),
                kind: AppKind::Standard,
                pkce: true,
            };
            let report = preflight(&app, &PreflightEnv::without_port_check());
            assert_eq!(form_blocks, blocks, "form: {scopes} / {optional}");
            assert_eq!(
                !report.ok(),
                blocks,
                "preflight: {scopes} / {optional}: {:#?}",
                report.findings
            );
            if let Some(f) = report.find(ids::SCOPES_UNKNOWN) {
                assert_eq!(f.severity, Severity::Warning);
            }
        }
    }

    #[test]
    fn a_scope_in_both_lists_is_hubspots_mismatch_error() {
        let input = AppInput {
            optional_scopes: "crm.objects.contacts.read automation",
            ..good()
        };
        let issues = messages(&input);
        assert_eq!(issues.len(), 1, "{issues:?}");
        let (field, level, message) = &issues[0];
        assert_eq!((*field, *level), (Field::OptionalScopes, Level::Error));
        assert!(
            message.starts_with("“crm.objects.contacts.read” is in both lists"),
            "{message}"
        );
        assert!(message
            .contains("mismatch between the scopes in the install URL and the app's configured scopes"));
    }

    #[test]
    fn oauth_missing_or_optional_is_an_error() {
        // Issue 13: oauth missing is certain from HubSpot's rules (it is every app's required scope).
        let missing = AppInput {
            scopes: "crm.objects.contacts.read",
            ..good()
        };
        let issues = validate(&missing);
        assert!(has_errors(&issues));
        assert_eq!(issues.len(), 1);
        assert_eq!((issues[0].field, issues[0].level), (Field::Scopes, Level::Error));

        let optional = AppInput {
            scopes: "crm.objects.contacts.read",
            optional_scopes: "oauth",
            ..good()
        };
        let issues = validate(&optional);
        assert!(has_errors(&issues));
        assert_eq!(
            issues[0].message,
            "oauth is always a required scope; move it to the required list."
        );
    }

    #[test]
    fn garbage_scopes_and_empty_required_list_are_errors() {
        let input = AppInput {
            scopes: "oauth crm/objects.read",
            optional_scopes: "crm.objects.deals.read;automation",
            ..good()
        };
        let issues = messages(&input);
        assert_eq!(issues.len(), 2, "{issues:?}");
        assert_eq!(
            issues[0].2,
            "“crm/objects.read” is not a scope name; scopes look like crm.objects.contacts.read."
        );
        assert_eq!((issues[1].0, issues[1].1), (Field::OptionalScopes, Level::Error));

        let empty = AppInput {
            scopes: "  ",
            ..good()
        };
        assert_eq!(
            messages(&empty),
            vec![(
                Field::Scopes,
                Level::Error,
                "Add the app's required scopes (at least oauth).".to_string()
            )]
        );
    }

    #[test]
    fn redirect_problems_come_from_the_core_with_their_reason() {
        let cases = [
            (
                "http://127.0.0.1:53682/callback",
                "HubSpot rejects IP addresses in redirect URLs",
            ),
            ("http://localhost/callback", "The port must be explicit"),
            (
                "https://localhost:8443/cb",
                "Hubkey cannot serve https on localhost",
            ),
            ("http://example.com/cb", "HubSpot requires https"),
            (
                "hubkey://oauth/callback",
                "HubSpot accepts only https or http://localhost redirect URLs",
            ),
            ("not a url", "It is not a URL."),
            (
                "http://localhost:53682/cb?x=1",
                "Hubkey does not support a query string",
            ),
        ];
        for (url, expected) in cases {
            let problem = redirect_problem(url).unwrap_or_else(|| panic!("{url} accepted"));
            assert!(problem.starts_with(expected), "{url}: {problem}");
            assert!(problem.ends_with('.'), "{problem}");
        }
        assert_eq!(
            redirect_problem("https://relay.example.com/hubkey-relay.html"),
            None
        );
        assert_eq!(redirect_problem("http://localhost:53682/callback"), None);
    }

    #[test]
    fn names_ids_and_secrets() {
        let input = AppInput {
            name: "my app",
            client_id: "3141592",
            client_secret: "abc def",
            ..good()
        };
        let issues = messages(&input);
        assert_eq!(issues.len(), 3, "{issues:?}");
        assert_eq!((issues[0].0, issues[0].1), (Field::Name, Level::Error));
        assert_eq!((issues[1].0, issues[1].1), (Field::ClientId, Level::Warning));
        assert_eq!(issues[2].2, "The client secret cannot contain spaces.");
        let blank = AppInput {
            name: " ",
            client_id: "",
            client_secret: "",
            redirect_uri: "",
            ..good()
        };
        assert_eq!(
            validate(&blank)
                .iter()
                .filter(|i| i.level == Level::Error)
                .count(),
            4
        );
    }
}
