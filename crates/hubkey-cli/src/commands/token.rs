//! `hubkey token`: prints a valid access token and a newline, and nothing else on stdout, so
//! `curl -H "Authorization: Bearer $(hubkey token)"` works. The token is refreshed first when it
//! expires within 5 minutes; the refresher's locks make concurrent runs share one refresh.

use super::{context, with_reauth_hint};

use crate::cli::Selection;
use crate::failure::Failure;
use crate::output::Output;
use crate::select;
use hubkey_core::ConnectionKey;

pub async fn run(sel: Selection, out: &mut Output) -> Result<(), Failure> {
    let hubkey = context()?;
    let index = hubkey.store().index().await?;
    let app = select::app(&index, sel.app.as_deref())?.name.clone();
    let hub_id = select::connection(&index, &app, sel.portal)?.hub_id;
    let token = hubkey
        .token(&ConnectionKey::new(&app, hub_id))
        .await
        .map_err(|e| with_reauth_hint(e, &app, hub_id))?;
    out.line(token.expose())?;
    Ok(())
}
