//! `hubkey refresh`: refreshes a connection now, under the same locks as `token`.

use super::{chosen, context, with_reauth_hint};

use crate::cli::Selection;
use crate::failure::Failure;
use crate::output::Output;
use crate::render;
use hubkey_core::ConnectionKey;
use time::OffsetDateTime;

pub async fn run(sel: Selection, out: &mut Output) -> Result<(), Failure> {
    let hubkey = context()?;
    let chosen = chosen(&hubkey, sel.app.as_deref(), sel.portal).await?;
    let (app, hub_id) = (chosen.app, chosen.hub_id);
    let conn = hubkey
        .refresh(&ConnectionKey::new(&app, hub_id))
        .await
        .map_err(|e| with_reauth_hint(e, &app, hub_id))?;
    if sel.json {
        // `--json`: the connection after the refresh (one `status --json` entry).
        out.json(&conn)?;
        return Ok(());
    }
    out.line(&format!(
        "Refreshed the access token of the app {app} on portal {hub_id}; it expires {} ({}).",
        render::relative(conn.expires_at, OffsetDateTime::now_utc()),
        render::rfc3339(conn.expires_at)
    ))?;
    Ok(())
}
