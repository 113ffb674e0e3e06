//! Opening HubSpot's authorize page in the user's browser (never a webview: RFC 8252 §8.12): the
//! one `$BROWSER` parser and the one check of what may reach a browser, for the CLI and the desktop
//! app.
//!
//! `BROWSER` wins when set, read the way xdg-utils and Python's `webbrowser` read it: a list of
//! commands separated by `:` (on Windows `;`), each split on whitespace; `%s` is replaced by the
//! URL, or the URL is appended as the last argument. The first command that starts is used. The
//! end-to-end tests use this to hand the URL to a headless browser. Otherwise the desktop's
//! opener: `xdg-open` (Linux, BSD), `open` (macOS), `rundll32 url.dll,FileProtocolHandler`
//! (Windows; unlike `cmd /c start` it does not reinterpret `&` in the URL).
//!
//! [`check_browser_url`] refuses anything but https (or http on a loopback host, the sandbox)
//! before a launch page is written for it (threat-model.md C12).
//!
//! Both front ends pass a launch page's `file://` URL here, never HubSpot's authorize URL, which
//! carries the login's `state` and would be readable in `/proc/PID/cmdline` (hubkey-core's `launch`).
//! No shell is involved: the URL is one argv element. The browser's own output goes to
//! `/dev/null`, so it cannot mix with `hubkey`'s stdout. We do not wait for the browser (a
//! browser started fresh runs until closed); a thread reaps it. Failing to open is not fatal:
//! the caller prints the URL for the user to open.

use crate::config::is_loopback_host;
use crate::error::{Error, Result};
use std::process::{Command, Stdio};
use url::Url;

/// Only `https`, or `http` on a loopback host (the sandbox), reaches the browser (threat-model.md C12).
pub fn check_browser_url(url: &Url) -> Result<()> {
    let ok = match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback_host(url),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::UnsafeUrl {
            url: format!("{}://{}", url.scheme(), url.host_str().unwrap_or("")),
            reason: "only https (or http on localhost) pages are opened in the browser".into(),
        })
    }
}

/// `$BROWSER`, when it is set and not blank.
pub fn browser_env() -> Option<String> {
    std::env::var("BROWSER").ok().filter(|b| !b.trim().is_empty())
}

/// Opens `url` with `$BROWSER`, else the platform's opener; `Err` says why it could not.
pub fn open(url: &str) -> std::result::Result<(), String> {
    match browser_env() {
        Some(spec) => open_with_browser_env(&spec, url).map(|_| ()),
        None => spawn_first(vec![system_opener(url)]).map(|_| ()),
    }
}

/// Opens `url` with the first command of the `$BROWSER` value `spec` that starts; returns its
/// program name (for a log line: it holds no URL).
pub fn open_with_browser_env(spec: &str, url: &str) -> std::result::Result<String, String> {
    spawn_first(from_browser_env(spec, url))
}

/// Starts the first of `candidates` (argv lists) that starts; a thread reaps it.
fn spawn_first(candidates: Vec<Vec<String>>) -> std::result::Result<String, String> {
    let mut last = String::from("no browser command configured");
    for argv in candidates {
        let Some((program, args)) = argv.split_first() else {
            continue;
        };
        match Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(mut child) => {
                let _ = std::thread::Builder::new()
                    .name("hubkey-browser".into())
                    .spawn(move || child.wait());
                return Ok(program.clone());
            }
            Err(e) => last = format!("{program}: {e}"),
        }
    }
    Err(last)
}

/// The commands listed in a `BROWSER` value, each as argv with the URL in place.
pub fn from_browser_env(spec: &str, url: &str) -> Vec<Vec<String>> {
    let separator = if cfg!(windows) { ';' } else { ':' };
    spec.split(separator)
        .map(|cmd| {
            let mut argv: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
            if argv.iter().any(|a| a.contains("%s")) {
                for a in &mut argv {
                    *a = a.replace("%s", url);
                }
            } else if !argv.is_empty() {
                argv.push(url.to_string());
            }
            argv
        })
        .filter(|argv| !argv.is_empty())
        .collect()
}

/// The platform's "open this URL" command.
fn system_opener(url: &str) -> Vec<String> {
    let mut argv: Vec<String> = if cfg!(target_os = "macos") {
        vec!["open".into()]
    } else if cfg!(windows) {
        vec!["rundll32".into(), "url.dll,FileProtocolHandler".into()]
    } else {
        vec!["xdg-open".into()]
    };
    argv.push(url.to_string());
    argv
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "http://127.0.0.1:1/oauth/authorize?client_id=x&state=y";

    #[test]
    fn given_a_plain_browser_command_when_parsed_then_the_url_is_appended() {
        assert_eq!(
            from_browser_env("firefox --new-window", URL),
            vec![vec!["firefox".to_string(), "--new-window".into(), URL.into()]]
        );
    }

    #[test]
    #[cfg(not(windows))]
    fn given_a_list_with_placeholders_when_parsed_then_each_command_gets_the_url_in_place() {
        let got = from_browser_env("chromium --headless %s:w3m", URL);
        assert_eq!(
            got[0],
            vec!["chromium".to_string(), "--headless".into(), URL.into()]
        );
        assert_eq!(got[1], vec!["w3m".to_string(), URL.into()]);
    }

    #[test]
    fn given_empty_entries_when_parsed_then_they_are_skipped() {
        assert!(from_browser_env("  ", URL).is_empty());
    }

    #[test]
    fn browser_env_var_forms() {
        let url = "https://app.hubspot.com/oauth/authorize?x=1";
        let first = |spec: &str| from_browser_env(spec, url).into_iter().next();
        assert_eq!(first("  "), None);
        assert_eq!(
            first("/tmp/fake-browser.sh"),
            Some(vec!["/tmp/fake-browser.sh".to_string(), url.to_string()])
        );
        assert_eq!(
            first("chromium --headless %s"),
            Some(vec!["chromium".to_string(), "--headless".into(), url.to_string()])
        );
        if !cfg!(windows) {
            assert_eq!(
                first(":firefox:chromium").map(|c| c[0].clone()),
                Some("firefox".to_string())
            );
        }
    }

    #[test]
    fn c12_only_web_pages_reach_the_browser() {
        for ok in [
            "https://app.hubspot.com/oauth/authorize",
            "http://localhost:4010/oauth/authorize",
            "http://127.0.0.1:4010/x",
        ] {
            assert!(check_browser_url(&Url::parse(ok).unwrap()).is_ok(), "{ok}");
        }
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "http://evil.example/",
            "hubkey://oauth/callback",
        ] {
            let err = check_browser_url(&Url::parse(bad).unwrap()).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::UnsafeUrl, "{bad}");
        }
    }
}
