//! A registration as typed, and the one set of rules it must pass before anything is saved: the same
//! for the window (its `validate_app` and `register_app` commands), `hubkey app add` and, for what they
//! share, preflight (the client-ID shape, the scope-name rule, the scope lists' rules and the redirect
//! URL's, each one function of hubkey-core).
//!
//! What Hubkey can check locally of HubSpot's install-time scope rules (hubspot-oauth.md §1.3):
//! - a scope in both lists → HubSpot's "mismatch between the scopes in the install URL and the app's
//!   configured scopes" error page (an optional scope in `scope`, or a required one in `optional_scope`);
//! - `oauth` is "added by default to all apps" and "must always be required" → an error when it is
//!   missing from the required list (HubSpot refuses the install URL), or optional;
//! - words with characters no scope name has (`;`, `/`, `=`…) → an error: they cannot go into the install
//!   URL ([`crate::scopes::is_scope_token`], the rule the URL builder and preflight use).
//!
//! A name Hubkey's catalog lacks is only a warning ("not in HubSpot's scope list as of …; did you mean …?"),
//! exactly as in preflight: only HubSpot decides which scopes exist.
//!
//! The redirect URL must be one Hubkey can receive ([`crate::callback::redirect_target`]).
//!
//! Each [`Issue`] has a stable `id` (preflight's where the rule is the same), the field it is about, a
//! level (an error blocks saving, a warning does not) and one sentence.

use crate::app::{looks_like_uuid, AppConfig, AppKind};
use crate::scopes::{is_scope_token, parse_scope_list, ScopeCatalog, ScopeLists};
use crate::secret::ClientSecret;
use serde::{Deserialize, Serialize};

/// A field of the registration form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "Field.ts"))]
pub enum Field {
    Name,
    ClientId,
    ClientSecret,
    RedirectUri,
    Scopes,
    OptionalScopes,
}

/// Whether an issue blocks saving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "Level.ts"))]
pub enum Level {
    Error,
    Warning,
}

/// One message about one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "Issue.ts"))]
pub struct Issue {
    /// Stable id (`name.invalid`, `scopes.in_both_lists`…; see [`ids`]).
    pub id: String,
    pub field: Field,
    pub level: Level,
    pub message: String,
}

/// The stable issue ids. Where preflight has the same rule, the id is preflight's.
pub mod ids {
    pub const NAME_MISSING: &str = "name.missing";
    pub const NAME_INVALID: &str = "name.invalid";
    pub const CLIENT_ID_MISSING: &str = crate::preflight::ids::CLIENT_ID_MISSING;
    pub const CLIENT_ID_SPACES: &str = "client_id.spaces";
    pub const CLIENT_ID_NOT_UUID: &str = crate::preflight::ids::CLIENT_ID_NOT_UUID;
    pub const CLIENT_SECRET_MISSING: &str = "client_secret.missing";
    pub const CLIENT_SECRET_SPACES: &str = "client_secret.spaces";
    pub const REDIRECT_MISSING: &str = "redirect.missing";
    pub const REDIRECT_UNSERVABLE: &str = "redirect.unservable";
    pub const SCOPES_MALFORMED: &str = crate::preflight::ids::SCOPES_MALFORMED;
    pub const SCOPES_UNKNOWN: &str = crate::preflight::ids::SCOPES_UNKNOWN;
    pub const SCOPES_NONE: &str = crate::preflight::ids::SCOPES_NONE;
    pub const SCOPES_OAUTH_MISSING: &str = crate::preflight::ids::SCOPES_OAUTH_MISSING;
    pub const SCOPES_OAUTH_OPTIONAL: &str = "scopes.oauth_optional";
    pub const SCOPES_IN_BOTH_LISTS: &str = crate::preflight::ids::SCOPES_IN_BOTH_LISTS;
}

impl Issue {
    fn error(id: &str, field: Field, message: impl Into<String>) -> Self {
        Issue {
            id: id.to_string(),
            field,
            level: Level::Error,
            message: message.into(),
        }
    }
    fn warning(id: &str, field: Field, message: impl Into<String>) -> Self {
        Issue {
            id: id.to_string(),
            field,
            level: Level::Warning,
            message: message.into(),
        }
    }
}

/// A registration as typed: the registration form, or `hubkey app add`'s flags. Everything but the
/// client secret, which travels as a [`ClientSecret`] beside it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AppDraft {
    pub name: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// Required scopes, separated by spaces, commas or new lines (as typed).
    pub scopes: String,
    /// Optional scopes, same format.
    pub optional_scopes: String,
    pub kind: AppKind,
    /// Send PKCE S256 (default true; MCP auth apps use PKCE whatever this says).
    pub pkce: Option<bool>,
}

