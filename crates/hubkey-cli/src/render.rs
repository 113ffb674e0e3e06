//! Human-readable output: the `status` table, the summary after `login`, relative times.
//! Machine-readable output is the serde form of the core types (`--json`), never this.

use hubkey_core::app::{AppConfig, AppKind};
use hubkey_core::store::{Connection, ConnectionState};
use time::OffsetDateTime;

/// `in 29 min`, `in 2 h 5 min`, `in 40 s`, `expired 3 min ago`.
pub fn relative(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let secs = (at - now).whole_seconds();
    if secs >= 0 {
        format!("in {}", span(secs.unsigned_abs()))
    } else {
        format!("expired {} ago", span(secs.unsigned_abs()))
    }
}

/// `40 s`, `29 min`, `2 h 5 min`.
pub fn span(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min", secs / 60),
        _ if secs % 3600 / 60 == 0 => format!("{} h", secs / 3600),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// RFC 3339 to the second (for people; `--json` keeps full precision), or the debug form if
/// formatting ever fails.
pub fn rfc3339(at: OffsetDateTime) -> String {
    hubkey_core::text::rfc3339(at)
}

pub fn state(s: ConnectionState) -> &'static str {
    match s {
        ConnectionState::Fresh => "fresh",
        ConnectionState::Refreshing => "refreshing",
        ConnectionState::Retrying => "retrying",
        ConnectionState::NeedsReauth => "needs_reauth",
    }
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

fn or_dash(v: Option<&str>) -> String {
    v.filter(|s| !s.is_empty()).unwrap_or("-").to_string()
}

/// The summary printed after `login` (and `refresh`).
/// The stderr line after a login: which portal and user were connected, and how to undo it (a
/// connection the user did not make, docs/SECURITY.md finding 1, is noticed and removed at once).
pub fn connected_line(c: &Connection) -> String {
    let portal = match c.hub_domain.as_deref() {
        Some(domain) => format!("{domain} (portal {})", c.hub_id),
        None => format!("portal {}", c.hub_id),
    };
    let user = match (c.user.as_deref(), c.user_id) {
        (Some(u), _) => u.to_string(),
        (None, Some(id)) => format!("user id {id}"),
        (None, None) => "an unknown user".into(),
    };
    format!(
        "Connected {portal} as {user}. Not the account you meant? Undo it: hubkey logout --app {} --portal {}",
        c.app, c.hub_id
    )
}

pub fn connection_summary(c: &Connection, now: OffsetDateTime) -> Vec<String> {
    let mut lines = vec![format!(
        "Connected portal {} ({}) to the app {}.",
        c.hub_id,
        or_dash(c.hub_domain.as_deref()),
        c.app
    )];
    let user = match (c.user.as_deref(), c.user_id) {
        (Some(u), Some(id)) => format!("{u} (user id {id})"),
        (Some(u), None) => u.to_string(),
        (None, Some(id)) => format!("user id {id}"),
        (None, None) => "-".into(),
    };
    lines.push(format!("  user:            {user}"));
    lines.push(format!("  scopes granted:  {}", join_or_dash(&c.scopes)));
    if !c.optional_scopes_missing.is_empty() {
        lines.push(format!(
            "  scopes missing:  {} (optional; not granted by this portal or user)",
            c.optional_scopes_missing.join(" ")
        ));
    }
    lines.push(format!("  user-level:      {}", yes_no(c.is_user_level)));
    if let Some(hublet) = c.hublet.as_deref() {
        lines.push(format!("  data centre:     {hublet}"));
    }
    lines.push(format!(
        "  token expires:   {} ({})",
        relative(c.expires_at, now),
        rfc3339(c.expires_at)
    ));
    if c.state != ConnectionState::Fresh {
        let reason = c
            .state_reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        lines.push(format!("  state:           {}{reason}", state(c.state)));
    }
    lines
}

fn join_or_dash(v: &[String]) -> String {
    if v.is_empty() {
        "-".into()
    } else {
        v.join(" ")
    }
}

/// The `status` table.
pub fn status_table(conns: &[Connection], now: OffsetDateTime) -> Vec<String> {
    let header = [
        "APP",
        "PORTAL",
        "DOMAIN",
        "USER",
        "USER-LEVEL",
        "STATE",
        "EXPIRES",
        "SCOPES",
    ];
    let rows: Vec<Vec<String>> = conns
        .iter()
        .map(|c| {
            let scopes = if c.optional_scopes_missing.is_empty() {
                format!("{} granted", c.scopes.len())
            } else {
                format!(
                    "{} granted, missing {}",
                    c.scopes.len(),
                    c.optional_scopes_missing.join(" ")
                )
            };
            vec![
                c.app.clone(),
                c.hub_id.to_string(),
                or_dash(c.hub_domain.as_deref()),
                or_dash(c.user.as_deref()),
                yes_no(c.is_user_level).to_string(),
                state(c.state).to_string(),
                relative(c.expires_at, now),
                scopes,
            ]
        })
        .collect();
    table(&header, &rows)
}

/// The `app list` table.
pub fn apps_table(apps: &[AppConfig]) -> Vec<String> {
    let header = [
        "NAME",
        "KIND",
        "CLIENT ID",
        "REDIRECT URL",
        "SCOPES",
        "OPTIONAL SCOPES",
    ];
    let rows: Vec<Vec<String>> = apps
        .iter()
        .map(|a| {
            vec![
                a.name.clone(),
                match a.kind {
                    AppKind::Standard => "standard".into(),
                    AppKind::Mcp => "mcp".into(),
                },
                a.client_id.clone(),
                a.redirect_uri.clone(),
                join_or_dash(&a.scopes),
                join_or_dash(&a.optional_scopes),
            ]
        })
        .collect();
    table(&header, &rows)
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
fn table(header: &[&str], rows: &[Vec<String>]) -> Vec<String> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let fmt_row = |cells: Vec<&str>| -> String {
        let last = cells.len().saturating_sub(1);
        let mut line = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            line.push_str(cell);
            if i < last {
                line.push_str(&" ".repeat(w.saturating_sub(cell.chars().count()) + 2));
            }
        }
        line
    };
    let mut out = vec![fmt_row(header.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| fmt_row(r.iter().map(String::as_str).collect())),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn given_times_around_now_when_rendered_relative_then_units_fit() {
        let now = datetime!(2030-01-01 0:00 UTC);
        assert_eq!(relative(now + time::Duration::seconds(40), now), "in 40 s");
        assert_eq!(relative(now + time::Duration::minutes(29), now), "in 29 min");
        assert_eq!(relative(now + time::Duration::minutes(125), now), "in 2 h 5 min");
        assert_eq!(relative(now + time::Duration::hours(3), now), "in 3 h");
        assert_eq!(
            relative(now - time::Duration::minutes(3), now),
            "expired 3 min ago"
        );
    }

    #[test]
    fn given_a_time_with_nanoseconds_when_formatted_for_people_then_seconds_suffice() {
        assert_eq!(
            rfc3339(datetime!(2030-01-01 10:30:05.123456789 UTC)),
            "2030-01-01T10:30:05Z"
        );
    }

    #[test]
    fn given_a_connection_with_a_hublet_when_summarised_then_the_data_centre_is_a_line_and_absent_without_one(
    ) {
        let mut c: Connection = serde_json::from_value(serde_json::json!({
            "app": "demo", "hub_id": 13572468, "scopes": ["oauth"], "hublet": "eu1",
            "expires_at": "2030-01-01T00:30:00Z", "connected_at": "2030-01-01T00:00:00Z",
            "state": "fresh", "token_generation": 1
        }))
        .unwrap();
        let now = datetime!(2030-01-01 0:00 UTC);
        assert!(connection_summary(&c, now).contains(&"  data centre:     eu1".to_owned()));
        c.hublet = None;
        assert!(!connection_summary(&c, now)
            .iter()
            .any(|l| l.contains("data centre")));
    }

    #[test]
    fn given_rows_when_tabulated_then_columns_align() {
        let t = table(
            &["A", "B"],
            &[vec!["long".into(), "x".into()], vec!["s".into(), "y".into()]],
        );
        assert_eq!(t, vec!["A     B", "long  x", "s     y"]);
    }
}
