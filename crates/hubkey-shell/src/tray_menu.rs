//! What the tray menu says, for both desktop processes (the window's, with Tauri's menu, and the tray-only one,
//! with tray-icon's): the menu as data ([`items`]), its wording and ids, and the icon for the connections'
//! health. Linux shows no tooltip, so the first (disabled) item is the status line:
//!
//! ```text
//! 2 connections · next expiry 12:41        (disabled)
//! ─────────
//! Copy token — demo · acme.example
//! Copy token — demo · sprocket.example
//! ─────────
//! Refresh all
//! ☑ Start at login
//! Open Hubkey
//! Quit
//! ```
//!
//! The icon shows the worst state (fresh, attention while a refresh is retrying, re-authorization needed).

use hubkey_core::store::{Connection, ConnectionState};
use time::{OffsetDateTime, UtcOffset};

use crate::localtime;

pub const STATUS_ID: &str = "status";
pub const OPEN_ID: &str = "open";
pub const QUIT_ID: &str = "quit";
pub const REFRESH_ALL_ID: &str = "refresh-all";
pub const COPY_PREFIX: &str = "copy:";
pub const MORE_ID: &str = "more";
pub const START_AT_LOGIN_ID: &str = "start-at-login";
pub const NO_CONNECTIONS: &str = "Hubkey — no connections yet";
pub const OPEN_LABEL: &str = "Open Hubkey";
pub const QUIT_LABEL: &str = "Quit";
pub const REFRESH_ALL_LABEL: &str = "Refresh all";
/// The menu lists at most this many "Copy token" items; the rest are one item that opens the window. A menu
/// of 200 portals is no use to anybody, and the menu is built again whenever a token is refreshed.
pub const MAX_COPY_ITEMS: usize = 15;

/// Orange glyph for Linux and Windows panels (readable on light and dark), with an amber or red dot when
/// something needs attention; macOS gets the black template image, which the menu bar recolours itself.
#[cfg(not(target_os = "macos"))]
const TRAY_PNG: &[u8] = include_bytes!("../../../src-tauri/icons/tray.png");
#[cfg(not(target_os = "macos"))]
const TRAY_ATTENTION_PNG: &[u8] = include_bytes!("../../../src-tauri/icons/tray-attention.png");
#[cfg(not(target_os = "macos"))]
const TRAY_REAUTH_PNG: &[u8] = include_bytes!("../../../src-tauri/icons/tray-reauth.png");
#[cfg(target_os = "macos")]
const TRAY_PNG: &[u8] = include_bytes!("../../../src-tauri/icons/tray-template.png");
#[cfg(target_os = "macos")]
const TRAY_ATTENTION_PNG: &[u8] = TRAY_PNG;
#[cfg(target_os = "macos")]
const TRAY_REAUTH_PNG: &[u8] = TRAY_PNG;

/// Whether the icon is a template image the menu bar recolours (macOS).
pub const ICON_IS_TEMPLATE: bool = cfg!(target_os = "macos");

/// The worst state over all connections, for the icon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Health {
    Fresh,
    Attention,
    NeedsReauth,
}

pub fn health(connections: &[Connection]) -> Health {
    connections
        .iter()
        .map(|c| match c.state {
            ConnectionState::Fresh | ConnectionState::Refreshing => Health::Fresh,
            ConnectionState::Retrying => Health::Attention,
            ConnectionState::NeedsReauth => Health::NeedsReauth,
        })
        .max()
        .unwrap_or(Health::Fresh)
}

/// The status line: "2 connections · next expiry 12:41", "1 needs re-authorization · 3 connections".
pub fn status_line(connections: &[Connection], offset: UtcOffset) -> String {
    let total = connections.len();
    if total == 0 {
        return NO_CONNECTIONS.to_string();
    }
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let reauth = connections
        .iter()
        .filter(|c| c.state == ConnectionState::NeedsReauth)
        .count();
    let retrying = connections
        .iter()
        .filter(|c| c.state == ConnectionState::Retrying)
        .count();
    let mut parts = Vec::new();
    if reauth > 0 {
        parts.push(plural(reauth, "needs re-authorization", "need re-authorization"));
    }
    if retrying > 0 {
        parts.push(format!("{retrying} retrying"));
    }
    if reauth > 0 || retrying > 0 {
        if total > reauth {
            parts.push(plural(total, "connection", "connections"));
        }
    } else {
        parts.push(plural(total, "connection", "connections"));
    }
    let next: Option<OffsetDateTime> = connections
        .iter()
        .filter(|c| c.state != ConnectionState::NeedsReauth)
        .map(|c| c.expires_at)
        .min();
    if let Some(next) = next {
        parts.push(format!("next expiry {}", localtime::hh_mm_at(next, offset)));
    }
    parts.join(" · ")
}

