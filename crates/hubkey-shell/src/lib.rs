//! What Hubkey's two desktop processes share, without Tauri or WebKit.
//!
//! On Linux the tray lives in a process of its own that never loads WebKit (`hubkey-tray`): the window process
//! (`hubkey-desktop`) and it replace each other as the window opens and closes (hubkey-desktop's relaunch.rs,
//! docs/BENCHMARKS.md finding 8). Both show the same tray menu, copy tokens the same way and log to the same
//! file, so those parts live here, free of either process's toolkit.

pub mod autostart;
pub mod clipboard;
pub mod copy;
pub mod debounce;
pub mod handoff;
pub mod localtime;
pub mod logging;
pub mod notifications;
pub mod process;
#[cfg(test)]
mod rerun;
pub mod tray_actions;
pub mod tray_menu;
