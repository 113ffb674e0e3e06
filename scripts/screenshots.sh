#!/usr/bin/env bash
# Screenshots of the desktop app in its main states, against the local HubSpot sandbox, for docs/screenshots/:
#
#   empty.png            no app registered yet (the empty state)
#   register-error.png   the registration form with a scope in both lists (HubSpot's "scope mismatch")
#   connected.png        one fresh connection (Starter portal: an optional scope dropped by its tier)
#   connected-dark.png   the same in dark mode (GTK_THEME=Adwaita:dark → prefers-color-scheme: dark)
#   needs-reauth.png     the same connection after the app was uninstalled in the portal
#
#   scripts/screenshots.sh                 # build, then shoot
#   SKIP_BUILD=1 scripts/screenshots.sh    # reuse the last build (target/screenshots/)
#   OUT_DIR=/tmp/shots WAIT_SECS=30 SETTLE_SECS=3 scripts/screenshots.sh
#
# Everything runs in a throw-away world: scripts/with-keyring.sh gives a private D-Bus session with an unlocked
# gnome-keyring, a throw-away HOME and HUBKEY_HOME; the keychain service name is unique per run; the app and the
# `hubkey` CLI talk to a sandbox on free loopback ports; the display is a private Xvfb. The CLI sets up the
# state (`hubkey app add`, `hubkey login --no-browser` with the sandbox's auto_grant switch, `hubkey refresh`
# after POST /_sandbox/uninstall), and xdotool types into the registration form — no demo mode in the app.
#
# Also the tray test: the tray menu is read and its "Copy token" item clicked over D-Bus (needs
# status-notifier-watcher and xclip), and the clipboard must then hold the connection's working token. Then the
# window is closed as a window manager would: it and its WebKitWebProcess must go away while the app and its tray
# stay, and "Open Hubkey" must bring back a painted window; closed and idle, the app must replace its process with
# a tray-only one that has no WebKit process left (scripts/tray-reopen.py).
#
# Needs: xvfb (Xvfb), xdotool, imagemagick (import), dbus, gnome-keyring, curl, python3, xclip.
set -euo pipefail

SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
ROOT="$(cd "$(dirname "$SELF")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN_DIR="$TARGET_DIR/screenshots"
export WAIT_SECS="${WAIT_SECS:-30}" SETTLE_SECS="${SETTLE_SECS:-3}"
export OUT_DIR="${OUT_DIR:-$ROOT/docs/screenshots}"

log() { echo "screenshots: $*" >&2; }

