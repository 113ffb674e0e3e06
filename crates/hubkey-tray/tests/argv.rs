//! Issue 18, point 2: a launch with an argument that is not valid Unicode (what only a crafted launch can
//! send; a `hubkey://` link is ASCII) is refused with one line and exit 2, before anything reads the command
//! line the way Rust's `std::env::args` does, which would panic.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::ffi::OsStrExt;

#[test]
fn attack_given_a_launch_with_bytes_that_are_not_text_then_hubkey_tray_refuses_it_without_a_panic() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hubkey-tray"))
        .arg(std::ffi::OsStr::from_bytes(
            b"hubkey://oauth/callback?code=\xff\xfe",
        ))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("argument 1 is not valid text"), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("oauth"),
        "{stderr}"
    );
}
