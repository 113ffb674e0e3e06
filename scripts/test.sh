#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this). Works on a fresh Debian/Ubuntu
# machine: it runs scripts/setup.sh first (Node.js and Rust checked, then the build and test toolchains).
#
# Stages: formatting; the setup scripts' version checks; unused dependencies (cargo-shear); UI type check
# and unit tests; the relay page in headless Chromium; clippy;
# every Rust test (unit, sandbox over real HTTP, real Secret Service inside a private D-Bus
# session, IPC on the mock runtime); the MCP SDK tests (hubkey mcp between the official SDKs); the window under Xvfb; the app's states and the tray test;
# actionlint on the workflows; WebDriver end-to-end tests (loopback and deep link, Chromium
# clicking "Grant access"); the release .deb/.rpm; installing the .deb and running it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash scripts/setup.sh
# The pinned cargo-nextest and cargo-shear (setup.sh installs them there when the PATH has no such version).
export PATH="$ROOT/.tools/bin:$PATH"

stage() { printf '\n==> %s\n' "$*"; }
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

stage "cargo fmt --check"
cargo fmt --all -- --check

stage "Setup scripts: Node.js and Rust version checks with fake tools (tests/scripts/check-versions.sh)"
bash tests/scripts/check-versions.sh

stage "Unused or misplaced dependencies (cargo shear)"
cargo shear --locked --deny-warnings --color never

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

# Real third-party MCP code on both sides of `hubkey mcp`: the Python SDK's FastMCP upstream, the Python and
# TypeScript SDKs' stdio clients, the sandbox and a private keyring (a minute or two).
stage "MCP SDK tests: Python and TypeScript SDK clients through hubkey mcp to a FastMCP server (scripts/mcp-sdk-tests.sh)"
bash scripts/mcp-sdk-tests.sh

stage "Window smoke test under Xvfb (screenshot)"
bash scripts/screenshot-window.sh

# Reuses the binaries screenshot-window.sh does not keep, so it builds its own (debug, UI embedded).
stage "App states against the sandbox under Xvfb, and the tray test over D-Bus (scripts/screenshots.sh)"
OUT_DIR="$ROOT/artifacts/screenshots" bash scripts/screenshots.sh

stage "GitHub workflows (actionlint, with shellcheck on their run: scripts; pins, Node, SHA256SUMS, provenance)"
.tools/actionlint-venv/bin/actionlint -no-color .github/workflows/*.yml
bash tests/scripts/workflows.sh

stage "End-to-end tests: WebDriver under Xvfb, loopback and deep-link logins (scripts/e2e.sh)"
bash scripts/e2e.sh

stage "Installers: .deb and .rpm from a release build (scripts/package.sh)"
bash scripts/package.sh

stage "Install the .deb, open it, hubkey:// handler, one WebDriver test, remove it (scripts/deb-smoke.sh)"
bash scripts/deb-smoke.sh

stage "all checks passed"
