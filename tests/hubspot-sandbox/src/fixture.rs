//! The registered apps, portals (HubSpot accounts) and users the sandbox knows about
//! (hubspot-oauth.md §9 point 1).
//!
//! A fixture is plain data: it can be built in Rust, loaded from a JSON file (`--fixture FILE`) or
//! taken from [`Fixture::demo`], which `fixtures/demo.json` mirrors byte for byte in content (a test
//! keeps the two equal). Field names in JSON are the Rust names (snake_case). Fields marked
//! `#[serde(default)]` may be left out of a JSON file.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::scopes::is_known_scope;
use crate::SandboxError;

/// Everything the emulated HubSpot knows: developer apps and customer accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fixture {
    /// Registered developer apps (standard OAuth apps and MCP auth apps).
    pub apps: Vec<AppFixture>,
    /// Customer accounts that can install those apps.
    pub portals: Vec<PortalFixture>,
}

/// Whether an app uses the classic `app.hubspot.com` flow or the `mcp.hubspot.com` flow (§7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppKind {
    /// A standard (project / legacy public) OAuth app: authorize on the app host, tokens on the API host.
    Standard,
    /// An MCP auth app: authorize at `/oauth/authorize/user` on the MCP host, PKCE required.
    Mcp,
}

/// Why HubSpot refuses to install an app whatever the request says (§1.3 rules 6-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstallBlock {
    /// App Governance: a Super Admin has not approved the app's scopes (§1.3 rule 6).
    GovernanceUnapproved,
    /// A Marketplace app whose developer has not signed the acceptable use policy (§1.3 rule 7).
    AupUnsigned,
    /// An old install link (§1.3 rule 8).
    InstallLinkRetired,
}

/// A registered developer app, as configured in `app-hsmeta.json` (§7.1) or as an MCP auth app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppFixture {
    /// Display name shown on the consent page.
    pub name: String,
    /// The app's client ID: a 36-character UUID.
    pub client_id: String,
    /// The app's client secret (also a UUID on HubSpot).
    pub client_secret: String,
    /// Numeric app id, as returned by introspection (`app_id`).
    pub app_id: u64,
    /// Standard or MCP app.
    pub kind: AppKind,
    /// Registered redirect URLs, compared byte for byte (§1.8).
    pub redirect_urls: Vec<String>,
    /// `requiredScopes`: must all appear in `scope`. For MCP apps: the scope bundle every install gets.
    pub required_scopes: Vec<String>,
    /// `optionalScopes`: may appear in `optional_scope`; dropped when the account lacks the tool.
    #[serde(default)]
    pub optional_scopes: Vec<String>,
    /// `conditionallyRequiredScopes`: required only when present in `scope`; never in `optional_scope`.
    #[serde(default)]
    pub conditionally_required_scopes: Vec<String>,
    /// `isUserLevel` (§7.2): tokens carry `isUserLevel: true`, are limited to the user's permissions
    /// and are refused by some endpoints. MCP apps are always user-level.
    #[serde(default)]
    pub is_user_level: bool,
    /// `distribution`: `"marketplace"` or `"private"` (drives `is_private_distribution`).
    pub distribution: String,
    /// Optional hard block on every install of this app.
    #[serde(default)]
    pub install_block: Option<InstallBlock>,
    /// Plays a HubSpot that refuses PKCE on this (standard) app: the code exchange answers 400
    /// `BAD_CODE_VERIFIER` "PKCE (code_verifier) is not supported for this app" whenever a
    /// `code_verifier` is sent, and succeeds without one. HubSpot's PKCE handling on standard apps is
    /// undocumented (hubspot-oauth.md §1.4, UNCERTAIN), so a client must cope with this; the
    /// wording is the sandbox's choice.
    #[serde(default)]
    pub rejects_pkce: bool,
}

impl AppFixture {
    /// Every scope configured on the app, in configuration order.
    pub fn configured_scopes(&self) -> impl Iterator<Item = &String> {
        self.required_scopes
            .iter()
            .chain(&self.conditionally_required_scopes)
            .chain(&self.optional_scopes)
    }

    /// `is_private_distribution` in introspection responses.
    pub fn is_private_distribution(&self) -> bool {
        self.distribution == "private"
    }
}

