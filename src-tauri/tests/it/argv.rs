//! Issue 18, point 2: hubkey-desktop launched with an argument that is not valid Unicode (a crafted launch; a
//! `hubkey://` link is ASCII) refuses it with one line and exit 2, before Tauri's single-instance and deep-link
//! plugins read the command line with `std::env::args`, which would panic.

use std::os::unix::ffi::OsStrExt;

#[test]
fn attack_given_a_launch_with_bytes_that_are_not_text_then_hubkey_desktop_refuses_it_without_a_panic() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hubkey-desktop"))
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
