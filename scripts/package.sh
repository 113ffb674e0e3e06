#!/usr/bin/env bash
# Builds the Linux installers of the desktop app from a release build and lists them with their sizes:
#
#   bash scripts/package.sh                    # .deb and .rpm   (target/release/bundle/{deb,rpm}/)
#   HUBKEY_APPIMAGE=1 bash scripts/package.sh  # also the AppImage
#
# The AppImage is opt-in because the Tauri bundler downloads its AppRun runtime and linuxdeploy from GitHub
# while bundling; on a machine without access to GitHub (like the one CI runs on here) that step fails with
# "failed to bundle project: io: failed to lookup address information". The release workflow
# (.github/workflows/release.yml) builds it on GitHub's runners, which have internet access.
#
# Takes about 15 to 22 minutes on 2 cores from a cold target/ (fat LTO, one codegen unit and opt-level "z" in the
# release profile, for hubkey-tray, the hubkey CLI and hubkey-desktop, each its own cargo invocation, plus a debug
# build of the CLI's docs generator), a few minutes when only our crates changed. macOS
# and Windows installers are built by the release workflow on their own runners (Tauri does not cross-compile
# installers).
set -euo pipefail
cd "$(dirname "$0")/.."

bundles="deb,rpm"
if [[ "${HUBKEY_APPIMAGE:-0}" == 1 ]]; then
  bundles="$bundles,appimage"
fi
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
BUNDLE_DIR="$TARGET_DIR/release/bundle"

[[ -x node_modules/.bin/tauri ]] || npm ci --no-audit --no-fund >&2

marker="$(mktemp "${TMPDIR:-/tmp}/hubkey-package.XXXXXX")"
trap 'rm -f "$marker"' EXIT
echo "package: npx tauri build --bundles $bundles (release)" >&2
start=$(date +%s)
npx tauri build --bundles "$bundles" >&2
echo "package: built in $(($(date +%s) - start)) s" >&2

# The installers this run wrote (older versions may still lie next to them).
mapfile -t built < <(find "$BUNDLE_DIR" -maxdepth 2 -type f \( -name '*.deb' -o -name '*.rpm' -o -name '*.AppImage' \) \
  -newer "$marker" | sort)
if ((${#built[@]} == 0)); then
  echo "package: no installer was written under $BUNDLE_DIR" >&2
  exit 1
fi
# Tauri's bundler writes the .deb with gzip and cannot be told otherwise; xz halves it (scripts/repack-deb.sh).
for f in "${built[@]}"; do
  [[ "$f" == *.deb ]] && bash scripts/repack-deb.sh "$f"
done
echo "package: installers:" >&2
for f in "${built[@]}"; do
  bytes=$(stat -c %s "$f")
  printf '  %-8s %10d bytes (%s MiB)  %s\n' "${f##*.}" "$bytes" "$(awk -v b="$bytes" 'BEGIN{printf "%.2f", b/1048576}')" "$f"
done
