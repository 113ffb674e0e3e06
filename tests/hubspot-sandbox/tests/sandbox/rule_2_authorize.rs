//! §9 point 2: the authorize page, its error pages, the account picker and the consent screen.

use hubspot_sandbox::{
    Fixture, InstallBlock, DEMO_PRO_HUB_ID, DEMO_STANDARD_CLIENT_ID, DEMO_STARTER_HUB_ID,
    DEMO_USER_LEVEL_CLIENT_ID,
};
use reqwest::StatusCode;

use crate::common::*;

fn pro_path() -> String {
    format!("/oauth/{DEMO_PRO_HUB_ID}/authorize")
}

const INSUFFICIENT: &str =
    "Authorization failed because the provided scopes are insufficient. Please contact the app developer.";
const MISMATCH: &str =
    "Authorization failed because there is a mismatch between the scopes in the install URL \
and the app's configured scopes";

#[tokio::test]
async fn rule_2_authorize_unknown_client_id_renders_error_page_without_redirect() {
    let e = env().await;
    // Given a client id no app has, when the browser opens the authorize URL
    let url = e.authorize_url(
        "/oauth/authorize",
        &[("client_id", "00000000-0000-4000-8000-000000000000")],
    );
    // then HubSpot's page is shown and nothing goes to the redirect URL.
    e.get(&url).await.assert_error_page(
        "invalid_client_id",
        "An invalid client_id was provided. Please contact the app developer.",
    );
    // An MCP app's client id is unknown to the app host too.
    let url = e.authorize_url(
        "/oauth/authorize",
        &[("client_id", hubspot_sandbox::DEMO_MCP_CLIENT_ID)],
    );
    e.get(&url)
        .await
        .assert_error_page("invalid_client_id", "An invalid client_id");
}

#[tokio::test]
async fn rule_2_redirect_uri_other_port_is_rejected() {
    let e = env().await;
    // Given a registered http://localhost:53682/callback, when the client listens on another port
    let url = e.authorize_url(
        &pro_path(),
        &[("redirect_uri", "http://localhost:53699/callback")],
    );
    // then no loopback relaxation applies (§1.8 rule 3).
    e.get(&url).await.assert_error_page(
        "redirect_uri_mismatch",
        "Authorization failed as the redirect URL 'http://localhost:53699/callback' doesn't match the app's registered redirect URL",
    );
}

#[tokio::test]
async fn rule_2_redirect_uri_must_match_byte_for_byte_including_trailing_slash_and_missing() {
    let e = env().await;
    let url = e.authorize_url(
        &pro_path(),
        &[("redirect_uri", "http://localhost:53682/callback/")],
    );
    e.get(&url)
        .await
        .assert_error_page("redirect_uri_mismatch", "doesn't match");
    let url = e.authorize_url(&pro_path(), &[("redirect_uri", "")]);
    e.get(&url)
        .await
        .assert_error_page("redirect_uri_mismatch", "doesn't match");
}

#[tokio::test]
async fn rule_2_ip_literal_redirect_is_rejected() {
    // Given an app that (wrongly) registered IP-literal loopback URLs
    let mut f = Fixture::demo();
    f.apps[0]
        .redirect_urls
        .push("http://127.0.0.1:53682/callback".into());
    f.apps[0].redirect_urls.push("http://[::1]:53682/callback".into());
    let e = env_with(f).await;
    for uri in ["http://127.0.0.1:53682/callback", "http://[::1]:53682/callback"] {
        // when authorize uses one, then it is refused even though registered (§1.8 rule 1).
        let url = e.authorize_url(&pro_path(), &[("redirect_uri", uri)]);
        e.get(&url)
            .await
            .assert_error_page("redirect_uri_not_allowed", "IP addresses are not supported");
    }
}

