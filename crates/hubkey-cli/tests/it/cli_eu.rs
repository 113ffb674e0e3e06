//! Issue 13, point 7, at the command line: the EU portal's data centre (`hublet`, from
//! introspection) in `status --json` and `login --json` (the summary line: render.rs tests). The sandbox's EU portal
//! (`hublet: eu1`) plays HubSpot's EU data centre. Run under `scripts/with-keyring.sh`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::cli_support;

use cli_support::{World, STARTER};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_the_eu_portal_when_connected_then_login_and_status_json_show_hublet_eu1() {
    let w = World::start().await;
    w.add_app().await;
    w.sandbox
        .update_switches(|s| s.login_as = Some(hubspot_sandbox::DEMO_EU_USER.to_owned()));

    let (login, _) = w.login(&[]).await;
    let conn = login.json();
    assert_eq!(conn["hub_id"], STARTER);
    assert_eq!(conn["hublet"], "eu1");

    let status = w.connections().await;
    assert_eq!(status[0]["hublet"], "eu1");
    // Every field the status entries had before is still there.
    for field in [
        "app",
        "hub_id",
        "hub_domain",
        "user",
        "scopes",
        "is_user_level",
        "expires_at",
        "state",
    ] {
        assert!(status[0].get(field).is_some(), "{field}");
    }

    w.cleanup().await;
}