/// "Copy token — demo · acme.example" (the hub id when the domain is unknown).
pub fn copy_label(conn: &Connection) -> String {
    let place = conn
        .hub_domain
        .clone()
        .unwrap_or_else(|| format!("portal {}", conn.hub_id));
    format!("Copy token — {} · {}", conn.app, place)
}

/// The connections that get a "Copy token" item (the first [`MAX_COPY_ITEMS`], in the index's order: by app,
/// then as connected), and how many are left out.
pub fn copy_entries(connections: &[Connection]) -> (&[Connection], usize) {
    let shown = connections.len().min(MAX_COPY_ITEMS);
    (&connections[..shown], connections.len() - shown)
}

/// "12 more connections — open Hubkey".
pub fn more_label(hidden: usize) -> String {
    format!(
        "{hidden} more {} — open Hubkey",
        if hidden == 1 { "connection" } else { "connections" }
    )
}

/// `copy:<hub_id>:<app>` (the app name may contain `:`; the hub id cannot).
pub fn copy_id(conn: &Connection) -> String {
    format!("{COPY_PREFIX}{}:{}", conn.hub_id, conn.app)
}

/// The PNG of the icon for `health`.
pub fn icon_png(health: Health) -> &'static [u8] {
    match health {
        Health::Fresh => TRAY_PNG,
        Health::Attention => TRAY_ATTENTION_PNG,
        Health::NeedsReauth => TRAY_REAUTH_PNG,
    }
}

/// One entry of the menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Separator,
    Action {
        id: String,
        label: String,
        enabled: bool,
    },
    /// A switch with a check mark ("Start at login").
    Check {
        id: String,
        label: String,
        checked: bool,
    },
}

impl Item {
    fn action(id: impl Into<String>, label: impl Into<String>, enabled: bool) -> Self {
        Item::Action {
            id: id.into(),
            label: label.into(),
            enabled,
        }
    }
}

