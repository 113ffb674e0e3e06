//! docs/SECURITY.md finding 2, replayed with the real `hubkey-desktop` binary: the red team planted the log
//! file as a link to a shell start-up file and launched the app with `hubkey://oauth/$(touch …)/callback`, whose
//! path the app then logged into that file. Now the link is refused before anything is written, and the app
//! says why. (What is logged of a refused link, scheme and length only, is hubkey-shell's finding_2 tests.)
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn f2_given_the_log_file_planted_as_a_link_to_bashrc_when_a_hubkey_link_with_a_command_substitution_launches_the_app_then_bashrc_is_unchanged(
) {
    let root = std::env::temp_dir().join(format!("hubkey-f2-{}-{}", std::process::id(), line!()));
    let _ = std::fs::remove_dir_all(&root);
    let home = root.join("home");
    let logs = home.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    for dir in [&root, &home, &logs] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let bashrc = root.join("bashrc");
    std::fs::write(&bashrc, "# my shell\n").unwrap();
    std::os::unix::fs::symlink(&bashrc, logs.join("hubkey-desktop.log")).unwrap();
    let marker = root.join("pwned");

    let mut child = Command::new(env!("CARGO_BIN_EXE_hubkey-desktop"))
        .arg(format!("hubkey://oauth/$(touch {})/callback", marker.display()))
        .env("HUBKEY_HOME", &home)
        .env("HUBKEY_RELAUNCH", "0")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the app kept running with a planted log link");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();

    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("symbolic link"), "the app says why: {stderr}");
    assert!(!stderr.contains("$(touch"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&bashrc).unwrap(),
        "# my shell\n",
        "bashrc was written to"
    );
    // Running bashrc now runs nothing of the attacker's.
    let ran = Command::new("sh").arg(&bashrc).status().unwrap();
    assert!(ran.success());
    assert!(!marker.exists());
    std::fs::remove_dir_all(&root).unwrap();
}
