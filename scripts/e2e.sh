#!/usr/bin/env bash
# End-to-end tests of the desktop app (tests/e2e/): a real window under Xvfb driven over WebDriver
# (tauri-driver + WebKitWebDriver), the real Secret Service (scripts/with-keyring.sh), the HubSpot sandbox on
# loopback, and headless Chromium as the system browser ($BROWSER = tests/e2e/browser.mjs) clicking
# "Grant access". Screenshots land in artifacts/screenshots/e2e-*.png.
#
#   bash scripts/e2e.sh                    # build (UI embedded), then run the tests
#   SKIP_BUILD=1 bash scripts/e2e.sh       # reuse target/e2e/ from the last build
#   HUBKEY_E2E_APP=/usr/bin/hubkey-desktop HUBKEY_E2E_ONLY=loopback SKIP_BUILD=1 bash scripts/e2e.sh
#                                          # the loopback test against another binary (scripts/deb-smoke.sh)
#
# Needs what scripts/setup.sh installs: tauri-driver (.tools/bin), webkit2gtk-driver, xvfb, gnome-keyring,
# dbus, chromium, xclip, node + playwright-core.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
E2E_DIR="$TARGET_DIR/e2e"

log() { echo "e2e: $*" >&2; }

for tool in xvfb-run xauth dbus-run-session gnome-keyring-daemon WebKitWebDriver xclip node; do
  command -v "$tool" >/dev/null || { log "missing $tool (run scripts/setup.sh)"; exit 2; }
done
DRIVER="${TAURI_DRIVER:-$ROOT/.tools/bin/tauri-driver}"
[[ -x "$DRIVER" ]] || { log "tauri-driver not found at $DRIVER (scripts/setup.sh installs it)"; exit 2; }
[[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]] || { log "no Chromium at ${CHROMIUM_PATH:-/usr/bin/chromium}"; exit 2; }

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  [[ -x node_modules/.bin/tauri ]] || npm ci --no-audit --no-fund >&2
  start=$(date +%s)
  # `tauri build` embeds ui/dist; a plain `cargo build` binary would load the Vite dev server instead.
  log "building the app (npx tauri build --debug --no-bundle)"
  npx tauri build --debug --no-bundle >&2
  mkdir -p "$E2E_DIR"
  # Our own copy: any later `cargo build`/`cargo test` overwrites target/debug/hubkey-desktop with the dev variant.
  cp "$TARGET_DIR/debug/hubkey-desktop" "$E2E_DIR/hubkey-desktop"
  log "building the sandbox and the hubkey CLI"
  cargo build -q --locked -p hubspot-sandbox -p hubkey-cli >&2
  cp "$TARGET_DIR/debug/hubspot-sandbox" "$E2E_DIR/hubspot-sandbox"
  # Beside the app, as the packages install it: the "Use in an AI client…" dialog's entries run this one.
  cp "$TARGET_DIR/debug/hubkey" "$E2E_DIR/hubkey"
  log "build took $(($(date +%s) - start)) s"
fi

export HUBKEY_E2E_APP="${HUBKEY_E2E_APP:-$E2E_DIR/hubkey-desktop}"
export HUBKEY_E2E_SANDBOX="${HUBKEY_E2E_SANDBOX:-$E2E_DIR/hubspot-sandbox}"
export TAURI_DRIVER="$DRIVER"
export HUBKEY_E2E_ARTIFACTS="${HUBKEY_E2E_ARTIFACTS:-$ROOT/artifacts/screenshots}"
for bin in "$HUBKEY_E2E_APP" "$HUBKEY_E2E_SANDBOX"; do
  [[ -x "$bin" ]] || { log "$bin not found (run without SKIP_BUILD=1)"; exit 2; }
done
mkdir -p "$HUBKEY_E2E_ARTIFACTS"
# Screenshots of an earlier run (a stale *-failure.png would mislead).
rm -f "$HUBKEY_E2E_ARTIFACTS/${HUBKEY_E2E_SHOT_PREFIX:-e2e-}"*.png
# No endpoint overrides, keychain names or XDG dirs from the caller: each test sets its own.
unset HUBKEY_APP_BASE_URL HUBKEY_API_BASE_URL HUBKEY_MCP_BASE_URL HUBKEY_KEYCHAIN_SERVICE HUBKEY_HOME BROWSER

log "running tests/e2e against $HUBKEY_E2E_APP"
start=$(date +%s)
status=0
# xvfb-run: a private X display (and X clipboard); with-keyring.sh: a private D-Bus session with an unlocked
# gnome-keyring and a throw-away HOME. One test at a time: the loopback redirect port is fixed (53682).
xvfb-run -a -s "-screen 0 1280x800x24" \
  "$ROOT/scripts/with-keyring.sh" node --test --test-concurrency=1 --test-reporter=spec \
  "$ROOT/tests/e2e/" || status=$?
log "tests took $(($(date +%s) - start)) s (exit $status)"
ls -1 "$HUBKEY_E2E_ARTIFACTS"/"${HUBKEY_E2E_SHOT_PREFIX:-e2e-}"*.png 2>/dev/null | sed 's/^/e2e: screenshot /' >&2 || true
exit "$status"
