//! Test support: one test of this crate's unit-test binary run again in a child process, for what a test
//! cannot undo in its own process (a panic hook, a global subscriber). The test binary takes the same
//! arguments under libtest and cargo-nextest.

use std::process::{Command, Output};

/// Runs the test `name` of `module` (its `module_path!()`) in a child process with `envs` set and `remove`
/// unset, and returns what it printed and how it ended.
pub(crate) fn rerun_as_child(module: &str, name: &str, envs: &[(&str, &str)], remove: &[&str]) -> Output {
    let module = module.split_once("::").map_or("", |(_, m)| m);
    let mut child = Command::new(std::env::current_exe().unwrap());
    child.args(["--exact", &format!("{module}::{name}"), "--nocapture"]);
    for (name, value) in envs {
        child.env(name, value);
    }
    for name in remove {
        child.env_remove(name);
    }
    child.output().unwrap()
}
