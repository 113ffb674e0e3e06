#!/usr/bin/env bash
# Recompresses .deb packages with xz -9 in place. Tauri's bundler (CLI 2.12, pinned because of the npm mirror,
# docs/build-env.md §2) writes a gzip data member and has no setting for it; xz is what Debian itself uses and
# every dpkg since 1.15.6 reads. With the CLI in the package, gzip gives ~10 MB and xz ~6.5 MB (docs/BENCHMARKS.md,
# finding 11). scripts/package.sh runs this on what it builds and the release workflow on what it publishes, so the
# installer that is tested (scripts/deb-smoke.sh) is the one users download.
#
#   bash scripts/repack-deb.sh target/release/bundle/deb/*.deb
#
# The package's contents, control fields, maintainer scripts and file modes are kept (dpkg-deb -R then -b);
# --root-owner-group stamps root:root on every file, as the bundler did.
set -euo pipefail
(($#)) || { echo "usage: $0 PACKAGE.deb..." >&2; exit 2; }
for deb in "$@"; do
  work="$(mktemp -d "${TMPDIR:-/tmp}/hubkey-repack.XXXXXX")"
  dpkg-deb -R "$deb" "$work/root"
  before=$(stat -c %s "$deb")
  dpkg-deb --root-owner-group -Zxz -z9 -b "$work/root" "$work/out.deb" >/dev/null
  # Nothing but the compression may change: the same control files and the same tree (contents, modes, links).
  mkdir "$work/check"
  dpkg-deb -R "$work/out.deb" "$work/check/root"
  if ! diff -r --no-dereference "$work/root" "$work/check/root" >/dev/null \
     || [[ "$(cd "$work/root" && find . -printf '%m %y %p\n' | sort)" != "$(cd "$work/check/root" && find . -printf '%m %y %p\n' | sort)" ]]; then
    echo "repack-deb: the repacked $deb differs from the original; keeping the original" >&2
    rm -rf "$work"; exit 1
  fi
  mv "$work/out.deb" "$deb"
  rm -rf "$work"
  echo "repack-deb: $deb: $before -> $(stat -c %s "$deb") bytes (xz)" >&2
done
