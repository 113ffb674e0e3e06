//! What the two desktop programs do first in `main` ([`at_start`]): withhold panic messages and make themselves
//! not dumpable (hubkey-core's `process`, issue 18, point 6), unless [`DUMPABLE_ENV`] asks otherwise, and refuse
//! a command line Tauri's plugins would panic on. Both hold secrets in memory at times (a client secret during a
//! sign-in, tokens while refreshing or copying), as KeePassXC and 1Password do on Linux; they replace each other
//! by exec (relaunch.rs), which resets the flag, so each sets it again.
//!
//! Until the log file is open, a panic is one line on stderr naming its place, never its message; from then on
//! hubkey-shell's `logging` hook writes that line to the log file as well (`logging::init` replaces the hook).
//!
//! [`DUMPABLE_ENV`]`=1` leaves the process dumpable: for profilers, debuggers and the benchmarks, which read the
//! window's memory from `/proc` as the user (scripts/bench.sh sets it).

use std::process::ExitCode;

/// The start of `program`'s `main`: panic messages withheld (hubkey-core's `withhold_panic_messages`), not
/// dumpable ([`not_dumpable`]), then the command line checked ([`unusable_args`]). `Some(code)`: exit with it;
/// the reason is on stderr, as one line.
pub fn at_start(program: &'static str) -> Option<ExitCode> {
    hubkey_core::process::withhold_panic_messages(program);
    not_dumpable();
    let why = unusable_args()?;
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{program}: {why}");
    }
    Some(ExitCode::from(2))
}

/// Why the command line cannot be used, when an argument is not valid Unicode (a crafted launch: a `hubkey://`
/// link is always ASCII). Check it first in `main`: Rust's `std::env::args`, which Tauri's single-instance and
/// deep-link plugins call, would panic on such an argument. The answer names its position, never its bytes.
pub fn unusable_args() -> Option<String> {
    unusable(std::env::args_os())
}

fn unusable(args: impl Iterator<Item = std::ffi::OsString>) -> Option<String> {
    let (position, _) = args.enumerate().find(|(_, a)| a.to_str().is_none())?;
    Some(format!(
        "argument {position} is not valid text, so Hubkey ignored this launch (a hubkey:// link never holds such bytes)"
    ))
}

/// Set to `1` to keep the desktop processes dumpable (profiling, debugging, the benchmarks).
pub const DUMPABLE_ENV: &str = "HUBKEY_DUMPABLE";

/// Makes this process not dumpable unless [`DUMPABLE_ENV`] is `1`; returns whether it is now not dumpable.
/// Call it first in `main`. Does nothing (and returns false) off Linux.
pub fn not_dumpable() -> bool {
    not_dumpable_unless(std::env::var(DUMPABLE_ENV).is_ok_and(|v| v == "1"))
}

fn not_dumpable_unless(keep_dumpable: bool) -> bool {
    !keep_dumpable && hubkey_core::process::make_not_dumpable()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn attack_given_an_argument_that_is_not_unicode_then_it_is_named_by_position_only() {
        use std::os::unix::ffi::OsStringExt;
        let ok = ["hubkey-desktop", "hubkey://oauth/callback?code=a&state=b"].map(std::ffi::OsString::from);
        assert_eq!(unusable(ok.into_iter()), None);
        let bad = vec![
            std::ffi::OsString::from("hubkey-desktop"),
            std::ffi::OsString::from_vec(b"hubkey://oauth/callback?code=\xff\xfe".to_vec()),
        ];
        let why = unusable(bad.into_iter()).unwrap();
        assert!(why.starts_with("argument 1 is not valid text"), "{why}");
        assert!(!why.contains("oauth"), "{why}");
    }

    #[test]
    fn attack_given_the_opt_out_then_the_process_stays_dumpable_and_without_it_it_is_not() {
        // One test, in this order: the flag cannot be turned back on once off.
        assert!(
            nix::sys::prctl::get_dumpable().unwrap(),
            "a test process starts dumpable"
        );
        assert!(!not_dumpable_unless(true));
        assert!(
            nix::sys::prctl::get_dumpable().unwrap(),
            "HUBKEY_DUMPABLE=1 keeps it dumpable"
        );
        assert!(not_dumpable_unless(false));
        assert!(
            !nix::sys::prctl::get_dumpable().unwrap(),
            "not dumpable afterwards"
        );
    }
}

/// Issue 18, point 6: no secret in panic messages, from the first line of `main` on.
#[cfg(test)]
mod withheld_panics {
    use super::*;
    use crate::rerun::rerun_as_child;

    /// Set in the child process: the secret its panic carries.
    const CHILD_SECRET: &str = "HUBKEY_TEST_PANIC_SECRET";

    #[test]
    fn attack_given_a_panic_whose_message_holds_a_secret_when_a_desktop_program_panics_before_its_log_is_open_then_stderr_names_the_place_and_not_the_secret(
    ) {
        if let Ok(secret) = std::env::var(CHILD_SECRET) {
            // The child: hubkey-desktop's and hubkey-tray's first line, then a panic (in localtime::init, say).
            assert_eq!(at_start("hubkey-desktop"), None);
            panic!("cannot sign in with client secret {secret}");
        }
        let secret = format!("5ec7e7-{:08x}-c1", std::process::id());
        let out = rerun_as_child(
            module_path!(),
            "attack_given_a_panic_whose_message_holds_a_secret_when_a_desktop_program_panics_before_its_log_is_open_then_stderr_names_the_place_and_not_the_secret",
            &[(CHILD_SECRET, &secret), (DUMPABLE_ENV, "1")],
            &["RUST_BACKTRACE"],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(101), "the child panicked: {stderr}");
        assert!(
            !stderr.contains(&secret) && !String::from_utf8_lossy(&out.stdout).contains(&secret),
            "the secret reached the output: {stderr}"
        );
        assert!(
            stderr.contains(&format!("hubkey-desktop: internal error at {}:", file!())),
            "the place is named: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    }
}
