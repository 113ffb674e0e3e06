//! Which app and which portal a command means (design.md §4): `--app` may be left out when
//! exactly one app exists, `--portal` when the app has exactly one connection. Anything else is a
//! usage error (exit 2) naming the choices, so the user can copy the right flag.
//!
//! Commands that hand out a token (`token`, `refresh`, `headers`, `exec`, `mcp`) choose with
//! [`chosen`], in this order: `--app`/`--portal` flags, then `HUBKEY_APP`/`HUBKEY_PORTAL` (clap
//! reads them as the flags' defaults, so a flag always wins), then the default connection set with
//! `hubkey use` ([`hubkey_core::Hubkey::default_connection`]), then the only choice, else a usage
//! error naming the choices. The default fills only what flags and variables left open: with
//! `--portal 7` and a default on portal 9, the default is not used.
//!
//! Pure functions over the index, so every case is unit-tested without a keychain.

use crate::failure::Failure;
use hubkey_core::app::AppConfig;
use hubkey_core::store::{Connection, Index};
use hubkey_core::{ConnectionKey, Error};

/// The connection a token command means (order in the module docs): `app` and `portal` are the
/// flags, or the variables when no flag was given; `default` is the stored default connection.
pub fn chosen<'a>(
    index: &'a Index,
    app: Option<&str>,
    portal: Option<u64>,
    default: Option<&ConnectionKey>,
) -> Result<&'a Connection, Failure> {
    let default = default.filter(|d| app.is_none_or(|a| a == d.app) && portal.is_none_or(|p| p == d.hub_id));
    let app_name = match (app, default) {
        (Some(a), _) => a,
        (None, Some(d)) => d.app.as_str(),
        (None, None) => self::app(index, None)?.name.as_str(),
    };
    let app_name = self::app(index, Some(app_name))?.name.as_str();
    let portal = portal.or_else(|| default.map(|d| d.hub_id));
    connection(index, app_name, portal)
}

/// The app named `wanted`, or the only app.
pub fn app<'a>(index: &'a Index, wanted: Option<&str>) -> Result<&'a AppConfig, Failure> {
    if let Some(name) = wanted {
        return index.app(name).ok_or_else(|| {
            let names = app_names(index);
            let hint = if names.is_empty() {
                "Add it with `hubkey app add`.".to_string()
            } else {
                format!("Registered apps: {names}.")
            };
            Failure::with_hint(Error::NotFound(format!("no app named {name:?}")), hint)
        });
    }
    match index.apps.as_slice() {
        [] => Err(Failure::with_hint(
            Error::NotFound("no app is registered".into()),
            "Add one with `hubkey app add NAME --client-id … --redirect-uri … --scopes …`.",
        )),
        [only] => Ok(only),
        _ => Err(Failure::with_hint(
            Error::Ambiguous(format!("several apps: {} — pass --app", app_names(index))),
            "",
        )),
    }
}

/// The connection of `app` to `wanted`, or the app's only connection.
pub fn connection<'a>(index: &'a Index, app: &str, wanted: Option<u64>) -> Result<&'a Connection, Failure> {
    let conns: Vec<&Connection> = index.connections.iter().filter(|c| c.app == app).collect();
    if let Some(hub_id) = wanted {
        return conns.iter().find(|c| c.hub_id == hub_id).copied().ok_or_else(|| {
            let hint = if conns.is_empty() {
                format!("Connect it with `hubkey login --app {app} --portal {hub_id}`.")
            } else {
                format!("Connected portals of {app}: {}.", hub_ids(&conns))
            };
            Failure::with_hint(
                Error::NotFound(format!("the app {app} is not connected to portal {hub_id}")),
                hint,
            )
        });
    }
    match conns.as_slice() {
        [] => Err(Failure::with_hint(
            Error::NotSignedIn(format!("the app {app} has no connected portal")),
            format!("Connect one with `hubkey login --app {app}`."),
        )),
        [only] => Ok(only),
        _ => Err(Failure::with_hint(
            Error::Ambiguous(format!(
                "several portals for the app {app}: {} — pass --portal",
                hub_ids(&conns)
            )),
            "",
        )),
    }
}