/// A HubSpot account (portal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalFixture {
    /// The account id (`hub_id`, `portalId`).
    pub hub_id: u64,
    /// The account's *website* domain (e.g. `acme.example`), as in `hub_domain` (§3.1).
    pub hub_domain: String,
    /// Display name shown on the account picker and consent page.
    #[serde(default)]
    pub name: String,
    /// Data-centre id: `na1`, `eu1`, … It prefixes codes and refresh tokens.
    pub hublet: String,
    /// Product tier, for display only (e.g. "Sales Hub Professional").
    #[serde(default)]
    pub tier: String,
    /// Scopes whose tool or tier this account lacks: required ones fail the install (§1.3 rule 4),
    /// optional ones are silently dropped.
    #[serde(default)]
    pub unavailable_scopes: Vec<String>,
    /// The account's users.
    pub users: Vec<UserFixture>,
    /// Per user id: scopes that user has no permission for in this account. On user-level apps they
    /// are shown disabled on the consent screen and left out of the token (§6.3); account-level apps
    /// ignore this (their tokens reflect the app's scopes, §6.1).
    #[serde(default)]
    pub missing_permissions: BTreeMap<u64, Vec<String>>,
}

impl PortalFixture {
    /// The HubSpot UI host of this account (`uiDomain` in account-info details, §5.4).
    pub fn ui_domain(&self) -> String {
        if self.hublet == "na1" {
            "app.hubspot.com".to_owned()
        } else {
            format!("app-{}.hubspot.com", self.hublet)
        }
    }

    /// Whether `user_id` lacks the permission behind `scope` in this account.
    pub fn user_lacks(&self, user_id: u64, scope: &str) -> bool {
        self.missing_permissions
            .get(&user_id)
            .is_some_and(|scopes| scopes.iter().any(|s| s == scope))
    }

    /// Looks up a user of this account by e-mail (case-insensitive).
    pub fn user_by_email(&self, email: &str) -> Option<&UserFixture> {
        self.users.iter().find(|u| u.email.eq_ignore_ascii_case(email))
    }
}

/// A user of a HubSpot account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFixture {
    /// Global user id (`user_id`).
    pub user_id: u64,
    /// Login e-mail (`user` in token metadata).
    pub email: String,
    /// Super Admins may install any app.
    pub super_admin: bool,
    /// "App Marketplace Access" permission: also allows installing account-level apps (§1.9).
    pub marketplace_access: bool,
}

impl UserFixture {
    /// Whether this user may install account-level apps.
    pub fn can_install(&self) -> bool {
        self.super_admin || self.marketplace_access
    }
}

/// Client id of the demo standard app.
pub const DEMO_STANDARD_CLIENT_ID: &str = "5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60";
/// Client id of the demo MCP auth app.
pub const DEMO_MCP_CLIENT_ID: &str = "7a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d";
/// Client id of the demo user-level standard app.
pub const DEMO_USER_LEVEL_CLIENT_ID: &str = "c0ffee00-1234-4abc-8def-0123456789ab";
/// Hub id of the demo Professional portal (has everything but Enterprise-only custom objects).
pub const DEMO_PRO_HUB_ID: u64 = 24_681_357;
/// Hub id of the demo Starter portal (lacks `automation`, custom objects and other paid tools),
/// the EU one (`hublet: eu1`).
pub const DEMO_STARTER_HUB_ID: u64 = 13_572_468;
/// The demo user who belongs to the EU portal only.
pub const DEMO_EU_USER: &str = "kim@sprocket.example";

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

