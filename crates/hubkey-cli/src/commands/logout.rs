//! `hubkey logout`: revokes the refresh token at HubSpot (unless `--keep-remote`), then deletes
//! the local secrets and the index entry (threat-model.md T15).
//!
//! A failed revoke does not stop the local deletion. It is reported as one warning line on
//! stderr and the exit code stays 0: what the user asked for locally is done, and a retry could
//! not help (the connection, and with it the refresh token, is gone from this machine). The
//! warning says how to cut access at HubSpot instead (uninstall the app from the portal).
//! Revocation never shortens the current access token's life: the output says until when it
//! stays valid.

use super::context;
use crate::cli::LogoutArgs;
use crate::failure::Failure;
use crate::output::Output;
use crate::{render, select};
use hubkey_core::ConnectionKey;
use time::OffsetDateTime;

pub async fn run(args: LogoutArgs, out: &mut Output) -> Result<(), Failure> {
    let hubkey = context()?;
    let index = hubkey.store().index().await?;
    let app = select::app(&index, args.app.as_deref())?.name.clone();
    let hub_id = select::connection(&index, &app, Some(args.portal))?.hub_id;
    let report = hubkey
        .sign_out(&ConnectionKey::new(&app, hub_id), args.keep_remote)
        .await?;
    if args.json {
        out.json(&serde_json::json!({
            "app": app,
            "hub_id": hub_id,
            "revoked": report.revoked,
            "already_invalid": report.already_invalid,
            "kept_remote": args.keep_remote,
            "access_token_valid_until": report.access_token_valid_until.map(render::rfc3339),
            "revoke_error": report.revoke_error.as_ref().map(|e| e.to_string()),
        }))?;
        return Ok(());
    }
    let remote = if args.keep_remote {
        "the refresh token was kept at HubSpot (--keep-remote)"
    } else if report.already_invalid {
        "HubSpot no longer accepted the refresh token (already revoked or invalid), so it is dead"
    } else if report.revoked {
        "the refresh token was revoked at HubSpot"
    } else {
        "the refresh token could NOT be revoked at HubSpot"
    };
    out.line(&format!(
        "Logged out of portal {hub_id} (app {app}): local tokens deleted; {remote}."
    ))?;
    if let Some(until) = report.access_token_valid_until {
        let now = OffsetDateTime::now_utc();
        if until > now {
            out.line(&format!(
                "The last access token stays valid until {} ({}); HubSpot cannot revoke it early.",
                render::rfc3339(until),
                render::relative(until, now)
            ))?;
        }
    }
    if let Some(e) = report.revoke_error {
        out.note(&format!(
            "hubkey: warning: revoking the refresh token at HubSpot failed ({e}); the local tokens were deleted anyway. To cut access now, uninstall the app from portal {hub_id} in HubSpot (Settings → Integrations → Connected apps)."
        ));
    }
    Ok(())
}
