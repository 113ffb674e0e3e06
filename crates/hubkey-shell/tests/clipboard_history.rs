//! docs/SECURITY.md finding 11 (and issue 16 point 7), on a real X server: a copied token carries the marker
//! clipboard managers honour to keep it out of their history. Xvfb is started by the test; `xclip` reads the
//! selection as another program (a clipboard manager) would.
//!
//! Its own test binary: it sets DISPLAY for the process.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hubkey_shell::clipboard::{Clipboard, SystemClipboard};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Xvfb(Child);

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts Xvfb on a display it picks itself (`-displayfd`); returns it and `:N`.
fn xvfb() -> (Xvfb, String) {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-nolisten",
            "tcp",
            "-screen",
            "0",
            "640x480x24",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb must be installed to test the clipboard (scripts/setup.sh installs it)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let display = format!(":{}", line.trim());
    (Xvfb(child), display)
}

fn xclip(display: &str, target: &str) -> String {
    let out = Command::new("xclip")
        .args(["-selection", "clipboard", "-o", "-t", target])
        .env("DISPLAY", display)
        .output()
        .expect("xclip must be installed to test the clipboard (scripts/setup.sh installs it)");
    assert!(
        out.status.success(),
        "xclip -t {target}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn f11_given_a_token_copied_on_x11_when_a_clipboard_manager_looks_then_it_is_marked_to_stay_out_of_history() {
    let (_server, display) = xvfb();
    // X11, even when the test runs inside a Wayland session.
    std::env::set_var("DISPLAY", &display);
    std::env::remove_var("WAYLAND_DISPLAY");

    let clipboard = SystemClipboard::default();
    clipboard.write_text("pat-na1-0123456789abcdef").unwrap();

    let targets = xclip(&display, "TARGETS");
    let targets: Vec<&str> = targets.lines().collect();
    assert!(
        targets.contains(&"x-kde-passwordManagerHint"),
        "offered targets: {targets:?}"
    );
    assert_eq!(xclip(&display, "x-kde-passwordManagerHint"), "secret");
    assert_eq!(xclip(&display, "UTF8_STRING"), "pat-na1-0123456789abcdef");
    assert_eq!(
        clipboard.read_text().unwrap().as_deref(),
        Some("pat-na1-0123456789abcdef")
    );

    clipboard.clear().unwrap();
    assert_eq!(clipboard.read_text().unwrap(), None);
}
