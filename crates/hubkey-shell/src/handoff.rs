//! How the two desktop processes replace each other (Linux): the window's `hubkey-desktop` becomes the tray-only
//! `hubkey-tray` once its window is closed and it is idle, and `hubkey-tray` becomes `hubkey-desktop` when the
//! window is wanted. Each replacement is an exec: the same PID and environment, a fresh image.
//!
//! What crosses an exec is on the command line and never secret: the pids of the old image's helpers, which
//! the new image must reap ([`REAP_FLAG`]), and which token the tray had copied, so the window process can put
//! it on the clipboard again ([`Recopy`]: an X11 clipboard's content lives in the process that set it).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The window's program.
pub const DESKTOP_PROGRAM: &str = "hubkey-desktop";
/// The tray-only program (Linux).
pub const TRAY_PROGRAM: &str = "hubkey-tray";
/// `hubkey-desktop --background`: the tray only (on Linux: becomes `hubkey-tray` at once, when installed).
pub const BACKGROUND_FLAG: &str = "--background";
/// `--reap 123,456`: the old image's children, for the new one to reap.
pub const REAP_FLAG: &str = "--reap";
/// `--recopy …`: see [`Recopy`].
pub const RECOPY_FLAG: &str = "--recopy";

/// The single-instance D-Bus name both processes own (tauri-plugin-single-instance's, for the app identifier
/// `dev.hubkey.app`), its object path and interface. A second launch calls `ExecuteCallback(argv, cwd)` on it.
pub const SINGLE_INSTANCE_NAME: &str = "dev.hubkey.app.SingleInstance";
pub const SINGLE_INSTANCE_PATH: &str = "/dev/hubkey/app/SingleInstance";
pub const SINGLE_INSTANCE_INTERFACE: &str = "org.SingleInstance.DBus";

/// Whether a command line (the program name first) asks for the tray only.
pub fn wants_background(argv: &[String]) -> bool {
    argv.iter().skip(1).any(|a| a == BACKGROUND_FLAG)
}

/// `program` in the directory of the running executable, when it is there (an installed package, or a build
/// that made both programs).
pub fn sibling(program: &str) -> Option<PathBuf> {
    let dir = std::env::current_exe().ok()?.parent()?.to_path_buf();
    let path = dir.join(program);
    is_executable(&path).then_some(path)
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// What `hubkey-tray` gets in its environment beside this process's own: glibc's malloc limited to two arenas
/// (`MALLOC_ARENA_MAX=2`), unless the user set the variable (`current`). With many connections the tray's
/// refresher reads and writes the index from several threads (the runtime's blocking pool, a thread per keychain
/// call), and each thread's arena kept its share of freed index copies: 1,000 connections held the tray at
/// ~25 MiB PSS, 0.8 MiB less with two arenas (docs/BENCHMARKS.md, finding 17). Nothing in the tray is
/// allocation-bound. glibc reads the variable when a program starts, so it is set for the exec, not here.
pub fn tray_env(current: Option<&std::ffi::OsStr>) -> Vec<(&'static str, &'static str)> {
    match current {
        Some(_) => Vec::new(),
        None => vec![(MALLOC_ARENA_MAX, "2")],
    }
}

/// glibc's variable for the most malloc arenas a process may have (by default 8 per core).
pub const MALLOC_ARENA_MAX: &str = "MALLOC_ARENA_MAX";

/// Replaces this process with `program args…`; returns only the reason it could not.
#[cfg(unix)]
pub fn exec(program: &Path, args: &[OsString]) -> std::io::Error {
    exec_with_env(program, args, &[])
}

/// [`exec`] with `env` added to this process's environment.
#[cfg(unix)]
pub fn exec_with_env(program: &Path, args: &[OsString], env: &[(&str, &str)]) -> std::io::Error {
    use std::os::unix::process::CommandExt;
    std::process::Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .exec()
}

#[cfg(not(unix))]
pub fn exec(_program: &Path, _args: &[OsString]) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::Unsupported, "only on Unix")
}

