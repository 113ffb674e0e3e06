//! A guide to HubSpot's install-error pages (hubspot-oauth.md §1.3, §1.8, §1.9), as data.
//!
//! When HubSpot refuses an install it shows an HTML page and **never redirects back**, so Hubkey's
//! loopback listener just waits. When no callback arrives (timeout, or the user says "HubSpot
//! showed an error"), the UI and the CLI show [`install_guide`]: each entry quotes HubSpot's
//! wording, says why it happens and how to fix it. [`identify`] finds the entry for a message
//! the user pasted or read out.
//!
//! The quoted wordings live in [`hubspot_text`] and are shared with [`crate::preflight`], so the
//! preflight and the guide always quote HubSpot identically. A test fetches every error page from
//! the HubSpot sandbox and checks that each entry's message appears on it.

use serde::Serialize;

/// HubSpot's own wordings (hubspot-oauth.md §1.3, §1.8). `{…}` marks a part HubSpot fills in.
pub mod hubspot_text {
    /// §1.3 rule 1: a required scope is missing from `scope`.
    pub const INSUFFICIENT_SCOPES: &str =
        "Authorization failed because the provided scopes are insufficient. Please contact the app developer.";
    /// §1.3 rule 2: `scope` / `optional_scope` do not match the app's configured scopes.
    pub const SCOPE_MISMATCH: &str =
        "Authorization failed because there is a mismatch between the scopes in \
the install URL and the app's configured scopes";
    /// §1.3 rule 3: a scope name that does not exist.
    pub const INVALID_SCOPE_NAME: &str =
        "An invalid scope name was provided. Please contact the app developer.";
    /// §1.3 rule 3, older wording.
    pub const INVALID_SCOPE_NAME_OLD: &str = "Insufficient scopes were provided.";
    /// §1.3 rule 4: the account lacks the tier or tool behind a required scope.
    pub const ACCOUNT_LACKS_FEATURES: &str =
        "This account doesn't have access to some HubSpot features that are required by this app.";
    /// §1.3 rule 4, newer wording (followed by the scopes in brackets).
    pub const ACCOUNT_LACKS_SCOPES: &str =
        "Authorization failed because your account lacks access to the required scopes [{scopes}]";
    /// §1.3 rule 5.
    pub const INVALID_CLIENT_ID: &str =
        "An invalid client_id was provided. Please contact the app developer.";
    /// §1.3 rule 6: App Governance.
    pub const GOVERNANCE_UNAPPROVED: &str =
        "Authorization failed because this app hasn't been approved to access the required scopes [{scopes}]";
    /// §1.3 rule 7.
    pub const AUP_UNSIGNED: &str = "The app could not be installed because the app developer has not signed \
the acceptable use policy.";
    /// §1.3 rule 8.
    pub const INSTALL_LINK_RETIRED: &str =
        "This install link is no longer valid. Please visit HubSpot's App Marketplace to install this app.";
    /// §1.8 rule 3.
    pub const REDIRECT_MISMATCH: &str =
        "Authorization failed as the redirect URL '{redirect_uri}' doesn't match the app's registered redirect URL";
    /// §1.8 rule 3, another wording.
    pub const REDIRECT_MISMATCH_OTHER: &str =
        "The redirect_uri doesn't match the client registered redirect_uri. Please contact the app developer.";
    /// §1.9 / §6.3: the title of HubSpot's page (and KB article) when the installer may not install.
    pub const INTEGRATION_PERMISSIONS: &str = "Request for Integration Permissions";
    /// §1.8 rule 1 (docs): IP literals.
    pub const IP_NOT_SUPPORTED: &str = "You also must use a domain, as IP addresses are not supported.";
    /// §1.8 rule 1 (docs): https.
    pub const HTTPS_REQUIRED: &str =
        "For security reasons, this URL must use https in production. (When testing \
using localhost, http can be used.)";
    /// §1.4 (MCP setup page).
    pub const PKCE_REQUIRED_FOR_MCP: &str = "PKCE is required for authenticating with HubSpot's MCP server";
    /// §7.3: the MCP server's answer to a token that is not user-level.
    pub const MCP_NEEDS_USER_LEVEL: &str = "This endpoint requires a user level OAuth token";
}

