//! The desktop processes' own hardening (issue 18, point 6). Both hold secrets in memory at times (a client
//! secret during a sign-in, tokens while refreshing or copying), so on Linux each makes itself not dumpable at
//! start, as KeePassXC and 1Password do: a crash leaves no core file holding them, and other processes of the
//! user can neither attach with ptrace nor read the process's memory or environment through `/proc`. The
//! kernel resets the flag at every exec, so `hubkey-desktop` and `hubkey-tray` each set it again (they replace
//! each other by exec, relaunch.rs). The `hubkey` CLI does the same in its `main`.
//!
//! [`DUMPABLE_ENV`]`=1` leaves the process dumpable: for profilers, debuggers and the benchmarks, which read the
//! window's memory from `/proc` as the user (scripts/bench.sh sets it).

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
    #[cfg(target_os = "linux")]
    {
        // A failure (a seccomp filter, an old kernel) is not worth stopping for: this is defence in depth.
        !keep_dumpable && nix::sys::prctl::set_dumpable(false).is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = keep_dumpable;
        false
    }
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