impl Fixture {
    /// The built-in demo world, also shipped as `fixtures/demo.json`.
    ///
    /// - **Hubkey Demo** (standard, marketplace): requires `oauth crm.objects.contacts.read`;
    ///   optional `crm.objects.deals.read automation crm.objects.owners.read`; conditionally
    ///   required `crm.objects.custom.read` (Enterprise only, so it trips the tier error on both
    ///   demo portals).
    /// - **Hubkey MCP** (MCP auth app, user-level).
    /// - **Hubkey User-Level** (standard, user-level, private distribution).
    /// - Portal **Acme Corp** (`na1`, Professional): lacks custom objects.
    /// - Portal **Sprocket Ltd** (`eu1`, Starter): lacks `automation`, custom objects and more. It
    ///   is the EU portal: the MCP host sends it on to its regional host (see `authorize.rs`).
    /// - `alex@acme.example` is a Super Admin of both (the default signed-in user, so the account
    ///   picker appears); `robin@acme.example` has no install rights; `morgan@acme.example` has App
    ///   Marketplace Access but cannot read deals; `kim@sprocket.example` is a Super Admin of the EU
    ///   portal only (`login_as` it to land there without the picker).
    pub fn demo() -> Fixture {
        // The same HubSpot user is a Super Admin of both demo accounts (user ids are global).
        let alex = || UserFixture {
            user_id: 1_001,
            email: "alex@acme.example".to_owned(),
            super_admin: true,
            marketplace_access: true,
        };
        Fixture {
            apps: vec![
                AppFixture {
                    name: "Hubkey Demo".to_owned(),
                    client_id: DEMO_STANDARD_CLIENT_ID.to_owned(),
                    client_secret: "0d6e4c2a-9f8b-4e7d-a6c5-b4a3f2e1d0c9".to_owned(),
                    app_id: 3_141_592,
                    kind: AppKind::Standard,
                    redirect_urls: strings(&[
                        "http://localhost:3000/oauth-callback",
                        "http://localhost:53682/callback",
                        "https://relay.example.com/hubkey-relay.html",
                    ]),
                    required_scopes: strings(&["oauth", "crm.objects.contacts.read"]),
                    optional_scopes: strings(&[
                        "crm.objects.deals.read",
                        "automation",
                        "crm.objects.owners.read",
                    ]),
                    conditionally_required_scopes: strings(&["crm.objects.custom.read"]),
                    is_user_level: false,
                    distribution: "marketplace".to_owned(),
                    install_block: None,
                    rejects_pkce: false,
                },
                AppFixture {
                    name: "Hubkey MCP".to_owned(),
                    client_id: DEMO_MCP_CLIENT_ID.to_owned(),
                    client_secret: "e5d4c3b2-a1f0-4e9d-8c7b-6a5f4e3d2c1b".to_owned(),
                    app_id: 2_718_281,
                    kind: AppKind::Mcp,
                    redirect_urls: strings(&["http://localhost:53683/callback"]),
                    required_scopes: strings(&[
                        "oauth",
                        "crm.objects.contacts.read",
                        "crm.objects.companies.read",
                        "crm.objects.deals.read",
                        "crm.objects.owners.read",
                    ]),
                    optional_scopes: Vec::new(),
                    conditionally_required_scopes: Vec::new(),
                    is_user_level: true,
                    distribution: "marketplace".to_owned(),
                    install_block: None,
                    rejects_pkce: false,
                },
                AppFixture {
                    name: "Hubkey User-Level".to_owned(),
                    client_id: DEMO_USER_LEVEL_CLIENT_ID.to_owned(),
                    client_secret: "b16b00b5-7e57-4c0d-9e5e-5ca1ab1e0001".to_owned(),
                    app_id: 1_618_033,
                    kind: AppKind::Standard,
                    redirect_urls: strings(&[
                        "http://localhost:53682/callback",
                        "http://localhost:3000/oauth-callback",
                    ]),
                    required_scopes: strings(&["oauth", "crm.objects.contacts.read"]),
                    optional_scopes: strings(&["crm.objects.deals.read", "crm.objects.owners.read"]),
                    conditionally_required_scopes: Vec::new(),
                    is_user_level: true,
                    distribution: "private".to_owned(),
                    install_block: None,
                    rejects_pkce: false,
                },
            ],
            portals: vec![
                PortalFixture {
                    hub_id: DEMO_PRO_HUB_ID,
                    hub_domain: "acme.example".to_owned(),
                    name: "Acme Corp".to_owned(),
                    hublet: "na1".to_owned(),
                    tier: "Professional".to_owned(),
                    unavailable_scopes: strings(&[
                        "crm.objects.custom.read",
                        "crm.objects.custom.write",
                        "crm.schemas.custom.read",
                    ]),
                    users: vec![
                        alex(),
                        UserFixture {
                            user_id: 1_002,
                            email: "robin@acme.example".to_owned(),
                            super_admin: false,
                            marketplace_access: false,
                        },
                        UserFixture {
                            user_id: 1_003,
                            email: "morgan@acme.example".to_owned(),
                            super_admin: false,
                            marketplace_access: true,
                        },
                    ],
                    missing_permissions: BTreeMap::from([(1_003, strings(&["crm.objects.deals.read"]))]),
                },
                PortalFixture {
                    hub_id: DEMO_STARTER_HUB_ID,
                    hub_domain: "sprocket.example".to_owned(),
                    name: "Sprocket Ltd".to_owned(),
                    hublet: "eu1".to_owned(),
                    tier: "Starter".to_owned(),
                    unavailable_scopes: strings(&[
                        "automation",
                        "social",
                        "content",
                        "hubdb",
                        "crm.objects.custom.read",
                        "crm.objects.custom.write",
                        "crm.schemas.custom.read",
                        "marketing.campaigns.read",
                    ]),
                    users: vec![
                        alex(),
                        UserFixture {
                            user_id: 1_004,
                            email: "kim@sprocket.example".to_owned(),
                            super_admin: true,
                            marketplace_access: true,
                        },
                    ],
                    missing_permissions: BTreeMap::new(),
                },
            ],
        }
    }

