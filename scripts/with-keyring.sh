#!/usr/bin/env bash
# Runs a command with a private, unlocked gnome-keyring on a private D-Bus session bus, so that
# tests exercise the real Secret Service without touching the user's keyring:
#
#   scripts/with-keyring.sh cargo test -p hubkey-keychain
#   scripts/with-keyring.sh cargo test --workspace        # what CI runs
#
# - HOME is a throw-away folder (the keyring file lands in $HOME/.local/share/keyrings and is
#   created with a fixed password); CARGO_HOME and RUSTUP_HOME keep pointing at the real ones.
# - HUBKEY_HOME (the index) is also throw-away unless already set.
# - The bus, the keyring daemon and the folder go away when the command ends; its exit code is
#   returned.
# Measured recipe and failure modes: docs/build-env.md §8. Needs dbus (dbus-run-session,
# dbus-send), gnome-keyring and libsecret-tools (secret-tool, used by the keychain tests): see
# scripts/setup.sh. dbus-daemon may warn "Failed to set fd limit" when not root-capable: harmless.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi
for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "with-keyring: $tool not found; install dbus and gnome-keyring (scripts/setup.sh)" >&2
    exit 2
  fi
done

real_home="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
export CARGO_HOME="${CARGO_HOME:-$real_home/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$real_home/.rustup}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/hubkey-keyring.XXXXXXXX")"
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT

export HOME="$tmp/home"
export XDG_RUNTIME_DIR="$tmp/run"
export XDG_DATA_HOME="$HOME/.local/share"
export XDG_CONFIG_HOME="$HOME/.config"
export XDG_CACHE_HOME="$HOME/.cache"
export HUBKEY_HOME="${HUBKEY_HOME:-$tmp/hubkey}"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"
chmod 700 "$HOME" "$XDG_RUNTIME_DIR"
# A keyring password that only ever protects this throw-away keyring.
export HUBKEY_TEST_KEYRING_PASSWORD="hubkey-test-keyring"
unset DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL SSH_AUTH_SOCK

status=0
dbus-run-session -- bash -c '
  set -uo pipefail
  # In the foreground (not daemonised) so it can be stopped at the end: a daemonised
  # gnome-keyring-daemon outlives dbus-run-session.
  printf %s "$HUBKEY_TEST_KEYRING_PASSWORD" \
    | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>"$HOME/gnome-keyring.log" &
  daemon=$!
  unset HUBKEY_TEST_KEYRING_PASSWORD
  up=0
  for _ in $(seq 1 200); do
    if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; then
      up=1; break
    fi
    kill -0 "$daemon" 2>/dev/null || break
    sleep 0.05
  done
  if [ "$up" != 1 ]; then
    echo "with-keyring: gnome-keyring did not start:" >&2; cat "$HOME/gnome-keyring.log" >&2
    kill "$daemon" 2>/dev/null; exit 2
  fi
  "$@"; rc=$?
  kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null
  exit "$rc"
' with-keyring "$@" || status=$?
exit "$status"