fn app_names(index: &Index) -> String {
    index
        .apps
        .iter()
        .map(|a| a.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn hub_ids(conns: &[&Connection]) -> String {
    conns
        .iter()
        .map(|c| c.hub_id.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hubkey_core::app::AppKind;
    use time::macros::datetime;

    fn app_named(name: &str) -> AppConfig {
        AppConfig {
            name: name.into(),
            client_id: "id".into(),
            redirect_uri: "http://localhost:3000/cb".into(),
            scopes: vec!["oauth".into()],
            optional_scopes: vec![],
            kind: AppKind::Standard,
            pkce: true,
        }
    }

    fn conn(app: &str, hub_id: u64) -> Connection {
        let at = datetime!(2030-01-01 0:00 UTC);
        Connection {
            token_generation: 1,
            ..Connection::new(app, hub_id, at, at)
        }
    }

    fn index(apps: &[&str], conns: &[(&str, u64)]) -> Index {
        Index {
            apps: apps.iter().map(|a| app_named(a)).collect(),
            connections: conns.iter().map(|(a, h)| conn(a, *h)).collect(),
            ..Index::default()
        }
    }

    #[test]
    fn given_no_app_when_selecting_then_it_is_a_usage_error_pointing_at_app_add() {
        let f = app(&index(&[], &[]), None).unwrap_err();
        assert_eq!(f.exit_code(), 2);
        assert!(f.line().contains("hubkey app add"), "{}", f.line());
    }

    #[test]
    fn given_one_app_when_selecting_without_a_name_then_it_is_chosen() {
        assert_eq!(app(&index(&["a"], &[]), None).unwrap().name, "a");
    }

    #[test]
    fn given_two_apps_when_selecting_without_a_name_then_the_error_names_both() {
        let f = app(&index(&["a", "b"], &[]), None).unwrap_err();
        assert_eq!(f.exit_code(), 2);
        assert_eq!(f.line(), "hubkey: several apps: a, b — pass --app.");
    }

    #[test]
    fn given_an_unknown_app_when_selecting_then_the_registered_ones_are_listed() {
        let f = app(&index(&["a", "b"], &[]), Some("c")).unwrap_err();
        assert_eq!(f.exit_code(), 2);
        assert!(f.line().contains("Registered apps: a, b."), "{}", f.line());
    }

    #[test]
    fn given_portals_when_selecting_then_one_is_chosen_and_several_are_ambiguous() {
        let ix = index(&["a", "b"], &[("a", 1), ("b", 2), ("b", 3)]);
        assert_eq!(connection(&ix, "a", None).unwrap().hub_id, 1);
        assert_eq!(connection(&ix, "b", Some(3)).unwrap().hub_id, 3);
        let f = connection(&ix, "b", None).unwrap_err();
        assert_eq!(f.exit_code(), 2);
        assert_eq!(
            f.line(),
            "hubkey: several portals for the app b: 2, 3 — pass --portal."
        );
        assert_eq!(connection(&ix, "b", Some(9)).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn given_a_default_when_choosing_without_flags_then_it_is_used_and_flags_still_win() {
        let ix = index(&["a", "b"], &[("a", 1), ("b", 2), ("b", 3)]);
        let d = ConnectionKey::new("b", 3);
        assert!(chosen(&ix, None, None, Some(&d)).unwrap().is("b", 3));
        assert!(chosen(&ix, Some("a"), None, Some(&d)).unwrap().is("a", 1));
        assert!(chosen(&ix, Some("b"), Some(2), Some(&d)).unwrap().is("b", 2));
        // A portal of another app than the default's: the default is set aside entirely.
        assert_eq!(chosen(&ix, None, Some(1), Some(&d)).unwrap_err().exit_code(), 2);
        assert!(chosen(&ix, Some("a"), Some(1), None).unwrap().is("a", 1));
        let f = chosen(&ix, None, None, None).unwrap_err();
        assert_eq!(f.line(), "hubkey: several apps: a, b — pass --app.");
    }

    #[test]
    fn given_an_app_without_connections_when_selecting_then_login_is_needed() {
        let f = connection(&index(&["a"], &[]), "a", None).unwrap_err();
        assert_eq!(f.exit_code(), 3);
        assert!(f.line().contains("hubkey login --app a"), "{}", f.line());
    }
}
