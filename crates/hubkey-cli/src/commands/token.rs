//! `hubkey token`: prints a valid access token and a newline, and nothing else on stdout, so
//! `curl -H "Authorization: Bearer $(hubkey token)"` works. The token is refreshed first when it
//! expires within 5 minutes; the refresher's locks make concurrent runs share one refresh.
//!
//! `--json` prints `{"token", "expires_at", "app", "hub_id"}` instead (still only on stdout;
//! nothing secret ever goes to stderr).

use super::{chosen, context, with_reauth_hint};

use crate::cli::Selection;
use crate::failure::Failure;
use crate::output::Output;
use hubkey_core::ConnectionKey;
use time::OffsetDateTime;

/// `hubkey token --json`. The shape is part of the CLI contract (design.md §4).
#[derive(serde::Serialize)]
struct TokenJson<'a> {
    token: &'a str,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    app: &'a str,
    hub_id: u64,
}

pub async fn run(sel: Selection, out: &mut Output) -> Result<(), Failure> {
    let hubkey = context()?;
    let conn = chosen(&hubkey, sel.app.as_deref(), sel.portal).await?;
    let (app, hub_id) = (conn.app.clone(), conn.hub_id);
    let key = ConnectionKey::new(&app, hub_id);
    let token = hubkey
        .token(&key)
        .await
        .map_err(|e| with_reauth_hint(e, &app, hub_id))?;
    if sel.json {
        // The expiry of the token just handed out: the connection as stored after the refresh.
        let expires_at = hubkey.connection(&key).await?.expires_at;
        out.json(&TokenJson {
            token: token.expose(),
            expires_at,
            app: &app,
            hub_id,
        })?;
    } else {
        out.line(token.expose())?;
    }
    Ok(())
}