/// The direct children of this process (WebKit's network process, a sandbox helper): after an exec they are
/// children of the new image, which must reap them when they exit.
#[cfg(target_os = "linux")]
pub fn children_of_self() -> Vec<u32> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<u32> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| parent_of(&s))
                == Some(me)
        })
        .collect();
    pids.sort_unstable();
    pids
}

#[cfg(not(target_os = "linux"))]
pub fn children_of_self() -> Vec<u32> {
    Vec::new()
}

/// The parent pid in the text of `/proc/<pid>/stat` (field 4; the name before it may hold spaces).
pub fn parent_of(stat: &str) -> Option<u32> {
    stat[stat.rfind(')')? + 1..]
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Pids separated by spaces or commas; anything else is skipped.
pub fn parse_pids(text: &str) -> Vec<u32> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter_map(|p| p.parse().ok())
        .filter(|&p| p > 1)
        .collect()
}

pub fn join_pids(pids: &[u32]) -> String {
    pids.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// `[--reap, 1,2]`, or nothing when there are no children.
pub fn reap_args(children: &[u32]) -> Vec<OsString> {
    if children.is_empty() {
        Vec::new()
    } else {
        vec![REAP_FLAG.into(), join_pids(children).into()]
    }
}

/// The value after `flag` on a command line (the program name first).
pub fn flag_value<'a>(argv: &'a [String], flag: &str) -> Option<&'a str> {
    argv.iter()
        .skip(1)
        .skip_while(|a| *a != flag)
        .nth(1)
        .map(String::as_str)
}

/// The pids after [`REAP_FLAG`] on a command line.
pub fn pids_to_reap(argv: &[String]) -> Vec<u32> {
    flag_value(argv, REAP_FLAG).map(parse_pids).unwrap_or_default()
}

