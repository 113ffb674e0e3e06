#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this). Works on a fresh Debian/Ubuntu
# machine: it runs scripts/setup.sh first.
#
# Stages: formatting, lints, UI type check and unit tests, Rust tests (unit, sandbox over real
# HTTP, real Secret Service inside a private D-Bus session), then the window smoke test under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash scripts/setup.sh

stage() { printf '\n==> %s\n' "$*"; }
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

stage "cargo fmt --check"
cargo fmt --all -- --check

stage "UI: type check and unit tests"
npm run --silent check
npm run --silent test

stage "Relay page in headless Chromium"
npm run --silent test:relay

# The desktop crate embeds ui/dist at compile time; build it before clippy/tests compile the host.
stage "UI: production build"
npm run --silent build

stage "cargo clippy (all targets, all crates, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

# Every Rust test, inside a throw-away D-Bus session with an unlocked gnome-keyring, so the
# keychain tests exercise the real Secret Service (never a mock).
stage "Rust tests (sandbox over loopback HTTP, real Secret Service)"
bash scripts/with-keyring.sh cargo nextest run --workspace --locked --no-fail-fast

stage "Window smoke test under Xvfb (screenshot)"
bash scripts/screenshot-window.sh

stage "all checks passed"
