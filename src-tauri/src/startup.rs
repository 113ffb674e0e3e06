//! Start-up facts: the WebKitGTK settings Hubkey chooses before anything starts ([`webkit_env_defaults`],
//! applied by main.rs), and when this process started, for the "page ready … ms after launch" log line
//! (window.rs), which tells a slow start apart from a slow page without an external stopwatch.
//!
//! On Linux the start is read from `/proc/self/stat` (in clock ticks since boot) against `/proc/uptime`, so the
//! time the dynamic loader spends before `main` (≈ 70 ms for a WebKitGTK app) is counted; elsewhere, and if
//! `/proc` cannot be read, it is the moment [`init`] ran. A process that replaced itself (relaunch.rs) keeps
//! its start time.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// The WebKitGTK settings Hubkey sets on Linux unless the user set them (`is_set` tells), as `(name, value)`:
///
/// - `WEBKIT_DISABLE_COMPOSITING_MODE=1`: WebKitGTK composites on the GPU; on software GL (VMs, remote desktops,
///   Xvfb: llvmpipe) that made the first paint slow and every repaint costly (BENCHMARKS.md finding 2: first
///   paint 1622 → 915 ms, −90 MiB PSS). This UI needs no accelerated compositing; `=0` brings it back.
/// - `GDK_GL=disable`, only with the above: nothing draws with GL then, so GTK need not probe GLX when it opens
///   the display; that probe loads Mesa and LLVM (~30 MiB resident) into a process that may never show a window
///   (BENCHMARKS.md finding 8).
/// - `JSC_useJIT=0`: the JavaScript JIT off in the web process, 7 MiB less and one compiler fewer in it (Apple's
///   Lockdown Mode turns it off for that reason); the UI's script is small and the interpreter runs it without a
///   difference one can see (BENCHMARKS.md finding 9). `JSC_useJIT=1` turns it back on.
pub fn webkit_env_defaults(is_set: impl Fn(&str) -> bool) -> Vec<(&'static str, &'static str)> {
    let mut vars = Vec::new();
    if !is_set("WEBKIT_DISABLE_COMPOSITING_MODE") {
        vars.push(("WEBKIT_DISABLE_COMPOSITING_MODE", "1"));
        if !is_set("GDK_GL") {
            vars.push(("GDK_GL", "disable"));
        }
    }
    if !is_set("JSC_useJIT") {
        vars.push(("JSC_useJIT", "0"));
    }
    vars
}

/// Clock ticks per second of `/proc/<pid>/stat` times: USER_HZ, 100 on every Linux ABI.
const USER_HZ: f64 = 100.0;

static LAUNCHED_AT_MS: OnceLock<f64> = OnceLock::new();

/// Records the start time; call first thing in `run`.
pub fn init() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0);
    let age_ms = process_age_ms().unwrap_or(0.0);
    let _ = LAUNCHED_AT_MS.set(now - age_ms);
}

/// The process's start as milliseconds since the Unix epoch, once [`init`] ran.
pub fn launched_at_epoch_ms() -> Option<f64> {
    LAUNCHED_AT_MS.get().copied()
}

#[cfg(target_os = "linux")]
fn process_age_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let uptime = std::fs::read_to_string("/proc/uptime").ok()?;
    age_from(&stat, &uptime)
}

#[cfg(not(target_os = "linux"))]
fn process_age_ms() -> Option<f64> {
    None
}

/// The process's age in ms from the text of `/proc/self/stat` (field 22, `starttime`, in ticks since boot) and
/// `/proc/uptime` (seconds since boot).
pub fn age_from(stat: &str, uptime: &str) -> Option<f64> {
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let start_ticks: f64 = after_name.split_whitespace().nth(19)?.parse().ok()?;
    let up_secs: f64 = uptime.split_whitespace().next()?.parse().ok()?;
    let age = up_secs * 1000.0 - start_ticks / USER_HZ * 1000.0;
    (age >= 0.0).then_some(age)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_proc_texts_then_the_age_is_uptime_minus_the_start_tick() {
        // Field 22 (starttime) = 123450 ticks = 1234.5 s after boot; uptime 1235.25 s.
        let stat = "4242 (hubkey desk top) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 9 0 123450 1 2 3";
        assert_eq!(age_from(stat, "1235.25 4000.00\n"), Some(750.0));
    }

    #[test]
    fn given_garbage_then_no_age() {
        assert_eq!(age_from("no parens here", "1.0 1.0"), None);
        assert_eq!(age_from("1 (x) S 1 2", "1.0 1.0"), None);
        assert_eq!(
            age_from(
                "1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 99999",
                "1.0"
            ),
            None
        );
    }

    #[test]
    fn given_nothing_set_then_compositing_gdk_gl_and_the_jit_are_turned_off() {
        assert_eq!(
            webkit_env_defaults(|_| false),
            vec![
                ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
                ("GDK_GL", "disable"),
                ("JSC_useJIT", "0")
            ]
        );
    }

    #[test]
    fn given_the_user_chose_then_their_values_stay() {
        // Compositing chosen by the user: GTK may need GL for it, so GDK_GL is left alone too.
        let chosen = |set: &'static [&'static str]| move |name: &str| set.contains(&name);
        assert_eq!(
            webkit_env_defaults(chosen(&["WEBKIT_DISABLE_COMPOSITING_MODE"])),
            vec![("JSC_useJIT", "0")]
        );
        assert_eq!(
            webkit_env_defaults(chosen(&["GDK_GL", "JSC_useJIT"])),
            vec![("WEBKIT_DISABLE_COMPOSITING_MODE", "1")]
        );
    }

    #[test]
    fn this_process_has_a_launch_time_after_init() {
        init();
        let launched = launched_at_epoch_ms().unwrap();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
            * 1000.0;
        assert!(launched <= now && now - launched < 24.0 * 3600.0 * 1000.0);
    }
}
