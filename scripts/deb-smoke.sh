#!/usr/bin/env bash
# Installs the built .deb like a user would and checks it, then removes it again:
#   1. `dpkg -i` (then `apt-get -f install` if dependencies are missing);
#   2. the package ships hubkey-desktop and hubkey-tray (which links no WebKit) in /usr/bin and a desktop entry
#      with `MimeType=x-scheme-handler/hubkey`, and
#      after update-desktop-database `xdg-mime query default x-scheme-handler/hubkey` names that entry;
#   3. the `hubkey` CLI: /usr/bin/hubkey, its man pages (`man hubkey`, `man hubkey-token`) and its bash, zsh and
#      fish completions where those shells look for them (bash completes `hubkey to` to `token`); then, in a
#      private Secret Service against the HubSpot sandbox, the installed CLI registers an app, logs in (the
#      script plays the browser) and `hubkey token` prints a token the sandbox's API accepts;
#   4. the installed binary opens its window under Xvfb (throw-away HOME, private D-Bus session):
#      artifacts/screenshots/deb-installed.png; `xdg-open hubkey://…` and `gio open hubkey://…` hand the URL to
#      the running instance through the registered handler (its log says so);
#   5. one end-to-end WebDriver test (tests/e2e, the loopback login) against the INSTALLED binary;
#   6. `dpkg -r`, always, even when a step failed.
#
#   bash scripts/deb-smoke.sh [path/to/hubkey.deb]   # default: the newest target/release/bundle/deb/*.deb
#   DEB_SMOKE_E2E=0 bash scripts/deb-smoke.sh        # skip step 5
#
# Needs root or sudo (dpkg). Build the .deb first with scripts/package.sh; steps 3 and 5 reuse target/e2e/ from
# scripts/e2e.sh (the sandbox binary) when it exists.
set -euo pipefail
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
ROOT="$(cd "$(dirname "$SELF")/.." && pwd)"
WAIT_SECS="${WAIT_SECS:-30}"
log() { echo "deb-smoke: $*" >&2; }

# ----- inner part: inside xvfb-run + scripts/with-keyring.sh (a private display, bus and HOME) -------------
if [[ "${1:-}" == "--window" ]]; then
  bin="$2" out="$3"
  export HUBKEY_HOME="$HOME/hubkey" NO_AT_BRIDGE=1 GTK_THEME=Adwaita
  # The real HubSpot endpoints, as a user gets them: showing the window needs no network.
  export HUBKEY_KEYCHAIN_SERVICE="hubkey-debsmoke-$$"
  started=$(date +%s.%N)
  "$bin" >"$HOME/app.out" 2>&1 &
  pid=$!
  stop() {
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  }
  trap stop EXIT
  wid="$(timeout "$WAIT_SECS" xdotool search --sync --onlyvisible --name '^Hubkey$' 2>/dev/null | head -n1)" || true
  if [[ -z "$wid" ]]; then
    log "no visible 'Hubkey' window within ${WAIT_SECS}s; app output:"
    tail -n 40 "$HOME/app.out" >&2 || true
    exit 1
  fi
  log "window mapped $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}') s after exec"
  # Wait for the webview's first paint (a blank window is one flat colour), then shoot the window's area
  # (the webview is composited, so grab the screen and crop).
  for _ in $(seq 1 $((WAIT_SECS * 4))); do
    eval "$(xdotool getwindowgeometry --shell "$wid")"
    sd="$(import -window root -crop "${WIDTH}x${HEIGHT}+${X}+${Y}" +repage -colorspace gray -format '%[fx:standard_deviation]' info: 2>/dev/null || echo 0)"
    awk -v s="$sd" 'BEGIN{exit !(s > 0.02)}' && break
    sleep 0.25
  done
  sleep 1
  eval "$(xdotool getwindowgeometry --shell "$wid")"
  import -window root -crop "${WIDTH}x${HEIGHT}+${X}+${Y}" +repage "$out"
  log "screenshot $out"

  # The registered handler, used the two ways browsers do: xdg-open (Chromium) and GIO (Firefox, and xdg-open
  # itself on GNOME). Each runs the .desktop entry's Exec with the URL; single-instance forwards it to this
  # running instance, where it is refused (no sign-in is pending) and logged without its query.
  applog="$HUBKEY_HOME/logs/hubkey-desktop.log"
  delivered() {
    local c
    c="$(grep -c 'no_pending_login' "$applog" 2>/dev/null)" || true
    echo "${c:-0}"
  }
  n=0
  for opener in xdg-open "gio open"; do
    n=$((n + 1))
    # shellcheck disable=SC2086 # "gio open" is two words on purpose
    if ! timeout 20 $opener "hubkey://oauth/callback?code=smokecode$n&state=smokestate$n" >"$HOME/opener.log" 2>&1; then
      log "$opener hubkey://… failed:"
      cat "$HOME/opener.log" >&2
      exit 1
    fi
    for _ in $(seq 1 50); do (($(delivered) >= n)) && break; sleep 0.1; done
    if (($(delivered) < n)); then
      log "$opener hubkey://… did not hand the URL to the running instance; app log:"
      tail -n 30 "$applog" >&2 || true
      exit 1
    fi
    log "$opener hubkey://… reached the running instance"
  done
  if grep -q -e smokecode -e smokestate "$applog"; then
    log "the app logged the deep link's code or state"
    exit 1
  fi
  exit 0
