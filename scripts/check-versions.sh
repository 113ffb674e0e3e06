#!/usr/bin/env bash
# Checks the two tools that no script here installs, before anything is installed or built: Node.js (package.json
# "engines": >= 20.19, what Vite 7 needs) and Rust (the toolchain rust-toolchain.toml names, and at least the
# workspace's rust-version). On a problem it prints ONE line saying what to install and exits 2.
#
#   bash scripts/check-versions.sh     # scripts/setup.sh runs it first, so run-app.sh and test.sh do too
#
# rust-toolchain.toml names an exact release. Where rustup does not have it but its default toolchain IS that
# release (machines that cannot download toolchains, like the one CI runs on), the default is linked under that
# name in $RUSTUP_HOME/toolchains: the same compiler, nothing downloaded. Tested by tests/scripts/check-versions.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_MIN=20.19
fail() { echo "check-versions: $*" >&2; exit 2; }

# "v20.19.0" / "rustc 1.90.0 (…)" / "1.90" -> "20 19 0" etc.; then a numeric >= on major, minor, patch.
version_ge() {
  local -a have want
  IFS=. read -r -a have <<<"$1"
  IFS=. read -r -a want <<<"$2"
  local i
  for i in 0 1 2; do
    local h="${have[$i]:-0}" w="${want[$i]:-0}"
    h="${h%%[!0-9]*}" w="${w%%[!0-9]*}"
    ((10#${h:-0} > 10#${w:-0})) && return 0
    ((10#${h:-0} < 10#${w:-0})) && return 1
  done
  return 0
}

# ----- Node.js -------------------------------------------------------------------------------------------------
node_hint="install Node.js ${NODE_MIN} or newer (22 LTS: https://nodejs.org/en/download, or NodeSource's Debian packages); Debian 12's apt has 18"
command -v node >/dev/null 2>&1 || fail "Node.js not found: $node_hint"
node_version="$(node --version 2>/dev/null || true)"
[[ "$node_version" =~ ^v[0-9]+\.[0-9]+ ]] || fail "\`node --version\` printed '${node_version}', not a version: $node_hint"
version_ge "${node_version#v}" "$NODE_MIN" || fail "Node.js ${node_version} is too old: $node_hint"
command -v npm >/dev/null 2>&1 || fail "npm not found beside Node.js ${node_version}: install npm (it comes with Node.js from nodejs.org)"

# ----- Rust ----------------------------------------------------------------------------------------------------
rust_min="$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' "$ROOT/Cargo.toml" | head -n1)"
channel="$(sed -n 's/^channel *= *"\([^"]*\)".*/\1/p' "$ROOT/rust-toolchain.toml" | head -n1)"
[[ -n "$rust_min" && -n "$channel" ]] || fail "cannot read rust-version from Cargo.toml or channel from rust-toolchain.toml"
rust_hint="install rustup (https://rustup.rs), then \`rustup toolchain install ${channel}\`; an apt-installed Rust is too old"
command -v cargo >/dev/null 2>&1 || fail "cargo not found: $rust_hint"

if command -v rustup >/dev/null 2>&1; then
  if ! rustup toolchain list 2>/dev/null | grep -q "^${channel}-"; then
    # The toolchain file's release is missing; is the default toolchain that very release?
    default_version="$(cd / && rustc --version 2>/dev/null)" || default_version=""
    host="$(cd / && rustc -vV 2>/dev/null | sed -n 's/^host: //p')"
    sysroot="$(cd / && rustc --print sysroot 2>/dev/null)" || sysroot=""
    if [[ "$default_version" == "rustc ${channel} "* && -n "$host" && -d "$sysroot" ]]; then
      toolchains="${RUSTUP_HOME:-$HOME/.rustup}/toolchains"
      ln -s "$sysroot" "$toolchains/${channel}-${host}"
      echo "check-versions: linked the installed ${default_version%% (*} as toolchain ${channel} (rust-toolchain.toml); nothing downloaded" >&2
    else
      fail "Rust ${channel} (rust-toolchain.toml) is not installed: run \`rustup toolchain install ${channel}\`"
    fi
  fi
fi
# In the repository, so rust-toolchain.toml applies (without rustup, whatever rustc is on PATH).
rustc_version="$(cd "$ROOT" && rustc --version 2>/dev/null)" || rustc_version=""
[[ "$rustc_version" =~ ^rustc\ ([0-9]+\.[0-9]+(\.[0-9]+)?) ]] || fail "\`rustc --version\` failed: $rust_hint"
found="${BASH_REMATCH[1]}"
version_ge "$found" "$rust_min" || fail "Rust ${found} is too old (Hubkey needs ${rust_min} or newer): $rust_hint"