#[tokio::test]
async fn rule_2_non_https_non_localhost_and_custom_scheme_redirects_are_rejected() {
    let mut f = Fixture::demo();
    f.apps[0].redirect_urls.push("http://relay.example.com/cb".into());
    f.apps[0].redirect_urls.push("hubkey://callback".into());
    let e = env_with(f).await;
    for uri in ["http://relay.example.com/cb", "hubkey://callback"] {
        let url = e.authorize_url(&pro_path(), &[("redirect_uri", uri)]);
        e.get(&url)
            .await
            .assert_error_page("redirect_uri_not_allowed", "must use https");
    }
    // The registered https relay URL is fine.
    let url = e.authorize_url(
        &pro_path(),
        &[("redirect_uri", "https://relay.example.com/hubkey-relay.html")],
    );
    let page = e.get(&url).await;
    assert!(
        page.text.contains("data-sandbox-page=\"consent\""),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn rule_2_scope_rule_1_missing_required_scope_is_insufficient() {
    let e = env().await;
    let url = e.authorize_url(&pro_path(), &[("scope", "oauth")]);
    e.get(&url)
        .await
        .assert_error_page("insufficient_scopes", INSUFFICIENT);
}

#[tokio::test]
async fn rule_2_scope_rule_1_required_scope_in_optional_scope_is_insufficient() {
    let e = env().await;
    let url = e.authorize_url(
        &pro_path(),
        &[
            ("scope", "oauth"),
            ("optional_scope", "crm.objects.contacts.read"),
        ],
    );
    e.get(&url)
        .await
        .assert_error_page("insufficient_scopes", INSUFFICIENT);
}

#[tokio::test]
async fn rule_2_scope_rule_2_optional_scope_in_scope_is_mismatch() {
    let e = env().await;
    let url = e.authorize_url(
        &pro_path(),
        &[("scope", "oauth crm.objects.contacts.read automation")],
    );
    e.get(&url).await.assert_error_page("scope_mismatch", MISMATCH);
}

#[tokio::test]
async fn rule_2_scope_rule_2_conditional_scope_in_optional_scope_is_mismatch() {
    let e = env().await;
    let url = e.authorize_url(&pro_path(), &[("optional_scope", "crm.objects.custom.read")]);
    e.get(&url).await.assert_error_page("scope_mismatch", MISMATCH);
}

#[tokio::test]
async fn rule_2_scope_rule_2_unconfigured_scope_is_mismatch() {
    let e = env().await;
    // A real scope the app did not configure, in either parameter.
    let url = e.authorize_url(&pro_path(), &[("optional_scope", "crm.objects.companies.read")]);
    e.get(&url).await.assert_error_page("scope_mismatch", MISMATCH);
    let url = e.authorize_url(
        &pro_path(),
        &[("scope", "oauth crm.objects.contacts.read tickets")],
    );
    e.get(&url).await.assert_error_page("scope_mismatch", MISMATCH);
}

#[tokio::test]
async fn rule_2_scope_rule_3_unknown_scope_name_is_invalid() {
    let e = env().await;
    let url = e.authorize_url(
        &pro_path(),
        &[(
            "scope",
            "oauth crm.objects.contacts.read crm.objects.unicorns.read",
        )],
    );
    e.get(&url).await.assert_error_page(
        "invalid_scope_name",
        "An invalid scope name was provided. Please contact the app developer.",
    );
}

#[tokio::test]
async fn rule_2_scope_rule_3_the_engagement_scopes_of_hubspots_table_are_valid_names() {
    // HubSpot's scope table lists crm.objects.{tickets,notes,calls,tasks,…}.{read,write}
    // (hubspot-oauth.md, Corrections of 2026-12-02); apps request them every day. Given an app
    // configured with them, when its install URL asks for them, then HubSpot shows its consent page,
    // not "An invalid scope name was provided".
    let engagement = [
        "crm.objects.tasks.write",
        "crm.objects.notes.write",
        "crm.objects.calls.write",
        "crm.objects.tickets.read",
        "crm.objects.meetings.write",
        "crm.objects.emails.write",
        "crm.objects.communications.read",
    ];
    let mut fixture = Fixture::demo();
    fixture.apps[0]
        .required_scopes
        .extend(engagement.iter().map(|s| (*s).to_owned()));
    let e = env_with(fixture).await;
    let scope = format!("{BASE_SCOPE} {}", engagement.join(" "));
    let url = e.authorize_url(&pro_path(), &[("scope", &scope)]);
    let location = e.consent_flow(&url).await;
    let code = query_value(&location, "code").expect("a code");
    let tokens = e
        .token(
            "2026-03",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", hubspot_sandbox::DEMO_STANDARD_CLIENT_ID),
                ("client_secret", STD_SECRET),
                ("redirect_uri", REDIRECT),
                ("code", &code),
            ],
        )
        .await
        .json();
    let granted: Vec<&str> = tokens["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for s in engagement {
        assert!(granted.contains(&s), "{s} not granted: {granted:?}");
    }
}

#[tokio::test]
async fn rule_2_scope_rule_4_account_lacking_tier_for_requested_conditional_scope_fails() {
    let e = env().await;
    // Given the Professional portal lacks Enterprise custom objects, when the install URL puts the
    // conditionally required crm.objects.custom.read in `scope`
    let url = e.authorize_url(
        &pro_path(),
        &[("scope", "oauth crm.objects.contacts.read crm.objects.custom.read")],
    );
    let page = e.get(&url).await;
    // then the tier error names the missing scope.
    page.assert_error_page(
        "account_lacks_scopes",
        "This account doesn't have access to some HubSpot features that are required by this app.",
    );
    assert!(page
        .text
        .contains("Authorization failed because your account lacks access to the required scopes [crm.objects.custom.read]"));
}

#[tokio::test]
async fn rule_2_scope_rule_4_account_lacking_tier_for_required_scope_fails() {
    // Given an app that *requires* automation, when installed on the Starter portal (no automation)
    let mut f = Fixture::demo();
    f.apps[0].required_scopes.push("automation".into());
    f.apps[0].optional_scopes.retain(|s| s != "automation");
    let e = env_with(f).await;
    let url = e.authorize_url(
        &format!("/oauth/{DEMO_STARTER_HUB_ID}/authorize"),
        &[("scope", "oauth crm.objects.contacts.read automation")],
    );
    e.get(&url)
        .await
        .assert_error_page("account_lacks_scopes", "required by this app");
}

#[tokio::test]
async fn rule_2_installer_without_super_admin_or_marketplace_access_is_refused() {
    let e = env().await;
    e.sb.update_switches(|s| s.login_as = Some("robin@acme.example".into()));
    e.get(&e.authorize_url(&pro_path(), &[])).await.assert_error_page(
        "no_install_permission",
        "Only Super Admins or users with App Marketplace Access",
    );
    // App Marketplace Access is enough.
    e.sb.update_switches(|s| s.login_as = Some("morgan@acme.example".into()));
    let location = e.consent_flow(&e.authorize_url(&pro_path(), &[])).await;
    assert!(query_value(&location, "code").is_some());
}

#[tokio::test]
async fn rule_2_user_level_app_lets_any_user_install_and_drops_scopes_they_lack() {
    let e = env().await;
    // Given morgan lacks permission for deals, installing the user-level app with deals optional
    e.sb.update_switches(|s| s.login_as = Some("morgan@acme.example".into()));
    let url = e.authorize_url(
        &pro_path(),
        &[
            ("client_id", DEMO_USER_LEVEL_CLIENT_ID),
            ("optional_scope", "crm.objects.deals.read"),
        ],
    );
    let page = e.get(&url).await;
    // then deals is shown disabled and left out of the token.
    assert!(
        page.text
            .contains("data-scope-disabled=\"crm.objects.deals.read\""),
        "{}",
        page.text
    );
    let answer = e.submit_consent(&url, &page.text, "grant").await;
    let code = query_value(&answer.location(), "code").unwrap();
    let tokens = e
        .token(
            "2026-03",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", DEMO_USER_LEVEL_CLIENT_ID),
                ("client_secret", "b16b00b5-7e57-4c0d-9e5e-5ca1ab1e0001"),
                ("redirect_uri", REDIRECT),
                ("code", &code),
            ],
        )
        .await
        .json();
    assert_eq!(
        tokens["scopes"],
        serde_json::json!(["oauth", "crm.objects.contacts.read"])
    );
    // Even a user without install rights may install a user-level app.
    e.sb.update_switches(|s| s.login_as = Some("robin@acme.example".into()));
    let page = e.get(&url).await;
    assert!(page.text.contains("data-sandbox-page=\"consent\""));
}

