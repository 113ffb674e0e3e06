#!/usr/bin/env bash
# Builds Hubkey with the UI embedded, starts it under Xvfb in its own D-Bus session with a throw-away HOME and
# HUBKEY_HOME, and saves screenshots of the main window: light, dark (GTK_THEME=Adwaita:dark, which WebKitGTK
# maps to prefers-color-scheme) and with sandbox endpoint overrides (the "Sandbox" badge).
#
#   scripts/screenshot-window.sh                 # build, then shoot
#   SKIP_BUILD=1 scripts/screenshot-window.sh    # reuse the last build (target/screenshot/hubkey-desktop)
#   WAIT_SECS=30 SETTLE_SECS=2 ...               # how long to wait for the window / for the first paint
#
# Needs: xvfb (xvfb-run), xauth, xdotool, imagemagick (import), dbus (dbus-run-session).
# Prints the screenshot paths; exits non-zero if the window never appears.
set -euo pipefail

SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
ROOT="$(cd "$(dirname "$SELF")/.." && pwd)"
WAIT_SECS="${WAIT_SECS:-30}"
((WAIT_SECS >= 1)) || WAIT_SECS=1 # `timeout 0` would mean "wait forever"
SETTLE_SECS="${SETTLE_SECS:-2}"

# Inner part, run inside xvfb-run + dbus-run-session (xvfb-run is a /bin/sh script, which drops exported bash
# functions, so the script calls itself): start the app, wait for its window, shoot it, stop the app.
if [[ "${1:-}" == "--shoot" ]]; then
  bin="$2" out="$3" log="$4"
  "$bin" >"$log" 2>&1 &
  pid=$!
  wid="$(timeout "$WAIT_SECS" xdotool search --sync --onlyvisible --name '^Hubkey$' 2>/dev/null | head -n1)" || true
  if [[ -z "$wid" ]]; then
    echo "screenshot-window: no visible 'Hubkey' window within ${WAIT_SECS}s; app log:" >&2
    tail -n 40 "$log" >&2 || true
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    exit 1
  fi
  sleep "$SETTLE_SECS"
  # The webview is composited into the window, so `import -window $wid` gets only the GTK background:
  # grab the screen and crop it to the window's geometry.
  eval "$(xdotool getwindowgeometry --shell "$wid")"
  import -window root -crop "${WIDTH}x${HEIGHT}+${X}+${Y}" +repage "$out"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "screenshot-window: app ignored SIGTERM; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  exit 0
fi

cd "$ROOT"
OUT_DIR="$ROOT/artifacts/screenshots"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# `tauri build` writes target/debug/hubkey-desktop, but any later `cargo build`/`cargo test` overwrites it
# with the dev variant (which loads devUrl and shows "Could not connect"). Keep our own copy.
BIN="$TARGET_DIR/screenshot/hubkey-desktop"

for tool in xvfb-run xauth xdotool import dbus-run-session timeout; do
  command -v "$tool" >/dev/null || {
    echo "screenshot-window: missing $tool (apt-get install xvfb xauth xdotool imagemagick dbus)" >&2
    exit 2
  }
done

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  [[ -x node_modules/.bin/tauri ]] || npm ci --no-audit --no-fund >&2
  # A plain `cargo build` binary loads devUrl (the Vite dev server); `tauri build` embeds ui/dist.
  echo "screenshot-window: building (npx tauri build --debug --no-bundle)..." >&2
  start=$(date +%s)
  npx tauri build --debug --no-bundle >&2
  mkdir -p "$(dirname "$BIN")"
  cp "$TARGET_DIR/debug/hubkey-desktop" "$BIN"
  echo "screenshot-window: build took $(($(date +%s) - start)) s" >&2
fi
[[ -x "$BIN" ]] || { echo "screenshot-window: $BIN not found (run without SKIP_BUILD=1)" >&2; exit 2; }

mkdir -p "$OUT_DIR"
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/hubkey-shot.XXXXXX")"
trap 'rm -rf "$SCRATCH"' EXIT

status=0
for mode in light dark sandbox; do
  sandbox=()
  case "$mode" in
    light) out="$OUT_DIR/window.png" theme="Adwaita" ;;
    dark) out="$OUT_DIR/window-dark.png" theme="Adwaita:dark" ;;
    sandbox)
      out="$OUT_DIR/window-sandbox.png" theme="Adwaita"
      # Nothing needs to listen there: the empty state only reads the configuration.
      sandbox=(HUBKEY_APP_BASE_URL=http://127.0.0.1:8099 HUBKEY_API_BASE_URL=http://127.0.0.1:8099)
      ;;
  esac
  mkdir -p "$SCRATCH/$mode/home"
  log="$SCRATCH/$mode/app.log"
  # Throw-away HOME (a dev build registers hubkey:// under ~/.local/share) and HUBKEY_HOME; no accessibility
  # bus; no XDG dirs or endpoint overrides inherited from the caller.
  if env -u XDG_DATA_HOME -u XDG_CONFIG_HOME -u XDG_CACHE_HOME -u XDG_RUNTIME_DIR \
    -u HUBKEY_APP_BASE_URL -u HUBKEY_API_BASE_URL -u HUBKEY_MCP_BASE_URL \
    HOME="$SCRATCH/$mode/home" HUBKEY_HOME="$SCRATCH/$mode/hubkey" GTK_THEME="$theme" NO_AT_BRIDGE=1 \
    ${sandbox[@]+"${sandbox[@]}"} \
    xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- "$SELF" --shoot "$BIN" "$out" "$log" >&2; then
    echo "$out"
  else
    status=1
    break
  fi
done
exit "$status"