# ----- inner part: runs inside scripts/with-keyring.sh ---------------------------------------------------------
if [[ "${1:-}" == "--inner" ]]; then
  APP="$BIN_DIR/hubkey-desktop" CLI="$BIN_DIR/hubkey" SANDBOX="$BIN_DIR/hubspot-sandbox"
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/hubkey-shots.XXXXXX")"
  pids=()
  cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
  }
  trap cleanup EXIT
  # A private config folder: the window's kept size (tauri-plugin-window-state) and the autostart entry the
  # tray test writes stay out of the user's own ~/.config.
  export XDG_CONFIG_HOME="$WORK/config"
  mkdir -p "$XDG_CONFIG_HOME"
  # tray-reopen.py reads the app's /proc maps and memory; as another user than root that needs the processes
  # dumpable, which the app turns off (hubkey-shell's process.rs). Root (CI) tests them as shipped.
  if [[ "$(id -u)" != 0 ]]; then export HUBKEY_DUMPABLE=1; fi

  # A private X display.
  display=99
  while [[ -e "/tmp/.X$display-lock" || -e "/tmp/.X11-unix/X$display" ]]; do display=$((display + 1)); done
  Xvfb ":$display" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
  pids+=($!)
  export DISPLAY=":$display"
  for _ in $(seq 1 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.05; done

  # A StatusNotifier host, so the tray icon registers and its menu can be read over D-Bus (no tooltip on Linux).
  if command -v status-notifier-watcher >/dev/null; then
    status-notifier-watcher >"$WORK/watcher.log" 2>&1 &
    pids+=($!)
  fi

  # The sandbox on free ports.
  "$SANDBOX" --port 0 --mcp-port 0 --print-ready-json >"$WORK/sandbox.json" 2>"$WORK/sandbox.log" &
  pids+=($!)
  for _ in $(seq 1 200); do [[ -s "$WORK/sandbox.json" ]] && break; sleep 0.05; done
  read -r BASE MCP < <(python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); print(d["base_url"], d["mcp_base_url"])' "$WORK/sandbox.json")
  log "sandbox at $BASE"
  export HUBKEY_APP_BASE_URL="$BASE" HUBKEY_API_BASE_URL="$BASE" HUBKEY_MCP_BASE_URL="$MCP"
  export HUBKEY_KEYCHAIN_SERVICE="hubkey-screenshots-$$" NO_AT_BRIDGE=1 HUBKEY_LOG=info
  # The closed, idle app replaces its process after this many seconds (relaunch.rs; 20 by default). Long enough
  # for tray-reopen.py's earlier steps, which reopen the window sooner (and the token copied by the tray test
  # keeps the process as it is until step 7 replaces the clipboard's text).
  export HUBKEY_RELAUNCH_QUIET_SECS=5
  fixture() { curl -fsS "$BASE/_sandbox/fixture"; }
  CLIENT_ID="$(fixture | python3 -c 'import json,sys; a=[x for x in json.load(sys.stdin)["apps"] if x["name"]=="Hubkey Demo"][0]; print(a["client_id"])')"
  CLIENT_SECRET="$(fixture | python3 -c 'import json,sys; a=[x for x in json.load(sys.stdin)["apps"] if x["name"]=="Hubkey Demo"][0]; print(a["client_secret"])')"
  STARTER="$(fixture | python3 -c 'import json,sys; p=[x for x in json.load(sys.stdin)["portals"] if x["tier"]=="Starter"][0]; print(p["hub_id"])')"

  app_pid=""
  # tauri-plugin-single-instance owns this name; a new instance started before it is released would only
  # forward its arguments to the old one and exit.
  SINGLE_INSTANCE_NAME="dev.hubkey.app.SingleInstance"
  name_owned() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner "string:$SINGLE_INSTANCE_NAME" 2>/dev/null | grep -q "boolean true"
  }
  launch() { # theme
    for _ in $(seq 1 100); do name_owned || break; sleep 0.1; done
    GTK_THEME="$1" "$APP" >>"$WORK/app.log" 2>&1 &
    app_pid=$!
    pids+=("$app_pid")
    wid="$(timeout "$WAIT_SECS" xdotool search --sync --onlyvisible --name '^Hubkey$' 2>/dev/null | head -n1)" || true
    [[ -n "$wid" ]]
  }
  start_app() { # theme
    if ! launch "$1"; then
      log "no window yet; starting the app once more"
      stop_app
      launch "$1" || {
        log "no visible 'Hubkey' window within ${WAIT_SECS}s; app log:"
        tail -n 40 "$WORK/app.log" >&2 || true
        exit 1
      }
    fi
    # Wait until the webview has painted something (a blank window is one flat colour), then let it settle.
    for _ in $(seq 1 $((WAIT_SECS * 4))); do
      eval "$(xdotool getwindowgeometry --shell "$wid")"
      sd="$(import -window root -crop "${WIDTH}x${HEIGHT}+${X}+${Y}" +repage -colorspace gray -format '%[fx:standard_deviation]' info: 2>/dev/null || echo 0)"
      python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0.02 else 1)' "$sd" && break
      sleep 0.25
    done
    sleep "$SETTLE_SECS"
  }
  stop_app() {
    kill -TERM "$app_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do name_owned || break; sleep 0.1; done
  }
  shoot() { # name
    # The webview is composited into the window: grab the screen, crop to the window.
    eval "$(xdotool getwindowgeometry --shell "$wid")"
    import -window root -crop "${WIDTH}x${HEIGHT}+${X}+${Y}" +repage "$OUT_DIR/$1.png"
    echo "$OUT_DIR/$1.png"
  }
  # The tray menu's labels as text (com.canonical.dbusmenu over the session bus), when a watcher runs.
  dump_tray() { # name
    command -v status-notifier-watcher >/dev/null || return 0
    local bus item menu
    bus="$(gdbus call --session -d org.kde.StatusNotifierWatcher -o /StatusNotifierWatcher \
      -m org.freedesktop.DBus.Properties.Get org.kde.StatusNotifierWatcher RegisteredStatusNotifierItems 2>/dev/null \
      | grep -o "':[^'/]*" | head -n1 | tr -d "'" || true)"
    [[ -n "$bus" ]] || { log "no tray item registered"; return 0; }
    # libayatana-appindicator exports the item under /org/ayatana/NotificationItem/<id>, its menu below it.
    item="$(gdbus introspect --session -d "$bus" -o /org/ayatana/NotificationItem -r 2>/dev/null \
      | grep -o 'node /org/ayatana/NotificationItem/[^ /]*' | head -n1 | cut -d' ' -f2 || true)"
    menu="$(gdbus call --session -d "$bus" -o "$item" -m org.freedesktop.DBus.Properties.Get \
      org.kde.StatusNotifierItem Menu 2>/dev/null | grep -o "objectpath '[^']*'" | cut -d"'" -f2 || true)"
    [[ -n "$menu" ]] || { log "tray item has no menu"; return 0; }
    gdbus call --session -d "$bus" -o "$menu" -m com.canonical.dbusmenu.GetLayout -- 0 -1 '[]' \
      | python3 -c '