#[tokio::test]
async fn rule_2_scopes_decode_both_plus_and_percent20() {
    let e = env().await;
    let base = format!(
        "{}?client_id={DEMO_STANDARD_CLIENT_ID}&redirect_uri=http%3A%2F%2Flocalhost%3A53682%2Fcallback",
        e.url(&pro_path())
    );
    for scope in [
        "oauth%20crm.objects.contacts.read",
        "oauth+crm.objects.contacts.read",
    ] {
        let page = e
            .get(&format!(
                "{base}&scope={scope}&optional_scope=automation+crm.objects.deals.read"
            ))
            .await;
        assert!(
            page.text.contains("data-sandbox-page=\"consent\""),
            "{scope}: {}",
            page.text
        );
        assert!(page.text.contains("data-scope=\"crm.objects.contacts.read\""));
        assert!(page.text.contains("data-scope=\"automation\""));
        assert!(page.text.contains("data-scope=\"crm.objects.deals.read\""));
    }
}

#[tokio::test]
async fn rule_2_consent_flow_grant_redirects_with_code_and_state() {
    let e = env().await;
    // Given the consent page for the Professional portal
    let url = e.authorize_url(&pro_path(), &[("state", "a b&c=d/é")]);
    let page = e.get(&url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .text
        .contains("<button type=\"submit\" class=\"primary\" id=\"grant-access\""));
    assert!(page.text.contains(">Grant access</button>"));
    assert!(page.text.contains("alex@acme.example"));
    assert!(page.text.contains(&DEMO_PRO_HUB_ID.to_string()));
    // The page is self-contained: no external resources, no scripts.
    assert!(!page.text.contains("src=") && !page.text.contains("<script") && !page.text.contains("<link"));
    // The form carries only a pending id, not the request parameters.
    assert!(!page.text.contains("name=\"redirect_uri\"") && !page.text.contains("name=\"client_id\""));
    // When "Grant access" is pressed
    let answer = e.submit_consent(&url, &page.text, "grant").await;
    // then the browser goes to the exact redirect URL with the code and the state, percent-encoded.
    assert_eq!(answer.status, StatusCode::FOUND);
    let location = answer.location();
    assert!(
        location.starts_with("http://localhost:53682/callback?code=na1-"),
        "{location}"
    );
    assert!(location.ends_with("&state=a%20b%26c%3Dd%2F%C3%A9"), "{location}");
    assert_eq!(query_value(&location, "state").as_deref(), Some("a b&c=d/é"));
}