/// One way an install can fail at HubSpot's authorize page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "InstallFailure.ts"))]
pub struct InstallFailure {
    /// Stable id (the same kind name the HubSpot sandbox uses for its page).
    pub id: &'static str,
    /// A short title.
    pub title: &'static str,
    /// HubSpot's wording; `{…}` marks a part HubSpot fills in (scopes, the redirect URL).
    pub hubspot_message: &'static str,
    /// Other wordings HubSpot has used for the same failure.
    pub also_seen: &'static [&'static str],
    /// Why it happens.
    pub cause: &'static str,
    /// What to do.
    pub fix: &'static str,
}

impl InstallFailure {
    /// Whether `text` (a page, or a message the user pasted) shows this failure: the fixed parts
    /// of [`InstallFailure::hubspot_message`] (or of one of [`InstallFailure::also_seen`]) appear in
    /// it, in order. Case and runs of whitespace are ignored.
    pub fn matches(&self, text: &str) -> bool {
        let text = normalize(text);
        std::iter::once(self.hubspot_message)
            .chain(self.also_seen.iter().copied())
            .any(|m| template_matches(m, &text))
    }
}

fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Matches a `{…}` template against normalised text: each literal piece must appear, in order.
fn template_matches(template: &str, text: &str) -> bool {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        pieces.push(&rest[..open]);
        rest = match rest[open..].find('}') {
            Some(close) => &rest[open + close + 1..],
            None => "",
        };
    }
    pieces.push(rest);
    let mut at = 0;
    for piece in pieces.iter().map(|p| normalize(p)).filter(|p| !p.is_empty()) {
        match text.get(at..).and_then(|t| t.find(&piece)) {
            Some(i) => at += i + piece.len(),
            None => return false,
        }
    }
    at > 0
}

use hubspot_text as t;

const GUIDE: &[InstallFailure] = &[
    InstallFailure {
        id: "no_install_permission",
        title: "You may not install apps in this account",
        hubspot_message: t::INTEGRATION_PERMISSIONS,
        also_seen: &[],
        cause: "Only Super Admins and users with the App Marketplace Access permission can install an \
account-level app (user-level and MCP apps can be installed by any user for themselves).",
        fix: "Ask a Super Admin to install the app, or to give you the App Marketplace Access permission \
(Settings → Users & Teams), then sign in again.",
    },
    InstallFailure {
        id: "account_lacks_scopes",
        title: "The account's subscription lacks a required scope",
        hubspot_message: t::ACCOUNT_LACKS_FEATURES,
        also_seen: &[t::ACCOUNT_LACKS_SCOPES],
        cause: "A required (or a requested conditionally required) scope needs a product or tier this \
account does not have, e.g. automation needs Marketing Hub Professional. Optional scopes would simply be \
dropped; required ones stop the install.",
        fix: "Install into an account with that tier, or move the scope from the required to the optional \
scopes (in the app's settings at HubSpot and in Hubkey) if the app can work without it.",
    },
    InstallFailure {
        id: "governance_unapproved",
        title: "A Super Admin has not approved the app (App Governance)",
        hubspot_message: t::GOVERNANCE_UNAPPROVED,
        also_seen: &[],
        cause: "Since April 2026 (App Governance), a Super Admin must approve an app and its scopes before \
users of the account can install it.",
        fix: "Ask a Super Admin of the account to approve the app and the listed scopes (HubSpot's \"Manage \
access to apps\" settings), then sign in again.",
    },
    InstallFailure {
        id: "scope_mismatch",
        title: "The requested scopes don't match the app's configured scopes",
        hubspot_message: t::SCOPE_MISMATCH,
        also_seen: &[],
        cause: "The install URL names a scope the app does not configure, an optional scope in `scope`, or a \
required or conditionally required scope in `optional_scope`.",
        fix: "Make Hubkey's required scopes exactly the app's required (and any conditionally required) \
scopes, and Hubkey's optional scopes a subset of the app's optional scopes (Auth tab, or `requiredScopes` / \
`optionalScopes` in app-hsmeta.json; run `hs project upload` after changing them).",
    },
    InstallFailure {
        id: "insufficient_scopes",
        title: "A required scope is missing from the request",
        hubspot_message: t::INSUFFICIENT_SCOPES,
        also_seen: &[],
        cause: "The install URL's `scope` lacks one of the app's required scopes (often `oauth`, which every \
app requires, or a required scope that was put among the optional ones).",
        fix: "Add every required scope of the app (including `oauth`) to Hubkey's required scopes.",
    },
    InstallFailure {
        id: "invalid_scope_name",
        title: "A scope name does not exist",
        hubspot_message: t::INVALID_SCOPE_NAME,
        also_seen: &[t::INVALID_SCOPE_NAME_OLD],
        cause: "A scope in the install URL is misspelt or is not a HubSpot scope.",
        fix: "Correct the name (Hubkey's preflight suggests the closest known scope) and copy scope names from \
the app's Auth tab.",
    },
    InstallFailure {
        id: "redirect_uri_mismatch",
        title: "The redirect URL is not registered on the app",
        hubspot_message: t::REDIRECT_MISMATCH,
        also_seen: &[t::REDIRECT_MISMATCH_OTHER],
        cause: "HubSpot compares the redirect URL with the app's registered ones exactly: scheme, host, port, \
path and trailing slash. There is no \"any loopback port\" exception.",
        fix: "Copy a redirect URL from the app's Auth tab into Hubkey unchanged, or register Hubkey's URL (e.g. \
http://localhost:53682/callback) at HubSpot.",
    },
    InstallFailure {
        id: "invalid_client_id",
        title: "HubSpot does not know this client ID",
        hubspot_message: t::INVALID_CLIENT_ID,
        also_seen: &[],
        cause: "The client ID is mistyped, belongs to a deleted app, or belongs to an MCP auth app used on the \
standard authorize page (or the reverse).",
        fix: "Copy the client ID again from the app's Auth tab (or the MCP auth app's details page), and check \
that the app's kind in Hubkey (standard or MCP) matches.",
    },
    InstallFailure {
        id: "aup_unsigned",
        title: "The app's developer has not signed the acceptable use policy",
        hubspot_message: t::AUP_UNSIGNED,
        also_seen: &[],
        cause: "A Marketplace-distributed app installed outside developer test accounts needs the developer \
account to have signed HubSpot's acceptable use policy.",
        fix: "In the developer account, sign the acceptable use policy, or install into a developer test \
account.",
    },
    InstallFailure {
        id: "install_link_retired",
        title: "The install link is no longer valid",
        hubspot_message: t::INSTALL_LINK_RETIRED,
        also_seen: &[],
        cause: "HubSpot retired this install link (an old link of a migrated or Marketplace app).",
        fix: "Install from the app's current install URL or its App Marketplace listing; check that the client \
ID in Hubkey is the app's current one.",
    },
];