import re, sys
layout = sys.stdin.read()
for m in re.finditer(r"\{([^{}]*)\}", layout):
    props = m.group(1)
    label = re.search(r"\x27label\x27: <\x27(.*?)\x27>", props)
    kind = re.search(r"\x27type\x27: <\x27separator\x27>", props)
    if kind:
        print("-----")
    elif label:
        disabled = "\x27enabled\x27: <false>" in props
        print(label.group(1) + ("    (disabled)" if disabled else ""))
' >"$OUT_DIR/$1.txt"
    echo "$OUT_DIR/$1.txt"
  }
  # The tray test (issue "desktop experience"): read the menu over D-Bus, check the status line, click
  # "Copy token — …" and compare the X clipboard with the connection's token. Fails the script on a mismatch.
  tray_menu() { # prints "<bus> <menu path>"
    local bus item menu
    for _ in $(seq 1 50); do
      bus="$(gdbus call --session -d org.kde.StatusNotifierWatcher -o /StatusNotifierWatcher \
        -m org.freedesktop.DBus.Properties.Get org.kde.StatusNotifierWatcher RegisteredStatusNotifierItems 2>/dev/null \
        | grep -o "':[^'/]*" | head -n1 | tr -d "'" || true)"
      [[ -n "$bus" ]] && break
      sleep 0.1
    done
    [[ -n "$bus" ]] || return 1
    item="$(gdbus introspect --session -d "$bus" -o /org/ayatana/NotificationItem -r 2>/dev/null \
      | grep -o 'node /org/ayatana/NotificationItem/[^ /]*' | head -n1 | cut -d' ' -f2 || true)"
    menu="$(gdbus call --session -d "$bus" -o "$item" -m org.freedesktop.DBus.Properties.Get \
      org.kde.StatusNotifierItem Menu 2>/dev/null | grep -o "objectpath '[^']*'" | cut -d"'" -f2 || true)"
    [[ -n "$menu" ]] && echo "$bus $menu"
  }
  tray_copy_check() {
    command -v status-notifier-watcher >/dev/null || { log "tray test needs status-notifier-watcher"; exit 1; }
    local bus menu layout status_line copy_id copied expected
    read -r bus menu < <(tray_menu) || { log "tray test: no tray item registered"; exit 1; }
    layout="$(gdbus call --session -d "$bus" -o "$menu" -m com.canonical.dbusmenu.GetLayout -- 0 -1 '[]')"
    read -r status_line copy_id < <(python3 -c '
import re, sys
items = [(int(i), p) for i, p in re.findall(r"\((\d+), \{([^{}]*)\}", sys.argv[1])]
label = lambda p: (re.search(r"\x27label\x27: <\x27(.*?)\x27>", p) or [None, ""])[1]
status = [p for i, p in items if "\x27enabled\x27: <false>" in p and label(p)]
copy = [i for i, p in items if label(p).startswith("Copy token")]
print((label(status[0]) if status else "-").replace(" ", "_"), copy[0] if copy else "-")
' "$layout")
    [[ "$status_line" == 1_connection* ]] || { log "tray test: status line is '$status_line'"; exit 1; }
    [[ "$copy_id" != "-" ]] || { log "tray test: no 'Copy token' item in: $layout"; exit 1; }
    printf 'unrelated' | xclip -selection clipboard
    gdbus call --session -d "$bus" -o "$menu" -m com.canonical.dbusmenu.Event -- "$copy_id" clicked '<"">' 0 >/dev/null
    copied=""
    for _ in $(seq 1 50); do
      copied="$(xclip -o -selection clipboard 2>/dev/null || true)"
      [[ -n "$copied" && "$copied" != unrelated ]] && break
      sleep 0.1
    done
    expected="$("$CLI" token --app demo --portal "$STARTER")"
    if [[ "$copied" != "$expected" ]]; then log "tray test: the clipboard does not hold the connection's token"; exit 1; fi
    code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $copied" "$BASE/account-info/2026-09/details")"
    [[ "$code" == 200 ]] || { log "tray test: HubSpot refused the copied token ($code)"; exit 1; }
    log "tray: 3 passed, 0 failed (status line '${status_line//_/ }', Copy token item, clipboard holds a working token)"
  }
  # The tray test, part 2: closing the window frees its webview and web process while the app stays in the
  # tray; "Open Hubkey" (clicked over D-Bus) builds the window again. The X11 and /proc checks are in
  # scripts/tray-reopen.py, which names the first failed one.
  tray_reopen_check() {
    local bus menu
    read -r bus menu < <(tray_menu) || { log "tray reopen test: no tray item registered"; exit 1; }
    python3 "$ROOT/scripts/tray-reopen.py" --pid "$app_pid" --bus "$bus" --menu "$menu" --relaunch "$APP" \
      --background-after "$HUBKEY_RELAUNCH_QUIET_SECS" --cli "$CLI" --timeout "$WAIT_SECS" \
      --autostart-entry "$XDG_CONFIG_HOME/autostart/Hubkey.desktop" >&2 || {
      log "tray reopen test failed; app log:"
      tail -n 30 "$WORK/app.log" >&2 || true
      exit 1
    }
    wid="$(xdotool search --onlyvisible --name '^Hubkey$' 2>/dev/null | head -n1)"
  }
  keys() { xdotool key --delay 60 "$@"; }
  type_text() { xdotool type --delay 15 -- "$1"; }

  mkdir -p "$OUT_DIR"

  # (a) The empty state.
  start_app Adwaita
  shoot empty

  # (d) Registration with a validation error, driven from the keyboard: the empty state's first focusable
  # element is "Register an app"; the form focuses its first field.
  xdotool windowfocus --sync "$wid" 2>/dev/null || true
  xdotool mousemove --window "$wid" 5 5 click 1
  keys Tab Return
  sleep 1
  type_text "my-app"; keys Tab
  type_text "$CLIENT_ID"; keys Tab
  type_text "not-the-real-secret"; keys Tab Tab Tab
  keys ctrl+a; type_text "oauth crm.objects.contacts.read"; keys Tab
  type_text "crm.objects.deals.read crm.objects.contacts.read"
  keys Tab Tab Tab Return # MCP toggle, Cancel, then "Register app": shows every message, focuses the first error
  sleep 1
  shoot register-error
  stop_app

  # (b) One fresh connection, made with the CLI (the sandbox grants at once with auto_grant).
  printf %s "$CLIENT_SECRET" | "$CLI" app add demo --client-id "$CLIENT_ID" \
    --redirect-uri http://localhost:53682/callback --scopes "oauth crm.objects.contacts.read" \
    --optional-scopes "crm.objects.deals.read automation" >/dev/null
  curl -fsS -X PATCH -H 'content-type: application/json' -d '{"auto_grant":true}' "$BASE/_sandbox/switches" >/dev/null
  "$CLI" login --app demo --portal "$STARTER" --no-browser --timeout 60 >"$WORK/login.out" 2>"$WORK/login.err" &
  login_pid=$!
  url=""
  for _ in $(seq 1 100); do
    url="$(grep -o 'http://127\.0\.0\.1:[0-9]*/oauth/[^[:space:]]*' "$WORK/login.err" | head -n1 || true)"
    [[ -n "$url" ]] && break
    sleep 0.1
  done
  [[ -n "$url" ]] || { log "hubkey login printed no authorize URL:"; cat "$WORK/login.err" >&2; exit 1; }
  curl -fsS -L -o /dev/null "$url"
  wait "$login_pid" || { log "hubkey login failed:"; cat "$WORK/login.err" >&2; exit 1; }

  start_app Adwaita
  shoot connected
  tray_copy_check
  tray_reopen_check
  stop_app
  # tray-reopen.py resized the window, and tauri-plugin-window-state kept that size for the next start: the
  # shots below are of the window's first size.
  rm -f "$XDG_CONFIG_HOME/dev.hubkey.app/.window-state.json"

  # (e) Dark mode.
  start_app Adwaita:dark
  shoot connected-dark
  stop_app

  # (c) Needs re-authorization: uninstall the app in the portal; the next refresh is refused
  # (BAD_REFRESH_TOKEN) and the connection is marked, as the desktop's refresher would do on its own.
  curl -fsS -X POST -H 'content-type: application/json' \
    -d "{\"client_id\":\"$CLIENT_ID\",\"hub_id\":$STARTER}" "$BASE/_sandbox/uninstall" >/dev/null
  if "$CLI" refresh --app demo --portal "$STARTER" >/dev/null 2>"$WORK/refresh.err"; then
    log "the refresh after uninstall unexpectedly succeeded"; exit 1
  fi
  start_app Adwaita
  shoot needs-reauth
  dump_tray tray-menu
  stop_app
  exit 0
fi

# ----- outer part: build, then run the inner part in a private keyring session ---------------------------------
cd "$ROOT"
for tool in Xvfb xdotool import xdpyinfo dbus-run-session gnome-keyring-daemon curl python3 timeout; do
  command -v "$tool" >/dev/null || {
    log "missing $tool (apt-get install xvfb x11-utils xdotool imagemagick dbus gnome-keyring curl python3)"
    exit 2
  }
done

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  [[ -x node_modules/.bin/tauri ]] || npm ci --no-audit --no-fund >&2
  log "building (npx tauri build --debug --no-bundle; cargo build -p hubkey-cli -p hubspot-sandbox)..."
  npx tauri build --debug --no-bundle >&2
  mkdir -p "$BIN_DIR"
  # Keep private copies: a later `cargo build`/`cargo test` overwrites target/debug/hubkey-desktop with a
  # variant that loads the Vite dev server.
  cp "$TARGET_DIR/debug/hubkey-desktop" "$BIN_DIR/hubkey-desktop"
  # Beside it, as installed: the closed, idle app hands over to the tray-only program (scripts/build-tray.mjs).
  cp "$TARGET_DIR/debug/hubkey-tray" "$BIN_DIR/hubkey-tray"
  cargo build -q -p hubkey-cli -p hubspot-sandbox >&2
  cp "$TARGET_DIR/debug/hubkey" "$TARGET_DIR/debug/hubspot-sandbox" "$BIN_DIR/"
fi
for bin in hubkey-desktop hubkey-tray hubkey hubspot-sandbox; do
  [[ -x "$BIN_DIR/$bin" ]] || { log "$BIN_DIR/$bin not found (run without SKIP_BUILD=1)"; exit 2; }
done

exec "$ROOT/scripts/with-keyring.sh" "$SELF" --inner
