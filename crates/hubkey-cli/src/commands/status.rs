//! `hubkey status [--json]`: every connection from the index. Reads no secret, so it works while
//! the keychain is locked.
//!
//! Exit code 1 when any connection needs re-authorization, after printing everything (as `gh auth
//! status` does), so `hubkey status || notify` works in a script; 0 otherwise.

use super::context;
use crate::failure::Failure;
use crate::output::Output;
use crate::render;
use hubkey_core::store::{Connection, ConnectionState};
use time::OffsetDateTime;

/// `{"connections": [...]}`; each entry is a [`Connection`] as stored (design.md §4 fields and a
/// few more: requested scopes, installing user, state reason, timestamps).
#[derive(serde::Serialize)]
struct StatusJson<'a> {
    connections: &'a [Connection],
}

pub async fn run(json: bool, out: &mut Output) -> Result<(), Failure> {
    let connections = context()?.connections().await?;
    if json {
        out.json(&StatusJson {
            connections: &connections,
        })?;
    } else if connections.is_empty() {
        out.line("No connections. Register an app with `hubkey app add`, then connect a portal with `hubkey login`.")?;
    } else {
        for line in render::status_table(&connections, OffsetDateTime::now_utc()) {
            out.line(&line)?;
        }
    }
    let stale: Vec<String> = connections
        .iter()
        .filter(|c| c.state == ConnectionState::NeedsReauth)
        .map(|c| format!("`hubkey login --app {} --portal {}`", c.app, c.hub_id))
        .collect();
    if stale.is_empty() {
        return Ok(());
    }
    Err(Failure::reported(
        1,
        vec![format!(
            "hubkey: {} connection(s) need re-authorization: {}.",
            stale.len(),
            stale.join(", ")
        )],
    ))
}
