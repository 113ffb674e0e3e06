#!/usr/bin/env bash
# Builds and launches the Hubkey desktop app. Installs only what building and running need
# (`scripts/setup.sh --build`: it checks Node.js and Rust first, then Tauri's build libraries and the npm packages;
# Xvfb too when there is no display), never the test toolchain.
#
#   bash scripts/run-app.sh             # against the real HubSpot
#   bash scripts/run-app.sh --sandbox   # against a local HubSpot sandbox (no HubSpot account needed)
#
# Extra arguments after `--` go to the app. Without a display (SSH, CI) it runs under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."

SANDBOX=0
while (($#)); do
  case "$1" in
    --sandbox) SANDBOX=1; shift ;;
    --) shift; break ;;
    *) echo "usage: bash scripts/run-app.sh [--sandbox] [-- app args]" >&2; exit 2 ;;
  esac
done

bash scripts/setup.sh --build

# A debug build with the UI embedded (a plain `cargo build` would wait for the Vite dev server).
npx tauri build --debug --no-bundle
APP=target/debug/hubkey-desktop

SANDBOX_PID=""
cleanup() { [ -n "$SANDBOX_PID" ] && kill "$SANDBOX_PID" 2>/dev/null || true; }
trap cleanup EXIT

if [ "$SANDBOX" = 1 ]; then
  cargo build -q -p hubspot-sandbox
  target/debug/hubspot-sandbox --port 4010 --mcp-port 4011 &
  SANDBOX_PID=$!
  for _ in $(seq 1 50); do curl -fsS -o /dev/null http://127.0.0.1:4010/_sandbox/switches 2>/dev/null && break; sleep 0.1; done
  export HUBKEY_APP_BASE_URL=http://127.0.0.1:4010 HUBKEY_API_BASE_URL=http://127.0.0.1:4010 \
         HUBKEY_MCP_BASE_URL=http://127.0.0.1:4011
  echo "run-app: HubSpot sandbox on http://127.0.0.1:4010 (MCP on :4011)" >&2
fi

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "run-app: no display found; running under Xvfb (use scripts/screenshot-window.sh to see it)" >&2
  exec xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- "$APP" "$@"
fi
"$APP" "$@"
