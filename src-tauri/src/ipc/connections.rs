//! Commands about connections: the cards, copying a token, refreshing now, signing out.

use hubkey_core::view::{ConnectionArgs, ConnectionView, CopyAck, CopyTokenArgs, SignOutArgs, SignOutView};
use hubkey_core::CopyAs;
use tauri::State;

use super::CmdResult;
use crate::host::Host;

/// Every connection, from one read of the index and no keychain call.
#[tauri::command]
pub async fn list_connections(host: State<'_, Host>) -> CmdResult<Vec<ConnectionView>> {
    Ok(host.hubkey().connection_views().await?)
}

/// Puts a valid access token (refreshed first if due) on the clipboard, from Rust. Returns what was done,
/// never the token. The clipboard is cleared later if it still holds the token.
#[tauri::command]
pub async fn copy_token(host: State<'_, Host>, args: CopyTokenArgs) -> CmdResult<CopyAck> {
    let how = CopyAs::from_header_flag(args.as_header);
    Ok(host.copy_token(&args.key(), how).await?)
}

#[tauri::command]
pub async fn refresh_now(host: State<'_, Host>, args: ConnectionArgs) -> CmdResult<ConnectionView> {
    let _busy = host.activity().begin();
    let conn = host.hubkey().refresh(&args.key()).await?;
    Ok(host.hubkey().connection_view(&conn).await)
}

/// Revokes the refresh token at HubSpot (unless `keep_remote`) and deletes the local secrets; a failed
/// revoke is reported, the local deletion happens anyway.
#[tauri::command]
pub async fn sign_out(host: State<'_, Host>, args: SignOutArgs) -> CmdResult<SignOutView> {
    let _busy = host.activity().begin();
    let key = args.key();
    let report = host.hubkey().sign_out(&key, args.keep_remote).await?;
    let now = host.hubkey().clock().now();
    let offset = hubkey_shell::localtime::offset();
    Ok(SignOutView::new(&key, args.keep_remote, report, now, offset))
}