/// The whole menu for `connections` at `now`, times shown at `offset`: the status line (disabled), a "Copy
/// token" item per connection (the first [`MAX_COPY_ITEMS`]; disabled once a connection needing
/// re-authorization has no valid token left), "Refresh all", "Start at login" (checked when on; left out when
/// `start_at_login` is `None`: this install has no entry to switch), "Open Hubkey", "Quit".
pub fn items(
    connections: &[Connection],
    now: OffsetDateTime,
    offset: UtcOffset,
    start_at_login: Option<bool>,
) -> Vec<Item> {
    let mut items = vec![
        Item::action(STATUS_ID, status_line(connections, offset), false),
        Item::Separator,
    ];
    let (listed, hidden) = copy_entries(connections);
    for conn in listed {
        // After a refused refresh the last access token still works until it expires.
        let enabled = conn.state != ConnectionState::NeedsReauth || conn.expires_at > now;
        items.push(Item::action(copy_id(conn), copy_label(conn), enabled));
    }
    if hidden > 0 {
        items.push(Item::action(MORE_ID, more_label(hidden), true));
    }
    if !connections.is_empty() {
        items.push(Item::Separator);
        items.push(Item::action(REFRESH_ALL_ID, REFRESH_ALL_LABEL, true));
    }
    if let Some(checked) = start_at_login {
        items.push(Item::Check {
            id: START_AT_LOGIN_ID.into(),
            label: crate::autostart::LABEL.into(),
            checked,
        });
    }
    items.push(Item::action(OPEN_ID, OPEN_LABEL, true));
    items.push(Item::action(QUIT_ID, QUIT_LABEL, true));
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset};

    fn conn(
        app: &str,
        hub_id: u64,
        domain: Option<&str>,
        state: ConnectionState,
        expires: OffsetDateTime,
    ) -> Connection {
        Connection {
            app: app.into(),
            hub_id,
            hub_domain: domain.map(str::to_string),
            user: None,
            user_id: None,
            app_id: None,
            scopes: vec![],
            requested_scopes: vec![],
            optional_scopes_missing: vec![],
            is_user_level: None,
            installing_user_id: None,
            hublet: None,
            expires_at: expires,
            state,
            state_reason: None,
            token_generation: 1,
            refresh_generation: None,
            access_token_hint: None,
            connected_at: expires,
            last_refreshed_at: None,
        }
    }

    #[test]
    fn status_line_counts_and_names_the_next_expiry() {
        let t1 = datetime!(2026-11-23 10:41 UTC);
        let t2 = datetime!(2026-11-23 11:05 UTC);
        assert_eq!(status_line(&[], UtcOffset::UTC), NO_CONNECTIONS);
        let one = [conn("demo", 1, None, ConnectionState::Fresh, t1)];
        assert_eq!(status_line(&one, offset!(+2)), "1 connection · next expiry 12:41");
        let two = [
            conn("demo", 1, None, ConnectionState::Fresh, t2),
            conn("demo", 2, None, ConnectionState::Refreshing, t1),
        ];
        assert_eq!(
            status_line(&two, UtcOffset::UTC),
            "2 connections · next expiry 10:41"
        );
        assert_eq!(health(&two), Health::Fresh);
    }

    #[test]
    fn status_line_and_icon_put_re_authorization_first() {
        let t = datetime!(2026-11-23 10:41 UTC);
        let only = [conn("demo", 1, None, ConnectionState::NeedsReauth, t)];
        assert_eq!(status_line(&only, UtcOffset::UTC), "1 needs re-authorization");
        assert_eq!(health(&only), Health::NeedsReauth);
        let mixed = [
            conn("demo", 1, None, ConnectionState::NeedsReauth, t),
            conn("demo", 2, None, ConnectionState::Retrying, t),
            conn("demo", 3, None, ConnectionState::Fresh, t),
        ];
        assert_eq!(
            status_line(&mixed, UtcOffset::UTC),
            "1 needs re-authorization · 1 retrying · 3 connections · next expiry 10:41"
        );
        assert_eq!(health(&mixed), Health::NeedsReauth);
        assert_eq!(health(&mixed[1..]), Health::Attention);
    }

    #[test]
    fn copy_items_name_app_and_domain_and_round_trip_their_id() {
        let t = datetime!(2026-11-23 10:41 UTC);
        let c = conn("my:app", 42, Some("acme.example"), ConnectionState::Fresh, t);
        assert_eq!(copy_label(&c), "Copy token — my:app · acme.example");
        // The id TrayAction::from_id parses back (tray_actions.rs).
        assert_eq!(copy_id(&c), "copy:42:my:app");
        let no_domain = conn("demo", 7, None, ConnectionState::Fresh, t);
        assert_eq!(copy_label(&no_domain), "Copy token — demo · portal 7");
    }

    #[test]
    fn given_many_connections_then_the_menu_lists_the_first_fifteen_and_one_item_for_the_rest() {
        let at = datetime!(2026-12-01 12:00 UTC);
        let many: Vec<Connection> = (1..=200)
            .map(|i| conn("demo", i, None, ConnectionState::Fresh, at))
            .collect();
        let (listed, hidden) = copy_entries(&many);
        assert_eq!(listed.len(), MAX_COPY_ITEMS);
        assert_eq!(listed[0].hub_id, 1, "in the index's order");
        assert_eq!(hidden, 185);
        assert_eq!(more_label(hidden), "185 more connections — open Hubkey");
        assert_eq!(more_label(1), "1 more connection — open Hubkey");

        let few = &many[..3];
        assert_eq!(copy_entries(few), (few, 0), "a short list is listed whole");
    }

    #[test]
    fn the_menu_has_status_copy_items_refresh_start_at_login_open_and_quit_in_that_order() {
        let now = datetime!(2026-12-01 12:00 UTC);
        let later = datetime!(2026-12-01 12:25 UTC);
        let conns = [
            conn("demo", 1, Some("acme.example"), ConnectionState::Fresh, later),
            // Re-authorization needed and the last token expired: nothing left to copy.
            conn("demo", 2, None, ConnectionState::NeedsReauth, now),
        ];
        let menu = items(&conns, now, UtcOffset::UTC, Some(true));
        let shown: Vec<(String, bool)> = menu
            .iter()
            .map(|i| match i {
                Item::Separator => ("—".to_string(), true),
                Item::Action { label, enabled, .. } => (label.clone(), *enabled),
                Item::Check { label, checked, .. } => (format!("[{checked}] {label}"), true),
            })
            .collect();
        assert_eq!(
            shown,
            vec![
                (
                    "1 needs re-authorization · 2 connections · next expiry 12:25".to_string(),
                    false
                ),
                ("—".to_string(), true),
                ("Copy token — demo · acme.example".to_string(), true),
                ("Copy token — demo · portal 2".to_string(), false),
                ("—".to_string(), true),
                ("Refresh all".to_string(), true),
                ("[true] Start at login".to_string(), true),
                ("Open Hubkey".to_string(), true),
                ("Quit".to_string(), true),
            ]
        );

        let empty = items(&[], now, UtcOffset::UTC, None);
        assert_eq!(empty.len(), 4, "status, separator, open, quit: {empty:?}");
        let off = items(&[], now, UtcOffset::UTC, Some(false));
        assert_eq!(
            off[2],
            Item::Check {
                id: START_AT_LOGIN_ID.into(),
                label: "Start at login".into(),
                checked: false
            },
            "the switch shows its state: {off:?}"
        );
        assert_eq!(
            icon_png(health(&conns)),
            icon_png(Health::NeedsReauth),
            "the icon shows the worst state"
        );
    }
}
