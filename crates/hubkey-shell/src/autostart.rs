//! Start at login (issue 16, point 3): one switch, shown in the window and in both trays, that makes the OS
//! start `hubkey-desktop --background` (the tray only) when the user logs in.
//!
//! Why not `tauri-plugin-autostart`: the switch must also work in `hubkey-tray`, the Linux tray process that
//! never loads Tauri or WebKit, and all three places must write the same entry. The plugin is a thin wrapper
//! over the `auto-launch` crate, so on macOS (a Launch Agent) and Windows (the `Run` registry key) this module
//! uses `auto-launch` directly, as the plugin does. On Linux it writes the XDG autostart entry itself
//! (`$XDG_CONFIG_HOME/autostart/Hubkey.desktop`, else `~/.config/autostart`), because the entry must honour
//! `XDG_CONFIG_HOME`, quote a program path with spaces as the Desktop Entry spec requires, and count as off
//! when the desktop's own settings hid it (`Hidden=true`, `X-GNOME-Autostart-enabled=false`).
//!
//! The entry always starts `hubkey-desktop`: with `--background` it hands over to `hubkey-tray` on Linux
//! (hubkey-desktop's relaunch.rs) and shows only its tray elsewhere.

use std::io;
use std::path::{Path, PathBuf};

use hubkey_core::view::StartAtLoginView;

use crate::handoff::{self, BACKGROUND_FLAG, DESKTOP_PROGRAM, TRAY_PROGRAM};

/// The entry's name: the file `Hubkey.desktop` on Linux, the Launch Agent's or registry value's name elsewhere.
pub const ENTRY_NAME: &str = "Hubkey";

/// The label of the switch in the window and the tray menu.
pub const LABEL: &str = "Start at login";

/// The OS's "start this program at login" entry for Hubkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Autostart {
    /// The program the entry starts (with [`BACKGROUND_FLAG`]).
    program: PathBuf,
    /// Linux: the entry's file.
    #[cfg(target_os = "linux")]
    entry: PathBuf,
}