/// Every known install failure, in the order to show them.
pub fn install_guide() -> &'static [InstallFailure] {
    GUIDE
}

/// The guide entry with this id.
pub fn entry(id: &str) -> Option<&'static InstallFailure> {
    GUIDE.iter().find(|f| f.id == id)
}

/// The guide entry whose HubSpot wording appears in `text` (a pasted message or page).
pub fn identify(text: &str) -> Option<&'static InstallFailure> {
    GUIDE.iter().find(|f| f.matches(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_the_guide_then_ids_are_unique_and_every_field_is_filled() {
        let mut ids: Vec<&str> = GUIDE.iter().map(|f| f.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), GUIDE.len());
        for f in GUIDE {
            assert!(
                !f.title.is_empty() && !f.cause.is_empty() && !f.fix.is_empty(),
                "{}",
                f.id
            );
            assert!(f.matches(f.hubspot_message), "{} matches its own message", f.id);
        }
    }

    #[test]
    fn given_a_pasted_message_with_filled_in_parts_when_identified_then_the_entry_is_found() {
        let pasted = "Couldn't complete the connection\n  Authorization failed as the redirect URL \
            'http://localhost:1234/cb' doesn't match the app's registered redirect URL";
        assert_eq!(identify(pasted).map(|f| f.id), Some("redirect_uri_mismatch"));
        let newer = "Authorization failed because your account lacks access to the required scopes \
            [marketing.campaigns.read]";
        assert_eq!(identify(newer).map(|f| f.id), Some("account_lacks_scopes"));
        assert_eq!(
            identify("Insufficient scopes were provided.").map(|f| f.id),
            Some("invalid_scope_name")
        );
        assert_eq!(identify("something else entirely"), None);
        assert_eq!(
            entry("aup_unsigned").map(|f| f.hubspot_message),
            Some(t::AUP_UNSIGNED)
        );
    }

    #[test]
    fn given_a_template_then_pieces_must_appear_in_order() {
        assert!(template_matches("a {x} b", "a zzz b"));
        assert!(!template_matches("a {x} b", "b zzz a"));
        assert!(!template_matches("{x}", "anything"));
    }
}
