//! What a Hubkey process does to itself to protect the secrets it holds (issue 18, point 6). Every Hubkey
//! program holds tokens, client secrets or codes in memory at times, so each calls [`make_not_dumpable`] first
//! in its `main`: `hubkey` always, `hubkey-desktop` and `hubkey-tray` through hubkey-shell's `process`, which
//! adds their opt-out for profilers and the benchmarks.

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
