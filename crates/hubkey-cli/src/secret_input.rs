//! Reading the client secret: from stdin when it is piped (`pass hubspot | hubkey app add …`),
//! else from a no-echo prompt on the terminal. Never from argv (see [`crate::cli`]).

use hubkey_core::{ClientSecret, Error, Result};
use std::io::{IsTerminal, Read};

/// The longest client secret accepted on stdin (HubSpot's are UUIDs; this only stops a runaway
/// pipe from being read into memory).
const MAX_STDIN_BYTES: u64 = 16 * 1024;

/// Reads the client secret of `app`.
pub fn read_client_secret(app: &str) -> Result<ClientSecret> {
    let stdin = std::io::stdin();
    let raw = if stdin.is_terminal() {
        rpassword::prompt_password(format!("Client secret for {app} (input hidden): "))
            .map_err(|e| Error::Config(format!("cannot read the client secret from the terminal ({e})")))?
    } else {
        let mut buf = String::new();
        stdin
            .lock()
            .take(MAX_STDIN_BYTES)
            .read_to_string(&mut buf)
            .map_err(|e| Error::Config(format!("cannot read the client secret from stdin ({e})")))?;
        buf
    };
    parse_secret(&raw)
}

/// Trims surrounding whitespace (the newline of `echo`); refuses empty and multi-line input.
pub fn parse_secret(raw: &str) -> Result<ClientSecret> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(Error::Config(
            "no client secret given: pipe it on stdin or type it at the prompt".into(),
        ));
    }
    if value.contains(['\n', '\r']) {
        return Err(Error::Config("the client secret must be a single line".into()));
    }
    Ok(ClientSecret::new(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_piped_input_with_a_newline_when_parsed_then_it_is_trimmed() {
        assert_eq!(parse_secret("abc-123\n").unwrap().expose(), "abc-123");
    }

    #[test]
    fn given_empty_or_multi_line_input_when_parsed_then_it_is_a_config_error() {
        assert_eq!(parse_secret(" \n").unwrap_err().exit_code(), 2);
        assert_eq!(parse_secret("a\nb").unwrap_err().exit_code(), 2);
    }
}