fi

# ----- inner part: the installed CLI, inside scripts/with-keyring.sh (a private bus, Secret Service and HOME) --
if [[ "${1:-}" == "--cli" ]]; then
  cli="$2" sandbox="$3"
  "$sandbox" --port 0 --mcp-port 0 --auto-grant --print-ready-json >"$HOME/sandbox.out" 2>"$HOME/sandbox.err" &
  spid=$!
  trap 'kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do grep -q '"ready":true' "$HOME/sandbox.out" 2>/dev/null && break; sleep 0.1; done
  ready() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])' "$HOME/sandbox.out" "$1"; }
  base="$(ready base_url)" || { log "the sandbox did not start:"; cat "$HOME/sandbox.err" >&2; exit 1; }
  mcp_base="$(ready mcp_base_url)"
  export HUBKEY_HOME="$HOME/hubkey-cli" HUBKEY_KEYCHAIN_SERVICE="hubkey-debsmoke-cli-$$"
  export HUBKEY_APP_BASE_URL="$base" HUBKEY_API_BASE_URL="$base" HUBKEY_MCP_BASE_URL="$mcp_base"
  # The sandbox's demo app (tests/hubspot-sandbox/fixtures/demo.json; fake credentials); the secret goes on stdin.
  printf '%s\n' 0d6e4c2a-9f8b-4e7d-a6c5-b4a3f2e1d0c9 | "$cli" app add demo \
    --client-id 5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60 --redirect-uri http://localhost:53682/callback \
    --scopes "oauth crm.objects.contacts.read" >"$HOME/app-add.out" 2>&1 \
    || { log "hubkey app add failed:"; cat "$HOME/app-add.out" >&2; exit 1; }
  "$cli" login --no-browser --json --timeout 60 >"$HOME/login.json" 2>"$HOME/login.err" &
  lpid=$!
  url=""
  for _ in $(seq 1 100); do
    url="$(grep -m1 -E '^https?://' "$HOME/login.err" || true)"
    [[ -n "$url" ]] && break
    sleep 0.1
  done
  [[ -n "$url" ]] || { log "hubkey login printed no URL:"; cat "$HOME/login.err" >&2; exit 1; }
  # The browser's part: with auto_grant the sandbox redirects at once to the CLI's loopback listener.
  curl -fsS -L -o /dev/null "$url" || { log "the consent redirect did not reach hubkey login"; exit 1; }
  if ! wait "$lpid"; then
    log "hubkey login failed:"; cat "$HOME/login.err" >&2; exit 1
  fi
  hub_id="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hub_id"])' "$HOME/login.json")"
  # Never printed: only its shape and whether the API takes it.
  token="$("$cli" token)" || { log "hubkey token failed"; exit 1; }
  [[ -n "$token" && "$token" != *$'\n'* && "$token" != *" "* ]] || { log "hubkey token did not print one token"; exit 1; }
  code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base/account-info/2026-09/details")"
  [[ "$code" == 200 ]] || { log "the sandbox's API answered $code to the token from hubkey token"; exit 1; }
  log "installed hubkey: app add, login (portal $hub_id) and \`hubkey token\` against the sandbox: the API accepts the token"
  exit 0
fi

# ----- outer part ----------------------------------------------------------------------------------------
cd "$ROOT"
SUDO=""
[[ "$(id -u)" -eq 0 ]] || SUDO="sudo"
for tool in dpkg dpkg-deb xvfb-run xdotool import xdg-mime xdg-open update-desktop-database dbus-run-session curl python3 zcat; do
  command -v "$tool" >/dev/null || { log "missing $tool (run scripts/setup.sh)"; exit 2; }
done

deb="${1:-}"
if [[ -z "$deb" ]]; then
  deb="$(ls -t "${CARGO_TARGET_DIR:-$ROOT/target}"/release/bundle/deb/*.deb 2>/dev/null | head -n1 || true)"