impl Autostart {
    /// For the running install: the desktop program beside this executable (this one, unless it is
    /// `hubkey-tray`), and on Linux the entry in `$XDG_CONFIG_HOME/autostart` (else `~/.config/autostart`).
    /// `None` when either cannot be known (no home folder, no desktop program installed beside the tray).
    pub fn for_this_install() -> Option<Autostart> {
        let exe = std::env::current_exe().ok()?;
        let is_tray = exe
            .file_stem()
            .is_some_and(|stem| stem == std::ffi::OsStr::new(TRAY_PROGRAM));
        let program = if is_tray {
            handoff::sibling(DESKTOP_PROGRAM)?
        } else {
            exe
        };
        #[cfg(target_os = "linux")]
        {
            let config = std::env::var_os("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
            Some(Autostart::new(program, &config))
        }
        #[cfg(not(target_os = "linux"))]
        {
            Some(Autostart { program })
        }
    }

    /// Starting `program`; on Linux the entry goes in `config_dir/autostart` (`config_dir` is what
    /// `XDG_CONFIG_HOME` names; elsewhere it is not used: the OS decides where the entry lives).
    pub fn new(program: PathBuf, config_dir: &Path) -> Autostart {
        #[cfg(not(target_os = "linux"))]
        let _ = config_dir;
        Autostart {
            program,
            #[cfg(target_os = "linux")]
            entry: config_dir.join("autostart").join(format!("{ENTRY_NAME}.desktop")),
        }
    }

    /// Linux: where the entry is written.
    #[cfg(target_os = "linux")]
    pub fn entry_path(&self) -> &Path {
        &self.entry
    }

    /// Whether Hubkey starts at login now.
    pub fn is_enabled(&self) -> io::Result<bool> {
        #[cfg(target_os = "linux")]
        {
            match std::fs::read_to_string(&self.entry) {
                Ok(text) => Ok(xdg::is_active(&text)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(e),
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            self.os_entry()?.is_enabled().map_err(io::Error::other)
        }
    }

    /// Switches starting at login on or off ([`Autostart::set`]) and returns whether it is on now, as read back
    /// (what the window's switch and the tray's check mark then show).
    pub fn switch(&self, on: bool) -> io::Result<bool> {
        self.set(on)?;
        self.is_enabled()
    }

    /// Switches starting at login on or off. Idempotent; switching on rewrites the entry, so it follows the
    /// program if it moved.
    pub fn set(&self, on: bool) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        {
            if on {
                let dir = self.entry.parent().unwrap_or(Path::new("."));
                std::fs::create_dir_all(dir)?;
                let tmp = dir.join(format!(".{ENTRY_NAME}.desktop.{}.tmp", std::process::id()));
                std::fs::write(&tmp, xdg::entry(&self.program))?;
                std::fs::rename(&tmp, &self.entry).inspect_err(|_| {
                    let _ = std::fs::remove_file(&tmp);
                })
            } else {
                match std::fs::remove_file(&self.entry) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                    _ => Ok(()),
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let entry = self.os_entry()?;
            let result = if on { entry.enable() } else { entry.disable() };
            result.map_err(io::Error::other)
        }
    }

    /// macOS and Windows: `auto-launch`'s entry (a Launch Agent on macOS, as `tauri-plugin-autostart`'s
    /// default; the current user's `Run` key on Windows).
    #[cfg(not(target_os = "linux"))]
    fn os_entry(&self) -> io::Result<auto_launch::AutoLaunch> {
        let path = self
            .program
            .to_str()
            .ok_or_else(|| io::Error::other("the program's path is not UTF-8"))?;
        auto_launch::AutoLaunchBuilder::new()
            .set_app_name(ENTRY_NAME)
            .set_app_path(path)
            .set_use_launch_agent(true)
            .set_args(&[BACKGROUND_FLAG])
            .build()
            .map_err(io::Error::other)
    }
}

/// The window's "Start at login" switch: hidden (`available: false`) when this install has no entry to switch.
pub fn view(autostart: Option<&Autostart>) -> io::Result<StartAtLoginView> {
    Ok(match autostart {
        None => StartAtLoginView {
            available: false,
            enabled: false,
        },
        Some(autostart) => StartAtLoginView {
            available: true,
            enabled: autostart.is_enabled()?,
        },
    })
}

/// The autostart state for a menu or a page: `None` when this install has no entry to switch (see
/// [`Autostart::for_this_install`]) or it cannot be read.
pub fn state(autostart: Option<&Autostart>) -> Option<bool> {
    let autostart = autostart?;
    autostart
        .is_enabled()
        .inspect_err(|e| tracing::warn!("cannot read the start-at-login entry: {e}"))
        .ok()
}

/// The XDG autostart entry (freedesktop.org's Desktop Entry and Autostart specifications).
#[cfg(any(target_os = "linux", test))]
mod xdg {
    use std::path::Path;

    use super::{BACKGROUND_FLAG, ENTRY_NAME};

    /// The file's text.
    pub fn entry(program: &Path) -> String {
        format!(
            "[Desktop Entry]\n\
             Type=Application\n\
             Name={ENTRY_NAME}\n\
             Comment=Keeps HubSpot tokens fresh, in the tray\n\
             Exec={} {BACKGROUND_FLAG}\n\
             Icon=hubkey-desktop\n\
             Terminal=false\n\
             NoDisplay=true\n\
             X-GNOME-Autostart-enabled=true\n",
            exec_arg(&program.to_string_lossy())
        )
    }

    /// One argument of `Exec=`: bare when it has only safe characters, else in double quotes with `"`, `` ` ``,
    /// `$` and `\` escaped by a backslash; then the string-value layer doubles each backslash, and `%` (a
    /// field code) is written `%%`.
    pub fn exec_arg(arg: &str) -> String {
        let safe = |c: char| c.is_ascii_alphanumeric() || "/._+-,=@:".contains(c);
        let quoted = if !arg.is_empty() && arg.chars().all(safe) {
            arg.to_string()
        } else {
            let mut q = String::from("\"");
            for c in arg.chars() {
                if matches!(c, '"' | '`' | '$' | '\\') {
                    q.push('\\');
                }
                q.push(c);
            }
            q.push('"');
            q
        };
        quoted.replace('\\', "\\\\").replace('%', "%%")
    }

    /// Whether an entry starts anything: not hidden (`Hidden=true`) and not switched off by GNOME's key.
    pub fn is_active(text: &str) -> bool {
        let mut in_main = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                in_main = line == "[Desktop Entry]";
                continue;
            }
            if !in_main {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            match (key.trim(), value.trim()) {
                ("Hidden", "true") | ("X-GNOME-Autostart-enabled", "false") => return false,
                _ => {}
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::xdg::{entry, exec_arg, is_active};
    use std::path::Path;

    #[test]
    fn given_a_plain_path_then_exec_names_it_bare_with_background() {
        let text = entry(Path::new("/usr/bin/hubkey-desktop"));
        assert!(
            text.lines()
                .any(|l| l == "Exec=/usr/bin/hubkey-desktop --background"),
            "{text}"
        );
        assert!(text.starts_with("[Desktop Entry]\n"), "{text}");
    }

    #[test]
    fn given_spaces_quotes_dollars_and_percents_then_exec_quotes_and_escapes_them_as_the_spec_says() {
        assert_eq!(exec_arg("/opt/My Apps/hubkey"), "\"/opt/My Apps/hubkey\"");
        // `$` and `"` get a backslash inside quotes, and the string layer doubles that backslash.
        assert_eq!(exec_arg("/tmp/$x\"y"), "\"/tmp/\\\\$x\\\\\"y\"");
        assert_eq!(exec_arg("/tmp/100%"), "\"/tmp/100%%\"");
        assert_eq!(exec_arg("/tmp/a\\b"), "\"/tmp/a\\\\\\\\b\"");
    }

    #[test]
    fn given_an_entry_hidden_or_switched_off_by_the_desktop_then_it_counts_as_off() {
        let ours = entry(Path::new("/usr/bin/hubkey-desktop"));
        assert!(is_active(&ours));
        assert!(!is_active(&ours.replace(
            "X-GNOME-Autostart-enabled=true",
            "X-GNOME-Autostart-enabled=false"
        )));
        assert!(!is_active(&format!("{ours}Hidden=true\n")));
        // A key of another group does not count.
        assert!(is_active(&format!("{ours}[Desktop Action x]\nHidden=true\n")));
    }
}
