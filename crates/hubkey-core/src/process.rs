//! What a Hubkey process does to itself to protect the secrets it holds (issue 18, point 6). Every Hubkey
//! program holds tokens, client secrets or codes in memory at times, so each calls [`make_not_dumpable`] and
//! [`withhold_panic_messages`] first in its `main`: `hubkey` always, `hubkey-desktop` and `hubkey-tray` through
//! hubkey-shell's `process`, which adds their opt-out for profilers and the benchmarks.
//!
//! A panic's message is whatever its format string held, and Rust's default hook prints it on stderr: an
//! `expect` on a parsed token response or a `panic!("{token}")` would put a secret there, into a terminal's
//! scrollback, a CI log or a bug report. So a Hubkey panic says only where it happened ([`PanicReport`]); the
//! desktop programs' log hook (hubkey-shell's `logging`) writes the same to the log file.

use std::backtrace::Backtrace;
use std::fmt;
use std::io::Write;
use std::panic::PanicHookInfo;

/// Makes this process not dumpable (Linux's `PR_SET_DUMPABLE`): a crash leaves no core file holding its
/// secrets, and other processes of the user can neither attach with ptrace nor read its memory or environment
/// through `/proc`. The kernel resets the flag at every exec, so a child (`hubkey exec`'s) is dumpable again, and
/// a program that replaces itself by exec must call this again. Returns whether the process is now not
/// dumpable; a failure (a seccomp filter, an old kernel) is not worth stopping for, this being defence in depth.
/// Does nothing (and returns false) off Linux.
pub fn make_not_dumpable() -> bool {
    #[cfg(target_os = "linux")]
    {
        nix::sys::prctl::set_dumpable(false).is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// Where a withheld panic asks to be reported.
pub const ISSUES_URL: &str = "https://github.com/hubkey/hubkey/issues";

/// Replaces the panic hook with one that prints a single line on stderr, `{program}: internal error at
/// FILE:LINE:COL (the panic's message is withheld: …). Please report this at …` ([`PanicReport`]), never the
/// panic's message; with `RUST_BACKTRACE` set (and not `0`), the backtrace follows, as Rust's own hook does
/// (its frames are function names and source lines, no data). A panic still unwinds and, on the main thread,
/// ends the program with exit code 101.
pub fn withhold_panic_messages(program: &'static str) {
    std::panic::set_hook(Box::new(move |info| {
        // Not eprintln!: it panics when stderr is closed, and a panic inside the hook aborts.
        let _ = writeln!(std::io::stderr().lock(), "{program}: {}", PanicReport::of(info));
    }));
}

/// What a panic hook may show of a panic: where it happened, and the backtrace when `RUST_BACKTRACE` asks for
/// one. Its `Display` is the text after the program's name in [`withhold_panic_messages`]'s line.
#[derive(Debug)]
pub struct PanicReport {
    location: Option<String>,
    backtrace: Option<Backtrace>,
}

impl PanicReport {
    /// The report of the panic a hook was given. The panic's payload is not read.
    pub fn of(info: &PanicHookInfo<'_>) -> Self {
        let wanted = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
        Self {
            location: info.location().map(ToString::to_string),
            backtrace: wanted.then(Backtrace::force_capture),
        }
    }
}

impl fmt::Display for PanicReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "internal error at {} (the panic's message is withheld: it could hold a secret). Please report this at {ISSUES_URL}",
            self.location.as_deref().unwrap_or("an unknown place")
        )?;
        if let Some(backtrace) = &self.backtrace {
            write!(f, "\nstack backtrace:\n{backtrace}")?;
        }
        Ok(())
    }
}

/// What to say of a task that ended without its answer. Never the `JoinError` itself: tokio's `Display` and
/// `Debug` of a panicked task's error include the panic's message, which [`withhold_panic_messages`] withholds.
pub fn task_failure(error: &tokio::task::JoinError) -> &'static str {
    if error.is_panic() {
        "it panicked (its message is withheld)"
    } else {
        "it was cancelled"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Set in the child process a test starts: the secret the child's panic carries.
    const CHILD_SECRET: &str = "HUBKEY_TEST_PANIC_SECRET";

    /// Runs the test `name` of this module again, in a child process (this test binary, under libtest or
    /// cargo-nextest alike), with `secret` in [`CHILD_SECRET`] and `RUST_BACKTRACE` as given.
    fn rerun_as_child(name: &str, secret: &str, backtrace: &str) -> std::process::Output {
        let module = module_path!().split_once("::").map_or("", |(_, m)| m);
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", &format!("{module}::{name}"), "--nocapture"])
            .env(CHILD_SECRET, secret)
            .env("RUST_BACKTRACE", backtrace)
            .output()
            .unwrap()
    }

    #[test]
    fn attack_given_a_panic_whose_message_holds_a_secret_when_hubkey_panics_then_stderr_names_the_place_and_not_the_secret(
    ) {
        if let Ok(secret) = std::env::var(CHILD_SECRET) {
            // The child: what `hubkey`'s main installs, then a panic like an `expect` on a token response.
            withhold_panic_messages("hubkey");
            panic!("cannot parse the token response {{\"refresh_token\":\"{secret}\"}}");
        }
        let secret = format!("na1-{:08x}-5ec7-e7", std::process::id());
        for backtrace in ["0", "1"] {
            let out = rerun_as_child(
                "attack_given_a_panic_whose_message_holds_a_secret_when_hubkey_panics_then_stderr_names_the_place_and_not_the_secret",
                &secret,
                backtrace,
            );
            let stderr = String::from_utf8_lossy(&out.stderr);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert_eq!(out.status.code(), Some(101), "the child panicked: {stderr}");
            assert!(
                !stderr.contains(&secret) && !stdout.contains(&secret),
                "RUST_BACKTRACE={backtrace}: the secret reached the output: {stderr}{stdout}"
            );
            assert!(
                stderr.contains(&format!("hubkey: internal error at {}:", file!())),
                "the place is named: {stderr}"
            );
            assert!(stderr.contains("message is withheld"), "{stderr}");
            assert!(stderr.contains(ISSUES_URL), "{stderr}");
            if backtrace == "0" {
                assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
            } else {
                assert!(stderr.contains("stack backtrace:"), "{stderr}");
            }
        }
    }
}
