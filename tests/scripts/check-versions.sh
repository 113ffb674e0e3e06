#!/usr/bin/env bash
# scripts/check-versions.sh as a user with the wrong tools meets it: fake `node`, `rustc`, `cargo` and `rustup` on a
# PATH that holds nothing else but the few tools the check uses. Each case asserts the exit code and that the
# whole message is ONE line on stderr naming what to install. Run by scripts/test.sh; prints "N passed, N failed".
#
#   bash tests/scripts/check-versions.sh
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CHECK="$ROOT/scripts/check-versions.sh"
BASH_BIN="$(command -v bash)"
CHANNEL="$(sed -n 's/^channel *= *"\([^"]*\)".*/\1/p' "$ROOT/rust-toolchain.toml")"
RUST_MIN="$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' "$ROOT/Cargo.toml" | head -n1)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/hubkey-check-versions.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# A bin dir with the real tools the check needs and fakes for the rest. Fakes read FAKE_* variables (hence the
# single quotes: they expand when the fake runs).
# shellcheck disable=SC2016
make_path() {
  local dir="$tmp/bin-$1"; shift
  mkdir -p "$dir"
  for tool in sed head grep dirname cat ln; do ln -sf "$(command -v "$tool")" "$dir/$tool"; done
  for fake in "$@"; do
    case "$fake" in
      node) printf '#!%s\necho "$FAKE_NODE"\n' "$BASH_BIN" >"$dir/node" ;;
      npm | cargo) printf '#!%s\nexit 0\n' "$BASH_BIN" >"$dir/$fake" ;;
      rustc) cat >"$dir/rustc" <<SH
#!$BASH_BIN
case "\$1" in
  --version) echo "rustc \$FAKE_RUSTC (deadbeef 2026-01-01)" ;;
  -vV) printf 'rustc %s\nhost: x86_64-unknown-linux-gnu\n' "\$FAKE_RUSTC" ;;
  --print) echo "\$FAKE_SYSROOT" ;;
esac
SH
        ;;
      rustup) printf '#!%s\n[ "$1 $2" = "toolchain list" ] && printf "%%b" "$FAKE_TOOLCHAINS"\nexit 0\n' "$BASH_BIN" >"$dir/rustup" ;;
    esac
    chmod +x "$dir/$fake"
  done
  echo "$dir"
}

# run NAME EXPECTED_CODE EXPECTED_SUBSTRING PATH [VAR=VALUE...]: runs the check, asserts code, one line, substring.
run() {
  local name="$1" want_code="$2" want_text="$3" path="$4"; shift 4
  local out err code
  out="$(env -i PATH="$path" HOME="$tmp/home" RUSTUP_HOME="$tmp/rustup" "$@" "$BASH_BIN" "$CHECK" 2>"$tmp/err")"
  code=$?
  err="$(cat "$tmp/err")"
  local lines
  lines="$(printf '%s' "$err" | grep -c '' || true)"
  local why=""
  [[ "$code" == "$want_code" ]] || why="exit code $code, expected $want_code"
  [[ -z "$out" ]] || why="${why:+$why; }stdout not empty: $out"
  if [[ -n "$want_text" ]]; then
    [[ "$lines" == 1 ]] || why="${why:+$why; }$lines lines on stderr, expected one"
    [[ "$err" == *"$want_text"* ]] || why="${why:+$why; }stderr lacks '$want_text'"
  fi
  if [[ -z "$why" ]]; then
    passed=$((passed + 1)); echo "PASS $name"
  else
    failed=$((failed + 1)); echo "FAIL $name: $why"; echo "     stderr: $err"
  fi
}

mkdir -p "$tmp/home" "$tmp/rustup/toolchains" "$tmp/sysroot"
all="$(make_path all node npm cargo rustc rustup)"
no_node="$(make_path no-node npm cargo rustc rustup)"
no_rustup="$(make_path no-rustup node npm cargo rustc)"
no_cargo="$(make_path no-cargo node npm)"
have_channel="FAKE_TOOLCHAINS=stable-x86_64-unknown-linux-gnu (default)\n${CHANNEL}-x86_64-unknown-linux-gnu\n"

run "given_debian_12s_node_18_when_checking_then_one_line_asks_for_node_20_19" 2 \
  "Node.js v18.19.0 is too old: install Node.js 20.19 or newer" "$all" FAKE_NODE=v18.19.0 FAKE_RUSTC="$CHANNEL" "$have_channel"
