//! §9 point 1: the fixture.

use hubspot_sandbox::{AppKind, Fixture, Sandbox, SandboxError, DEMO_PRO_HUB_ID, DEMO_STARTER_HUB_ID};

const DEMO_JSON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo.json");

#[test]
fn rule_1_demo_json_matches_fixture_demo() {
    // Given the shipped fixtures/demo.json (regenerate with UPDATE_DEMO_FIXTURE=1)
    let expected = serde_json::to_string_pretty(&Fixture::demo()).unwrap() + "\n";
    if std::env::var_os("UPDATE_DEMO_FIXTURE").is_some() {
        std::fs::write(DEMO_JSON, &expected).unwrap();
    }
    // When it is loaded, then it equals Fixture::demo(), field for field and byte for byte.
    assert_eq!(Fixture::from_json_file(DEMO_JSON).unwrap(), Fixture::demo());
    assert_eq!(std::fs::read_to_string(DEMO_JSON).unwrap(), expected);
}

#[test]
fn rule_1_demo_fixture_has_the_apps_portals_and_users_tests_rely_on() {
    let f = Fixture::demo();
    let standard = &f.apps[0];
    assert_eq!(standard.kind, AppKind::Standard);
    assert_eq!(standard.client_id.len(), 36);
    assert_eq!(standard.required_scopes, ["oauth", "crm.objects.contacts.read"]);
    assert!(standard.optional_scopes.contains(&"automation".to_owned()));
    assert!(standard
        .redirect_urls
        .contains(&"http://localhost:3000/oauth-callback".to_owned()));
    assert!(standard
        .redirect_urls
        .contains(&"http://localhost:53682/callback".to_owned()));
    assert!(standard.redirect_urls.iter().any(|u| u.starts_with("https://")));
    let mcp = f.apps.iter().find(|a| a.kind == AppKind::Mcp).unwrap();
    assert!(mcp.is_user_level);
    assert_eq!(mcp.redirect_urls, ["http://localhost:53683/callback"]);
    assert!(f
        .apps
        .iter()
        .any(|a| a.kind == AppKind::Standard && a.is_user_level));
    // Two tiers: the Starter portal lacks automation; both lack Enterprise custom objects.
    let pro = f.portal(DEMO_PRO_HUB_ID).unwrap();
    let starter = f.portal(DEMO_STARTER_HUB_ID).unwrap();
    assert!(!pro.unavailable_scopes.contains(&"automation".to_owned()));
    assert!(starter.unavailable_scopes.contains(&"automation".to_owned()));
    assert!(pro
        .unavailable_scopes
        .contains(&"crm.objects.custom.read".to_owned()));
    assert!(pro.users.iter().any(|u| u.super_admin));
    assert!(pro.users.iter().any(|u| !u.can_install()));
}

#[tokio::test]
async fn rule_1_fixture_with_unknown_scope_name_or_bad_client_id_is_refused_at_start() {
    let mut f = Fixture::demo();
    f.apps[0].required_scopes.push("crm.objects.unicorns.read".into());
    assert!(matches!(
        Sandbox::start(f).await,
        Err(SandboxError::InvalidFixture(_))
    ));
    let mut f = Fixture::demo();
    f.apps[1].client_id = "not-a-uuid".into();
    assert!(matches!(
        Sandbox::start(f).await,
        Err(SandboxError::InvalidFixture(_))
    ));
}

#[test]
fn rule_1_from_json_file_reports_missing_and_malformed_files() {
    let dir = std::env::temp_dir().join(format!("hubspot-sandbox-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"apps\": 3}").unwrap();
    assert!(matches!(
        Fixture::from_json_file(&bad),
        Err(SandboxError::FixtureJson { .. })
    ));
    assert!(matches!(
        Fixture::from_json_file(dir.join("missing.json")),
        Err(SandboxError::FixtureIo { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}