fi
[[ -n "$deb" && -f "$deb" ]] || { log "no .deb found: build one with scripts/package.sh"; exit 2; }
pkg="$(dpkg-deb -f "$deb" Package)"
log "package $pkg $(dpkg-deb -f "$deb" Version) from $deb ($(stat -c %s "$deb") bytes)"
log "Depends: $(dpkg-deb -f "$deb" Depends)"
# The package users download is the xz repack of the bundler's (scripts/repack-deb.sh, run by scripts/package.sh).
members="$(ar t "$deb" | tr '\n' ' ')"
[[ "$members" == *"data.tar.xz"* ]] || { log "FAILED: $deb is not xz-compressed (members: $members); build it with scripts/package.sh"; exit 1; }
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
  # This test removes the package at the end. On CI (or when asked) a leftover from an interrupted run is
  # replaced; on a developer's machine with Hubkey installed for real, the test steps aside.
  if [[ "${CI:-}" != true && "${DEB_SMOKE_REPLACE:-0}" != 1 ]]; then
    log "SKIPPED: $pkg $(dpkg-query -W -f='${Version}' "$pkg") is installed on this machine and this test would remove it;"
    log "         uninstall it, or run with DEB_SMOKE_REPLACE=1"
    exit 0
  fi
  log "$pkg is already installed (a leftover?); replacing it"
fi

remove() {
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    log "removing: dpkg -r $pkg"
    $SUDO dpkg -r "$pkg" >/dev/null || log "dpkg -r $pkg failed"
  fi
}
trap remove EXIT

start=$(date +%s)
if ! $SUDO dpkg -i "$deb"; then
  log "dpkg -i left dependencies missing; apt-get -f install"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -f -y -q --no-install-recommends
fi
dpkg-query -W -f='${Status}' "$pkg" | grep -q "install ok installed" || { log "$pkg is not installed"; exit 1; }
log "installed in $(($(date +%s) - start)) s"

files="$(dpkg -L "$pkg")"
bin="$(grep -m1 '^/usr/bin/hubkey-desktop$' <<<"$files" || true)"
tray="$(grep -m1 '^/usr/bin/hubkey-tray$' <<<"$files" || true)"
desktop="$(grep -m1 '^/usr/share/applications/.*\.desktop$' <<<"$files" || true)"
[[ -n "$bin" && -x "$bin" ]] || { log "no executable in /usr/bin in $pkg:"; echo "$files" >&2; exit 1; }
[[ -n "$desktop" && -f "$desktop" ]] || { log "no desktop entry in $pkg:"; echo "$files" >&2; exit 1; }
[[ -n "$tray" && -x "$tray" ]] || { log "no /usr/bin/hubkey-tray in $pkg (the tray-only program):"; echo "$files" >&2; exit 1; }
if ldd "$tray" | grep -q -e libwebkit2gtk -e libjavascriptcoregtk; then
  log "$tray links WebKit; the tray-only program must not:"; ldd "$tray" >&2; exit 1
fi
log "binary $bin, tray-only $tray (no WebKit), desktop entry $desktop"
grep -q '^MimeType=.*x-scheme-handler/hubkey' "$desktop" || { log "$desktop lacks MimeType=x-scheme-handler/hubkey:"; cat "$desktop" >&2; exit 1; }
if ! grep -q '^Exec=.*%[uU]' "$desktop"; then
  # xdg-open in its generic mode appends the URL anyway, but GIO (GNOME, Firefox) then starts the app without
  # it and the sign-in never completes. Fix: bundle.linux.{deb,rpm}.desktopTemplate with `Exec={{exec}} %u`.
  log "$desktop: Exec has no %u, so GIO-based openers would start Hubkey without the hubkey:// URL:"
  cat "$desktop" >&2
  exit 1
fi

# What the .deb's trigger does on a desktop system; then ask xdg-mime as a fresh user would (throw-away HOME,
# so no ~/.config/mimeapps.list of this machine's user interferes).
$SUDO update-desktop-database /usr/share/applications
scratch="$(mktemp -d "${TMPDIR:-/tmp}/hubkey-deb-smoke.XXXXXX")"
trap 'remove; rm -rf "$scratch"' EXIT
mkdir -p "$scratch/home"
handler="$(env -u XDG_DATA_HOME -u XDG_CONFIG_HOME -u XDG_DATA_DIRS HOME="$scratch/home" xdg-mime query default x-scheme-handler/hubkey || true)"
if [[ "$handler" != "$(basename "$desktop")" ]]; then
  log "xdg-mime query default x-scheme-handler/hubkey says '$handler', expected $(basename "$desktop")"
  exit 1
fi
log "xdg-mime: x-scheme-handler/hubkey -> $handler"