run "given_node_20_18_when_checking_then_it_is_too_old" 2 "Node.js v20.18.3 is too old" "$all" \
  FAKE_NODE=v20.18.3 FAKE_RUSTC="$CHANNEL" "$have_channel"
run "given_node_20_19_0_and_the_pinned_rust_when_checking_then_it_passes_silently" 0 "" "$all" \
  FAKE_NODE=v20.19.0 FAKE_RUSTC="$CHANNEL" "$have_channel"
run "given_node_22_when_checking_then_it_passes" 0 "" "$all" FAKE_NODE=v22.12.0 FAKE_RUSTC="$CHANNEL" "$have_channel"
run "given_no_node_when_checking_then_one_line_says_to_install_it" 2 "Node.js not found: install Node.js 20.19" \
  "$no_node" FAKE_RUSTC="$CHANNEL" "$have_channel"
run "given_node_printing_garbage_when_checking_then_one_line_says_so" 2 "not a version" "$all" \
  FAKE_NODE=oops FAKE_RUSTC="$CHANNEL" "$have_channel"
run "given_apt_rust_1_63_without_rustup_when_checking_then_one_line_asks_for_rustup" 2 \
  "Rust 1.63.0 is too old (Hubkey needs ${RUST_MIN} or newer): install rustup" "$no_rustup" FAKE_NODE=v20.19.0 FAKE_RUSTC=1.63.0
run "given_rust_at_the_declared_minimum_without_rustup_when_checking_then_it_passes" 0 "" "$no_rustup" \
  FAKE_NODE=v20.19.0 FAKE_RUSTC="${RUST_MIN}.0"
run "given_no_cargo_when_checking_then_one_line_says_to_install_rust" 2 "cargo not found: install rustup" \
  "$no_cargo" FAKE_NODE=v20.19.0
run "given_rustup_without_the_pinned_toolchain_and_another_default_when_checking_then_it_says_which_to_install" 2 \
  "Rust ${CHANNEL} (rust-toolchain.toml) is not installed: run \`rustup toolchain install ${CHANNEL}\`" "$all" \
  FAKE_NODE=v20.19.0 FAKE_RUSTC=1.94.1 FAKE_SYSROOT="$tmp/sysroot" "FAKE_TOOLCHAINS=stable-x86_64-unknown-linux-gnu (default)\n"

# The offline case: the default toolchain is the pinned release, so it is linked under that name.
run "given_rustup_whose_default_is_the_pinned_release_when_checking_then_it_is_linked_under_that_name" 0 "" "$all" \
  FAKE_NODE=v20.19.0 FAKE_RUSTC="$CHANNEL" FAKE_SYSROOT="$tmp/sysroot" "FAKE_TOOLCHAINS=stable-x86_64-unknown-linux-gnu (default)\n"
link="$tmp/rustup/toolchains/${CHANNEL}-x86_64-unknown-linux-gnu"
if [[ -L "$link" && "$(readlink "$link")" == "$tmp/sysroot" ]]; then
  passed=$((passed + 1)); echo "PASS ...and the link points at the default toolchain's sysroot"
else
  failed=$((failed + 1)); echo "FAIL ...no link $link -> $tmp/sysroot"
fi

# This machine, as it is: the check passes without a word.
real_err="$("$BASH_BIN" "$CHECK" 2>&1)"
if [[ $? -eq 0 && -z "$real_err" ]]; then
  passed=$((passed + 1)); echo "PASS given_this_machine_when_checking_then_it_passes_silently"
else
  failed=$((failed + 1)); echo "FAIL given_this_machine_when_checking_then_it_passes_silently: $real_err"
fi

# The workflows install the toolchain rust-toolchain.toml names, so CI builds with what the scripts check for.
bad="$(grep -n 'toolchain:' "$ROOT"/.github/workflows/*.yml | grep -v "toolchain: \"\?${CHANNEL}\"\?\s*\(#.*\)\?$" || true)"
if [[ -z "$bad" ]] && grep -q "toolchain: \"\?${CHANNEL}" "$ROOT"/.github/workflows/*.yml; then
  passed=$((passed + 1)); echo "PASS given_the_workflows_when_read_then_each_installs_rust_${CHANNEL//./_}"
else
  failed=$((failed + 1)); echo "FAIL the workflows install another toolchain than ${CHANNEL}: ${bad:-none names one}"
fi

echo "$passed passed, $failed failed"
((failed == 0))
