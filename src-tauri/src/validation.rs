//! Checks on a new app before anything is saved. The UI runs the same rules as you type
//! (`ui/src/lib/validation.ts`, same messages); these are the ones that count.
//!
//! What Hubkey can check locally of HubSpot's install-time scope rules (hubspot-oauth.md §1.3):
//! - a scope in both lists → HubSpot's "mismatch between the scopes in the install URL and the app's
//!   configured scopes" error page (an optional scope in `scope`, or a required one in `optional_scope`);
//! - `oauth` is "added by default to all apps" and "must always be required" → a warning when it is
//!   missing from the required list, an error when it is optional;
//! - words that cannot be scope names (typos, pasted prose, uppercase) → HubSpot's "An invalid scope name
//!   was provided".
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

/// `crm.objects.contacts.read`, `sales-email-read`, `business_units_view.read`, `oauth`: lowercase words of
/// letters, digits, `_` and `-`, joined by dots.
pub fn is_scope_name(word: &str) -> bool {
    !word.is_empty()
        && word.len() <= 128
        && word.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        })
        && word.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
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
    for (field, list) in [(Field::Scopes, &required), (Field::OptionalScopes, &optional)] {
        for word in list.iter().filter(|w| !is_scope_name(w)) {
            issues.push(Issue::error(
                field,
                format!("“{word}” is not a scope name; scopes look like crm.objects.contacts.read."),
            ));
        }
    }
    if required.is_empty() {
        issues.push(Issue::error(
            Field::Scopes,
            "Add the app's required scopes (at least oauth).",
        ));
    } else if !required.iter().any(|s| s == "oauth") && !optional.iter().any(|s| s == "oauth") {
        issues.push(Issue::warning(
            Field::Scopes,
            "HubSpot adds oauth to every app as a required scope; add it here, or the install URL will not match the app's configured scopes.",
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
    fn scope_names_are_lowercase_dotted_words() {
        for ok in [
            "oauth",
            "crm.objects.contacts.read",
            "sales-email-read",
            "business_units_view.read",
            "e-commerce",
        ] {
            assert!(is_scope_name(ok), "{ok}");
        }
        for bad in [
            "",
            "Contacts",
            "crm..read",
            ".crm",
            "crm.",
            "crm objects",
            "1oauth",
            "crm/objects",
            "scope=x",
        ] {
            assert!(!is_scope_name(bad), "{bad}");
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
    fn oauth_missing_is_a_warning_and_oauth_optional_is_an_error() {
        let missing = AppInput {
            scopes: "crm.objects.contacts.read",
            ..good()
        };
        let issues = validate(&missing);
        assert!(!has_errors(&issues));
        assert_eq!(issues.len(), 1);
        assert_eq!(
            (issues[0].field, issues[0].level),
            (Field::Scopes, Level::Warning)
        );

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
            scopes: "oauth Contacts.Read",
            optional_scopes: "crm.objects.deals.read;automation",
            ..good()
        };
        let issues = messages(&input);
        assert_eq!(issues.len(), 2, "{issues:?}");
        assert_eq!(
            issues[0].2,
            "“Contacts.Read” is not a scope name; scopes look like crm.objects.contacts.read."
        );
        assert_eq!(issues[1].0, Field::OptionalScopes);

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