/// Everything the rules found in a draft, errors and warnings, in field order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "AppValidation.ts"))]
pub struct AppValidation {
    /// No error: the app can be saved.
    pub ok: bool,
    pub issues: Vec<Issue>,
    /// How Hubkey will receive the redirect (for the hint under the field); `None` when it cannot.
    pub redirect_kind: Option<crate::view::RedirectKind>,
    /// How many scopes the two lists hold, as split ([`parse_scope_list`]).
    pub scope_count: u32,
}

impl AppValidation {
    fn new(issues: Vec<Issue>, draft: &AppDraft) -> Self {
        let count = parse_scope_list(&draft.scopes).len() + parse_scope_list(&draft.optional_scopes).len();
        AppValidation {
            ok: !issues.iter().any(|i| i.level == Level::Error),
            issues,
            redirect_kind: crate::view::RedirectKind::of(draft.redirect_uri.trim()).ok(),
            scope_count: u32::try_from(count).unwrap_or(u32::MAX),
        }
    }

    /// The errors' messages, in field order, as one text: the message of the refusal, the same in the
    /// window and in `hubkey app add`.
    pub fn error_message(&self) -> String {
        self.issues
            .iter()
            .filter(|i| i.level == Level::Error)
            .map(|i| i.message.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The warnings (they never block saving).
    pub fn warnings(&self) -> Vec<Issue> {
        self.issues
            .iter()
            .filter(|i| i.level == Level::Warning)
            .cloned()
            .collect()
    }
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
    match crate::callback::redirect_target(redirect_uri) {
        Ok(_) => None,
        Err(crate::Error::UnservableRedirect { reason, .. }) => {
            // The URL parser's own wording varies by version.
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

/// The one check of a redirect URL the user asks to copy (the window's "Copy" beside a redirect URL):
/// only a URL Hubkey could receive, so the clipboard cannot be filled with arbitrary text.
pub fn check_redirect_to_copy(url: &str) -> crate::Result<&str> {
    let url = url.trim();
    if url.len() > 2048 {
        return Err(crate::Error::InvalidInput("That URL is too long.".into()));
    }
    match redirect_problem(url) {
        Some(problem) => Err(crate::Error::InvalidInput(problem)),
        None => Ok(url),
    }
}

impl AppDraft {
    /// The app to store: names and URLs trimmed (the redirect URL otherwise exactly as typed: HubSpot
    /// compares it byte for byte), scope lists split.
    pub fn to_config(&self) -> AppConfig {
        AppConfig {
            name: self.name.trim().to_string(),
            client_id: self.client_id.trim().to_string(),
            redirect_uri: self.redirect_uri.trim().to_string(),
            scopes: parse_scope_list(&self.scopes),
            optional_scopes: parse_scope_list(&self.optional_scopes),
            kind: self.kind,
            pkce: self.pkce.unwrap_or(true),
        }
    }

    /// Every issue with the draft, errors and warnings, in field order. `secret`: the client secret
    /// when there is one to check (`None`: not given yet, as while `hubkey app add` has not read it).
    pub fn validate(&self, secret: Option<&ClientSecret>) -> AppValidation {
        let mut issues = Vec::new();

        let name = self.name.trim();
        if name.is_empty() {
            issues.push(Issue::error(
                ids::NAME_MISSING,
                Field::Name,
                "Give the app a name.",
            ));
        } else if !is_app_name(name) {
            issues.push(Issue::error(
                ids::NAME_INVALID,
                Field::Name,
                "Use up to 64 letters, digits, dots, dashes or underscores (no spaces), starting with a letter or digit.",
            ));
        }

        let client_id = self.client_id.trim();
        if client_id.is_empty() {
            issues.push(Issue::error(
                ids::CLIENT_ID_MISSING,
                Field::ClientId,
                "Paste the client ID from the app's Auth tab in HubSpot.",
            ));
        } else if client_id.chars().any(char::is_whitespace) {
            issues.push(Issue::error(
                ids::CLIENT_ID_SPACES,
                Field::ClientId,
                "The client ID cannot contain spaces.",
            ));
        } else if !looks_like_uuid(client_id) {
            issues.push(Issue::warning(
                ids::CLIENT_ID_NOT_UUID,
                Field::ClientId,
                "HubSpot client IDs look like 5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60; check that this is the client ID, not the app ID.",
            ));
        }

        if let Some(secret) = secret {
            let secret = secret.expose().trim();
            if secret.is_empty() {
                issues.push(Issue::error(
                    ids::CLIENT_SECRET_MISSING,
                    Field::ClientSecret,
                    "Paste the client secret from the app's Auth tab in HubSpot.",
                ));
            } else if secret.chars().any(char::is_whitespace) {
                issues.push(Issue::error(
                    ids::CLIENT_SECRET_SPACES,
                    Field::ClientSecret,
                    "The client secret cannot contain spaces.",
                ));
            }
        }

        let redirect = self.redirect_uri.trim();
        if redirect.is_empty() {
            issues.push(Issue::error(
                ids::REDIRECT_MISSING,
                Field::RedirectUri,
                "Enter the redirect URL exactly as registered at HubSpot.",
            ));
        } else if let Some(problem) = redirect_problem(redirect) {
            issues.push(Issue::error(
                ids::REDIRECT_UNSERVABLE,
                Field::RedirectUri,
                problem,
            ));
        }

        let required = parse_scope_list(&self.scopes);
        let optional = parse_scope_list(&self.optional_scopes);
        let catalog = ScopeCatalog::embedded();
        for (field, list) in [(Field::Scopes, &required), (Field::OptionalScopes, &optional)] {
            for word in list {
                if !is_scope_token(word) {
                    issues.push(Issue::error(
                        ids::SCOPES_MALFORMED,
                        field,
                        format!("“{word}” is not a scope name; scopes look like crm.objects.contacts.read."),
                    ));
                } else if let Some(note) = catalog.unknown_note(word) {
                    issues.push(Issue::warning(
                        ids::SCOPES_UNKNOWN,
                        field,
                        format!("{note} Only HubSpot decides: the app is saved and the sign-in starts."),
                    ));
                }
            }
        }
        let lists = ScopeLists::new(&required, &optional);
        if required.is_empty() {
            issues.push(Issue::error(
                ids::SCOPES_NONE,
                Field::Scopes,
                "Add the app's required scopes (at least oauth).",
            ));
        } else if lists.oauth_missing_everywhere() {
            issues.push(Issue::error(
                ids::SCOPES_OAUTH_MISSING,
                Field::Scopes,
                "HubSpot adds oauth to every app as a required scope and refuses an install URL without it; add it here.",
            ));
        }
        if lists.oauth_only_optional() {
            issues.push(Issue::error(
                ids::SCOPES_OAUTH_OPTIONAL,
                Field::OptionalScopes,
                "oauth is always a required scope; move it to the required list.",
            ));
        }
        let both = lists.in_both();
        if !both.is_empty() {
            let names: Vec<String> = both.iter().map(|s| format!("“{s}”")).collect();
            issues.push(Issue::error(
                ids::SCOPES_IN_BOTH_LISTS,
                Field::OptionalScopes,
                format!(
                    "{} {} in both lists. HubSpot would refuse the install: “Authorization failed because there is a mismatch between the scopes in the install URL and the app's configured scopes.” Keep each scope in the list it has in the app's settings.",
                    names.join(", "),
                    if names.len() == 1 { "is" } else { "are" }
                ),
            ));
        }
        AppValidation::new(issues, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The form as typed, with its secret (what the window sends).
    #[derive(Clone)]
    struct AppInput {
        name: &'static str,
        client_id: &'static str,
        client_secret: &'static str,
        redirect_uri: &'static str,
        scopes: &'static str,
        optional_scopes: &'static str,
    }

    fn good() -> AppInput {
        AppInput {
            name: "demo",
            client_id: "5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60",
            client_secret: "0d6e4c2a-9f8b-4e7d-a6c5-b4a3f2e1d0c9",
            redirect_uri: "http://localhost:53682/callback",
            scopes: "oauth crm.objects.contacts.read",
            optional_scopes: "crm.objects.deals.read, automation",
        }
    }

    fn validate(input: &AppInput) -> Vec<Issue> {
        let draft = AppDraft {
            name: input.name.into(),
            client_id: input.client_id.into(),
            redirect_uri: input.redirect_uri.into(),
            scopes: input.scopes.into(),
            optional_scopes: input.optional_scopes.into(),
            kind: AppKind::Standard,
            pkce: None,
        };
        draft
            .validate(Some(&ClientSecret::new(input.client_secret)))
            .issues
    }

    fn has_errors(issues: &[Issue]) -> bool {
        issues.iter().any(|i| i.level == Level::Error)
    }

    fn parse_scopes(text: &str) -> Vec<String> {
        parse_scope_list(text)
    }

    fn is_scope_name(word: &str) -> bool {
        is_scope_token(word)
    }

    fn messages(input: &AppInput) -> Vec<(Field, Level, String)> {
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
        let as_of = ScopeCatalog::embedded().as_of();
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
        use crate::preflight::{ids, preflight, PreflightEnv, Severity};
        let cases: [(&'static str, &'static str, bool); 6] = [
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
    fn given_no_secret_to_check_then_only_the_other_fields_are_validated() {
        let draft = AppDraft {
            name: "my app".into(),
            client_id: "5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60".into(),
            redirect_uri: "http://localhost:53682/callback".into(),
            scopes: "oauth".into(),
            optional_scopes: String::new(),
            kind: AppKind::Standard,
            pkce: None,
        };
        let v = draft.validate(None);
        assert!(!v.ok);
        assert_eq!(
            v.error_message(),
            "Use up to 64 letters, digits, dots, dashes or underscores (no spaces), starting with a letter or digit."
        );
        assert_eq!(v.issues[0].id, ids::NAME_INVALID);
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
