//! `hubkey headers`: the HTTP header that authenticates as the connection, for programs that run
//! a command to get their headers: Claude Code's `headersHelper` and Codex's
//! `http_headers_helper` run it for every connection to HubSpot's MCP server.
//!
//! `--json` prints exactly `{"Authorization":"Bearer <token>"}` (what both helpers read);
//! without it, `Authorization: Bearer <token>` (a header line, e.g. for `curl -H @-`). The token
//! is refreshed first when due, under the same locks as `hubkey token`. Everything else on
//! stdout would break the helper, so there is nothing else; errors are one line on stderr, with
//! `hubkey token`'s exit codes (3: reconnect the portal). Settings come as flags too, because
//! Claude Code drops every `HUBKEY_*` variable ([`super::fresh`]).

use super::fresh::{resolve, valid_token};
use crate::cli::HeadersArgs;
use crate::failure::Failure;
use crate::output::Output;
use hubkey_core::Error;

pub async fn run(args: HeadersArgs, out: &mut Output) -> Result<(), Failure> {
    let resolved = resolve(&args.target).await?;
    let token = valid_token(&resolved).await?;
    let value = format!("Bearer {}", token.expose());
    if args.json {
        let mut headers = serde_json::Map::new();
        headers.insert("Authorization".to_owned(), serde_json::Value::String(value));
        let line = serde_json::to_string(&headers)
            .map_err(|e| Failure::from(Error::Io(format!("cannot encode the header as JSON: {e}"))))?;
        out.line(&line)?;
    } else {
        out.line(&format!("Authorization: {value}"))?;
    }
    Ok(())
}
