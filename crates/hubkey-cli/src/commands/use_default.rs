//! `hubkey use [--app A] [--portal P] [--json]`: sets the default connection, or prints it.
//!
//! With a flag, the connection is chosen as `login`/`logout` choose (either flag may be left out
//! when there is only one choice; no variable and no old default take part) and stored in the
//! index through [`hubkey_core::Hubkey::set_default_connection`] (one atomic index write). Without
//! flags it prints the current default, or says there is none (exit 0 either way).

use super::context;
use crate::cli::UseArgs;
use crate::failure::Failure;
use crate::output::Output;
use crate::select;
use hubkey_core::ConnectionKey;

/// `{"default": {"app", "hub_id"}}`, `null` when no default is set.
#[derive(serde::Serialize)]
struct UseJson<'a> {
    default: Option<&'a ConnectionKey>,
}

pub async fn run(args: UseArgs, out: &mut Output) -> Result<(), Failure> {
    let hubkey = context()?;
    let current = if args.app.is_none() && args.portal.is_none() {
        hubkey.default_connection().await?
    } else {
        let index = hubkey.store().index().await?;
        let app = select::app(&index, args.app.as_deref())?.name.clone();
        let key = select::connection(&index, &app, args.portal)?.key();
        hubkey.set_default_connection(&key).await?;
        Some(key)
    };
    if args.json {
        out.json(&UseJson {
            default: current.as_ref(),
        })?;
    } else {
        match &current {
            Some(k) => out.line(&format!(
                "The default connection is the app {} on portal {} (HUBKEY_APP, HUBKEY_PORTAL and flags still win).",
                k.app, k.hub_id
            ))?,
            None => out.line("No default connection. Set one with `hubkey use --app NAME --portal HUB_ID`.")?,
        }
    }
    Ok(())
}