    /// Loads a fixture from a JSON file and validates it.
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Fixture, SandboxError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SandboxError::FixtureIo {
            path: path.display().to_string(),
            source,
        })?;
        let fixture: Fixture = serde_json::from_str(&text).map_err(|source| SandboxError::FixtureJson {
            path: path.display().to_string(),
            source,
        })?;
        fixture.validate()?;
        Ok(fixture)
    }

    /// Checks what HubSpot itself would refuse to configure: 36-character unique client ids,
    /// unique hub ids, known scope names on apps, at least one redirect URL per app and one user per
    /// portal. Redirect URL *shape* is deliberately not checked, so a fixture can register a bad URL
    /// (e.g. an IP literal) to test the authorize-time rejection.
    pub fn validate(&self) -> Result<(), SandboxError> {
        let invalid = |msg: String| Err(SandboxError::InvalidFixture(msg));
        let mut client_ids = HashSet::new();
        for app in &self.apps {
            if app.client_id.len() != 36 {
                return invalid(format!(
                    "app {:?}: client_id must be 36 characters long",
                    app.name
                ));
            }
            if !client_ids.insert(app.client_id.as_str()) {
                return invalid(format!("duplicate client_id {}", app.client_id));
            }
            if app.redirect_urls.is_empty() {
                return invalid(format!("app {:?}: needs at least one redirect URL", app.name));
            }
            if let Some(bad) = app.configured_scopes().find(|s| !is_known_scope(s)) {
                return invalid(format!("app {:?}: unknown scope {bad:?}", app.name));
            }
        }
        let mut hub_ids = HashSet::new();
        for portal in &self.portals {
            if !hub_ids.insert(portal.hub_id) {
                return invalid(format!("duplicate hub_id {}", portal.hub_id));
            }
            if portal.users.is_empty() {
                return invalid(format!("portal {}: needs at least one user", portal.hub_id));
            }
        }
        Ok(())
    }

    /// Finds an app by client id.
    pub fn app(&self, client_id: &str) -> Option<&AppFixture> {
        self.apps.iter().find(|a| a.client_id == client_id)
    }

    /// Finds a portal by hub id.
    pub fn portal(&self, hub_id: u64) -> Option<&PortalFixture> {
        self.portals.iter().find(|p| p.hub_id == hub_id)
    }

    /// The e-mail of the default signed-in user: the first user of the first portal.
    pub fn default_login(&self) -> Option<&str> {
        self.portals
            .first()
            .and_then(|p| p.users.first())
            .map(|u| u.email.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_fixture_is_valid() {
        Fixture::demo().validate().unwrap();
    }

    #[test]
    fn validate_rejects_short_client_id_and_unknown_scope() {
        let mut f = Fixture::demo();
        f.apps[0].client_id = "short".into();
        assert!(f.validate().is_err());
        let mut f = Fixture::demo();
        f.apps[0].optional_scopes.push("crm.objects.unicorns.read".into());
        assert!(f.validate().is_err());
    }
}
