//! Start at login on Linux (issue 16, point 3): the XDG autostart entry the window's switch and both trays
//! write, on a real file system, checked by freedesktop.org's own validator (`desktop-file-validate`, from
//! Debian's desktop-file-utils, which scripts/setup.sh installs).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use hubkey_shell::autostart::Autostart;

/// A throw-away config folder (what `XDG_CONFIG_HOME` names), removed on drop.
struct ConfigDir(PathBuf);

impl ConfigDir {
    fn new(tag: &str) -> ConfigDir {
        let dir = std::env::temp_dir().join(format!(
            "hubkey-autostart-{tag}-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        ConfigDir(dir)
    }
}

impl Drop for ConfigDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What `desktop-file-validate` says of the file (empty: valid).
fn validate(file: &Path) -> String {
    let out = Command::new("desktop-file-validate")
        .arg(file)
        .output()
        .unwrap_or_else(|e| {
            panic!("desktop-file-validate: {e} (install desktop-file-utils: bash scripts/setup.sh)")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() || !text.is_empty(), "{out:?}");
    if out.status.success() {
        String::new()
    } else {
        text
    }
}

fn exec_lines(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("Exec="))
        .map(str::to_string)
        .collect()
}

#[test]
fn given_no_entry_when_switched_on_then_a_valid_entry_starts_the_desktop_program_in_the_tray_and_off_removes_it(
) {
    let config = ConfigDir::new("on-off");
    let program = PathBuf::from("/usr/bin/hubkey-desktop");
    let autostart = Autostart::new(program.clone(), &config.0);
    let file = config.0.join("autostart/Hubkey.desktop");
    assert_eq!(autostart.entry_path(), file);
    assert!(!autostart.is_enabled().unwrap(), "off before anything is written");

    autostart.set(true).unwrap();
    assert!(autostart.is_enabled().unwrap());
    assert_eq!(
        exec_lines(&file),
        vec!["Exec=/usr/bin/hubkey-desktop --background".to_string()]
    );
    assert_eq!(validate(&file), "", "desktop-file-validate accepts the entry");
    let first = std::fs::read(&file).unwrap();

    // Idempotent: on again keeps one identical file, and no temporary file is left behind.
    autostart.set(true).unwrap();
    assert_eq!(std::fs::read(&file).unwrap(), first);
    let names: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("Hubkey.desktop")]);

    autostart.set(false).unwrap();
    assert!(!file.exists());
    assert!(!autostart.is_enabled().unwrap());
    autostart.set(false).unwrap();
}

#[test]
fn given_a_program_path_with_spaces_and_a_dollar_when_switched_on_then_the_entry_is_still_valid_and_quoted() {
    let config = ConfigDir::new("quoted");
    let autostart = Autostart::new(PathBuf::from("/opt/My Apps/$HOME/hubkey-desktop"), &config.0);
    autostart.set(true).unwrap();
    let file = autostart.entry_path().to_path_buf();
    assert_eq!(
        exec_lines(&file),
        vec![r#"Exec="/opt/My Apps/\\$HOME/hubkey-desktop" --background"#.to_string()]
    );
    assert_eq!(
        validate(&file),
        "",
        "desktop-file-validate accepts the quoted Exec"
    );
}

#[test]
fn given_the_desktop_hid_the_entry_then_it_counts_as_off_and_switching_on_shows_it_again() {
    let config = ConfigDir::new("hidden");
    let autostart = Autostart::new(PathBuf::from("/usr/bin/hubkey-desktop"), &config.0);
    autostart.set(true).unwrap();
    let file = autostart.entry_path().to_path_buf();
    // What GNOME's startup settings write when the user unticks the entry.
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "X-GNOME-Autostart-enabled=true",
        "X-GNOME-Autostart-enabled=false",
    );
    std::fs::write(&file, text).unwrap();
    assert!(!autostart.is_enabled().unwrap());
    autostart.set(true).unwrap();
    assert!(autostart.is_enabled().unwrap());
}

#[test]
fn given_a_config_folder_that_is_a_file_when_switched_on_then_it_fails_and_stays_off() {
    let config = ConfigDir::new("blocked");
    std::fs::write(&config.0, b"not a folder").unwrap();
    let autostart = Autostart::new(PathBuf::from("/usr/bin/hubkey-desktop"), &config.0);
    assert!(autostart.set(true).is_err());
    assert!(!autostart.is_enabled().unwrap_or(false));
    std::fs::remove_file(&config.0).unwrap();
}