/// In the new image: waits for the old image's children to exit, so none stays a zombie. Only these pids are
/// waited for; children this image starts are left to whoever started them (GLib, Tokio).
#[cfg(target_os = "linux")]
pub fn reap_inherited(argv: &[String]) {
    use nix::sys::wait::waitpid;
    use nix::unistd::Pid;

    for pid in pids_to_reap(argv) {
        let Ok(raw) = i32::try_from(pid) else {
            continue;
        };
        let spawned = std::thread::Builder::new().name("reap".into()).spawn(move || {
            match waitpid(Pid::from_raw(raw), None) {
                Ok(status) => {
                    tracing::debug!(pid, ?status, "an exited helper of the previous image was reaped")
                }
                Err(e) => tracing::debug!(pid, "nothing to reap: {e}"),
            }
        });
        if let Err(e) = spawned {
            tracing::warn!("cannot start a thread to reap pid {pid}: {e}");
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub fn reap_inherited(_argv: &[String]) {}

/// Which token the tray had on the clipboard when it handed over to the window process, and how much of its
/// clear-after delay was left (`None`: clearing is off). The window process copies that connection's current
/// token again at once: the clipboard is empty for the moment the exec takes, not for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recopy {
    pub app: String,
    pub hub_id: u64,
    pub as_header: bool,
    pub clear_after: Option<Duration>,
}

impl Recopy {
    /// `hub_id:header(0|1):seconds left(or -):app` (the app name last: it may hold `:`).
    pub fn to_arg(&self) -> String {
        let left = self
            .clear_after
            .map_or_else(|| "-".to_string(), |d| d.as_secs().max(1).to_string());
        format!("{}:{}:{left}:{}", self.hub_id, u8::from(self.as_header), self.app)
    }

    pub fn parse(arg: &str) -> Option<Recopy> {
        let mut parts = arg.splitn(4, ':');
        let hub_id = parts.next()?.parse().ok()?;
        let as_header = match parts.next()? {
            "0" => false,
            "1" => true,
            _ => return None,
        };
        let clear_after = match parts.next()? {
            "-" => None,
            secs => Some(Duration::from_secs(secs.parse().ok()?)),
        };
        let app = parts.next().filter(|a| !a.is_empty())?.to_string();
        Some(Recopy {
            app,
            hub_id,
            as_header,
            clear_after,
        })
    }

    /// The one after [`RECOPY_FLAG`] on a command line.
    pub fn from_argv(argv: &[String]) -> Option<Recopy> {
        flag_value(argv, RECOPY_FLAG).and_then(Recopy::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn given_no_arena_setting_when_the_tray_is_started_then_it_gets_two_arenas_and_a_users_setting_is_kept() {
        assert_eq!(tray_env(None), vec![("MALLOC_ARENA_MAX", "2")]);
        assert_eq!(tray_env(Some(std::ffi::OsStr::new("8"))), vec![]);
        assert_eq!(tray_env(Some(std::ffi::OsStr::new(""))), vec![]);
    }

    #[test]
    fn given_the_background_flag_then_the_tray_only_is_wanted() {
        assert!(wants_background(&argv(&["hubkey-desktop", "--background"])));
        assert!(!wants_background(&argv(&["hubkey-desktop"])));
        assert!(
            !wants_background(&argv(&["--background"])),
            "the program name is no argument"
        );
        assert!(!wants_background(&argv(&[
            "hubkey-desktop",
            "hubkey://x?--background"
        ])));
    }

    #[test]
    fn pids_round_trip_through_the_command_line_and_junk_is_skipped() {
        assert_eq!(parse_pids("4242 4243\n"), vec![4242, 4243]);
        assert_eq!(
            parse_pids("12,x,,1,0,99"),
            vec![12, 99],
            "init and 0 are never ours"
        );
        assert_eq!(join_pids(&[7, 8, 9]), "7,8,9");
        assert!(reap_args(&[]).is_empty());
        let line = argv(&["hubkey-tray", REAP_FLAG, "7,8,9"]);
        assert_eq!(pids_to_reap(&line), vec![7, 8, 9]);
        assert!(pids_to_reap(&line[..2]).is_empty(), "a flag without a list");
        assert!(pids_to_reap(&line[..1]).is_empty());
    }

    #[test]
    fn the_parent_pid_is_read_after_the_process_name() {
        assert_eq!(parent_of("4242 (Web Kit) S) S 17 4242 4242 0"), Some(17));
        assert_eq!(parent_of("garbage"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn given_a_child_process_then_it_is_listed_among_the_children_of_self() {
        let mut child = std::process::Command::new("sleep").arg("5").spawn().unwrap();
        let children = children_of_self();
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(
            children.contains(&child.id()),
            "{children:?} lacks {}",
            child.id()
        );
    }

    #[test]
    fn a_recopy_round_trips_and_keeps_an_app_name_with_colons() {
        let r = Recopy {
            app: "my:app".into(),
            hub_id: 24681357,
            as_header: true,
            clear_after: Some(Duration::from_secs(42)),
        };
        assert_eq!(r.to_arg(), "24681357:1:42:my:app");
        assert_eq!(Recopy::parse(&r.to_arg()), Some(r.clone()));
        let never = Recopy {
            clear_after: None,
            as_header: false,
            ..r
        };
        assert_eq!(never.to_arg(), "24681357:0:-:my:app");
        assert_eq!(Recopy::parse(&never.to_arg()), Some(never.clone()));
        let line = argv(&["hubkey-desktop", RECOPY_FLAG, &never.to_arg()]);
        assert_eq!(Recopy::from_argv(&line), Some(never));
    }

    #[test]
    fn a_malformed_recopy_is_ignored() {
        for bad in ["", "x:1:5:demo", "1:2:5:demo", "1:1:soon:demo", "1:1:5:", "1:1:5"] {
            assert_eq!(Recopy::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_sibling_is_found_only_when_it_is_an_executable_file() {
        // The test binary's own directory holds the test binary itself, which is executable…
        let me = std::env::current_exe().unwrap();
        let name = me.file_name().unwrap().to_str().unwrap();
        assert_eq!(sibling(name), Some(me.clone()));
        // …and not a program by this name.
        assert_eq!(sibling("no-such-program-hubkey"), None);
    }
}