#[tokio::test]
async fn rule_2_code_has_hublet_format_and_state_is_omitted_when_absent() {
    let e = env().await;
    let url = e.authorize_url(
        &format!("/oauth/{DEMO_STARTER_HUB_ID}/authorize"),
        &[("state", "")],
    );
    let location = e.consent_flow(&url).await;
    let pairs = query_of(&location);
    assert_eq!(pairs.len(), 1, "only the code: {location}");
    let code = &pairs[0].1;
    // eu1-xxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx on the EU portal.
    let lens: Vec<usize> = code.split('-').map(str::len).collect();
    assert_eq!(lens, [3, 4, 4, 4, 4, 12], "{code}");
    assert!(code.starts_with("eu1-"));
}

#[tokio::test]
async fn rule_2_account_picker_when_user_has_several_portals_and_portal_url_preselects() {
    let e = env().await;
    // Given alex is in both demo portals, when /oauth/authorize has no portal id
    let url = e.authorize_url("/oauth/authorize", &[]);
    let picker = e.get(&url).await;
    // then the account picker lists both, each linking to the account-specific URL.
    assert!(
        picker.text.contains("data-sandbox-page=\"picker\""),
        "{}",
        picker.text
    );
    assert!(picker
        .text
        .contains(&format!("data-hub-id=\"{DEMO_PRO_HUB_ID}\"")));
    assert!(picker
        .text
        .contains(&format!("data-hub-id=\"{DEMO_STARTER_HUB_ID}\"")));
    let marker = format!("href=\"/oauth/{DEMO_STARTER_HUB_ID}/authorize?");
    let start = picker.text.find(&marker).unwrap() + "href=\"".len();
    let end = start + picker.text[start..].find('"').unwrap();
    let href = html_escape::decode_html_entities(&picker.text[start..end]).to_string();
    // Picking the Starter account leads to its consent page.
    let page = e.get(&e.url(&href)).await;
    assert!(page.text.contains("data-sandbox-page=\"consent\""));
    assert!(page.text.contains("Sprocket Ltd"));
    // A user with a single account skips the picker.
    e.sb.update_switches(|s| s.login_as = Some("robin@acme.example".into()));
    let page = e
        .get(&e.authorize_url("/oauth/authorize", &[("client_id", DEMO_USER_LEVEL_CLIENT_ID)]))
        .await;
    assert!(
        page.text.contains("data-sandbox-page=\"consent\""),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn rule_2_optional_scope_the_portal_lacks_is_dropped_and_not_shown() {
    let e = env().await;
    // Given the Starter portal lacks automation, when the URL asks for it as optional
    let url = e.authorize_url(
        &format!("/oauth/{DEMO_STARTER_HUB_ID}/authorize"),
        &[("optional_scope", "automation crm.objects.deals.read")],
    );
    let page = e.get(&url).await;
    // then it is not on the consent screen and not in the granted scopes.
    assert!(!page.text.contains("automation"), "{}", page.text);
    assert!(page.text.contains("data-scope=\"crm.objects.deals.read\""));
    let location = e.submit_consent(&url, &page.text, "grant").await.location();
    let tokens = e.exchange(&query_value(&location, "code").unwrap()).await.json();
    assert_eq!(
        tokens["scopes"],
        serde_json::json!(["oauth", "crm.objects.contacts.read", "crm.objects.deals.read"])
    );
    assert_eq!(tokens["hub_id"], DEMO_STARTER_HUB_ID);
    // On the Professional portal the same URL keeps automation.
    let url = e.authorize_url(&pro_path(), &[("optional_scope", "automation")]);
    assert!(e.get(&url).await.text.contains("data-scope=\"automation\""));
}

#[tokio::test]
async fn rule_2_auto_grant_redirects_immediately() {
    let e = env().await;
    e.sb.update_switches(|s| s.auto_grant = true);
    let answer = e.get(&e.authorize_url("/oauth/authorize", &[])).await;
    assert_eq!(answer.status, StatusCode::FOUND);
    let location = answer.location();
    assert_eq!(query_value(&location, "state").as_deref(), Some("st-123"));
    assert!(e
        .exchange(&query_value(&location, "code").unwrap())
        .await
        .status
        .is_success());
    // Errors still render pages, never redirects.
    e.get(&e.authorize_url("/oauth/authorize", &[("scope", "oauth")]))
        .await
        .assert_error_page("insufficient_scopes", INSUFFICIENT);
}

#[tokio::test]
async fn rule_2_deny_switch_redirects_access_denied_with_state() {
    let e = env().await;
    e.sb.update_switches(|s| s.deny = true);
    let url = e.authorize_url(&pro_path(), &[]);
    let location = e.consent_flow(&url).await;
    assert!(location.starts_with(REDIRECT));
    assert_eq!(query_value(&location, "error").as_deref(), Some("access_denied"));
    assert!(query_value(&location, "error_description").is_some());
    assert_eq!(query_value(&location, "state").as_deref(), Some("st-123"));
    assert_eq!(query_value(&location, "code"), None);
}

#[tokio::test]
async fn rule_2_cancel_sends_nothing_to_the_app_and_consent_is_single_use() {
    let e = env().await;
    let url = e.authorize_url(&pro_path(), &[]);
    let page = e.get(&url).await;
    // When the user cancels, HubSpot shows a page and sends no request (§1.6).
    let cancelled = e.submit_consent(&url, &page.text, "cancel").await;
    assert_eq!(cancelled.status, StatusCode::OK);
    assert!(cancelled.text.contains("data-sandbox-page=\"cancelled\""));
    assert!(cancelled.headers.get("location").is_none());
    // The same form cannot be used again.
    e.submit_consent(&url, &page.text, "grant")
        .await
        .assert_error_page("consent_expired", "expired or was already used");
}

#[tokio::test]
async fn rule_2_pkce_on_standard_app_is_optional_but_s256_only() {
    let e = env().await;
    let (_, challenge) = pkce();
    for method in ["plain", ""] {
        let url = e.authorize_url(
            &pro_path(),
            &[("code_challenge", &challenge), ("code_challenge_method", method)],
        );
        e.get(&url)
            .await
            .assert_error_page("pkce_invalid", "must be S256");
    }
    let url = e.authorize_url(
        &pro_path(),
        &[("code_challenge", "short"), ("code_challenge_method", "S256")],
    );
    e.get(&url)
        .await
        .assert_error_page("pkce_invalid", "must be S256");
    let url = e.authorize_url(
        &pro_path(),
        &[("code_challenge", &challenge), ("code_challenge_method", "S256")],
    );
    assert!(e.get(&url).await.text.contains("data-sandbox-page=\"consent\""));
}

#[tokio::test]
async fn rule_2_install_blocks_show_governance_aup_and_retired_link_pages() {
    let cases = [
        (
            InstallBlock::GovernanceUnapproved,
            "governance_unapproved",
            "hasn't been approved to access the required scopes [oauth, crm.objects.contacts.read]",
        ),
        (
            InstallBlock::AupUnsigned,
            "aup_unsigned",
            "has not signed the acceptable use policy.",
        ),
        (
            InstallBlock::InstallLinkRetired,
            "install_link_retired",
            "This install link is no longer valid.",
        ),
    ];
    for (block, kind, message) in cases {
        let mut f = Fixture::demo();
        f.apps[0].install_block = Some(block);
        let e = env_with(f).await;
        e.get(&e.authorize_url(&pro_path(), &[]))
            .await
            .assert_error_page(kind, message);
    }
}

#[tokio::test]
async fn rule_2_portal_the_user_is_not_in_is_an_error_page() {
    let e = env().await;
    e.get(&e.authorize_url("/oauth/99999/authorize", &[]))
        .await
        .assert_error_page("unknown_portal", "The account 99999 doesn't exist");
}