# The CLI, its man pages and its completions, where man and the shells look for them.
cli="$(grep -m1 '^/usr/bin/hubkey$' <<<"$files" || true)"
[[ -n "$cli" && -x "$cli" ]] || { log "no /usr/bin/hubkey in $pkg:"; echo "$files" >&2; exit 1; }
version="$("$cli" --version)"
[[ "$version" == "hubkey $(dpkg-deb -f "$deb" Version)" ]] || { log "$cli --version says '$version'"; exit 1; }
for page in hubkey hubkey-token hubkey-login hubkey-app-add; do
  path="/usr/share/man/man1/$page.1.gz"
  grep -qx "$path" <<<"$files" || { log "no man page $path in $pkg"; exit 1; }
  zcat "$path" | grep -q "^\.TH $page 1" || { log "$path is not the $page(1) page"; exit 1; }
done
if command -v man >/dev/null; then
  found="$(MANPATH=/usr/share/man man -w hubkey)"
  [[ "$found" == /usr/share/man/man1/hubkey.1.gz ]] || { log "man -w hubkey finds '$found'"; exit 1; }
  MANPATH=/usr/share/man MANWIDTH=100 man hubkey-token 2>/dev/null | grep -q -- "--portal" \
    || { log "man hubkey-token does not show --portal"; exit 1; }
fi
bash_completion=/usr/share/bash-completion/completions/hubkey
zsh_completion=/usr/share/zsh/vendor-completions/_hubkey
fish_completion=/usr/share/fish/vendor_completions.d/hubkey.fish
for f in "$bash_completion" "$zsh_completion" "$fish_completion"; do
  grep -qx "$f" <<<"$files" || { log "no completion file $f in $pkg"; exit 1; }
done
# shellcheck disable=SC2016 # expanded by the inner bash
completed="$(bash -c 'source "$1"; COMP_WORDS=(hubkey to); COMP_CWORD=1; COMP_LINE="hubkey to"; COMP_POINT=9
  _hubkey hubkey to hubkey; echo "${COMPREPLY[*]}"' _ "$bash_completion")"
[[ "$completed" == token ]] || { log "bash completes 'hubkey to' to '$completed', expected token"; exit 1; }
head -n1 "$zsh_completion" | grep -q '^#compdef hubkey' || { log "$zsh_completion is not a zsh completion"; exit 1; }
grep -q '^complete -c hubkey' "$fish_completion" || { log "$fish_completion is not a fish completion"; exit 1; }
if command -v zsh >/dev/null; then zsh -n "$zsh_completion" || { log "zsh cannot parse $zsh_completion"; exit 1; }; fi
if command -v fish >/dev/null; then fish -n "$fish_completion" || { log "fish cannot parse $fish_completion"; exit 1; }; fi
log "CLI $cli ($version), man pages in /usr/share/man/man1, bash/zsh/fish completions"

# The sandbox binary for the CLI's login and the WebDriver test (scripts/e2e.sh leaves one in target/e2e/).
sandbox="${CARGO_TARGET_DIR:-$ROOT/target}/e2e/hubspot-sandbox"
if [[ ! -x "$sandbox" ]]; then
  log "building the sandbox"
  cargo build -q --locked -p hubspot-sandbox
  mkdir -p "$(dirname "$sandbox")"
  cp "${CARGO_TARGET_DIR:-$ROOT/target}/debug/hubspot-sandbox" "$sandbox"
fi
env -u HUBKEY_HOME -u HUBKEY_APP_BASE_URL -u HUBKEY_API_BASE_URL -u HUBKEY_MCP_BASE_URL \
  "$ROOT/scripts/with-keyring.sh" "$SELF" --cli "$cli" "$sandbox"

# The installed app's window, and the deep link through the registered handler.
mkdir -p "$ROOT/artifacts/screenshots"
xvfb-run -a -s "-screen 0 1280x800x24" \
  env -u XDG_DATA_DIRS -u HUBKEY_HOME -u HUBKEY_APP_BASE_URL -u HUBKEY_API_BASE_URL -u HUBKEY_MCP_BASE_URL \
  "$ROOT/scripts/with-keyring.sh" "$SELF" --window "$bin" "$ROOT/artifacts/screenshots/deb-installed.png"

# One end-to-end test against the installed binary.
if [[ "${DEB_SMOKE_E2E:-1}" == 1 ]]; then
  HUBKEY_E2E_APP="$bin" HUBKEY_E2E_SANDBOX="$sandbox" HUBKEY_E2E_ONLY=loopback HUBKEY_E2E_SHOT_PREFIX=deb-e2e- \
    SKIP_BUILD=1 bash "$ROOT/scripts/e2e.sh"
fi

remove
if [[ -e "$bin" ]]; then
  log "$bin is still there after dpkg -r"
  exit 1
fi
if [[ "${DEB_SMOKE_E2E:-1}" == 1 ]]; then
  log "ok: installed, hubkey:// registered and delivered, CLI with man pages and completions, hubkey token, window opened, WebDriver test passed, removed"
else
  log "ok: installed, hubkey:// registered and delivered, CLI with man pages and completions, hubkey token, window opened, removed (WebDriver test skipped)"
fi
