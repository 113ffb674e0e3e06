#!/usr/bin/env bash
# The release hygiene of .github/workflows, as rules a reviewer would check by eye (actionlint checks the syntax):
# every action pinned to a full commit SHA with its version in a comment, a Node.js that is still supported,
# SHA256SUMS and build provenance in the release, and `cargo check` of the desktop and CLI on macOS and Windows
# on every push. Run by scripts/test.sh; prints "N passed, N failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
W="$ROOT/.github/workflows"
passed=0 failed=0
check() { # NAME, then a command that succeeds when the rule holds; its output explains a failure
  local name="$1"; shift
  local out
  if out="$("$@" 2>&1)"; then passed=$((passed + 1)); echo "PASS $name"
  else failed=$((failed + 1)); echo "FAIL $name"; printf '     %s\n' "$out"; fi
}

unpinned() { ! grep -nE '^\s*(- )?uses:' "$W"/*.yml | grep -vE 'uses: [A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40} # \S+'; }
check "given_every_workflow_when_read_then_each_action_is_pinned_to_a_commit_sha_with_its_version" unpinned

# Node.js 18 and 20 are past their end of life (2025-04-30, 2026-04-30).
node_supported() { ! grep -nE 'node-version: *"?(1[0-9]|20)(\.|"|\s|$)' "$W"/*.yml && grep -q 'node-version: 24' "$W/test.yml"; }
check "given_the_workflows_when_read_then_node_is_a_supported_lts" node_supported

# shellcheck disable=SC2016 # the workflow's own "$TAG", matched literally
release_sums() {
  grep -q 'SHA256SUMS' "$W/release.yml" && grep -q 'sha256sum' "$W/release.yml" \
    && grep -q 'gh release upload "$TAG" dist/SHA256SUMS' "$W/release.yml"
}
check "given_the_release_workflow_when_read_then_it_publishes_sha256sums" release_sums
provenance() {
  grep -q 'uses: actions/attest-build-provenance@' "$W/release.yml" && grep -q 'subject-checksums: dist/SHA256SUMS' "$W/release.yml" \
    && grep -q 'id-token: write' "$W/release.yml" && grep -q 'attestations: write' "$W/release.yml"
}
check "given_the_release_workflow_when_read_then_every_published_file_gets_a_provenance_attestation" provenance

# Signed auto-update (issue 16, point 2): the release signs the update artifacts with the updater key from the
# secrets, passes the public key the app trusts, and has tauri-action publish latest.json; the app's default
# endpoint is that release asset.
updater_signed() {
  grep -q 'TAURI_SIGNING_PRIVATE_KEY: ${{ secrets.TAURI_SIGNING_PRIVATE_KEY }}' "$W/release.yml" \
    && grep -q 'createUpdaterArtifacts: true' "$W/release.yml" && grep -q 'includeUpdaterJson: true' "$W/release.yml" \
    && grep -q 'env.TAURI_UPDATER_CONFIG_ARGS' "$W/release.yml" \
    && grep -q 'releases/latest/download/latest.json' "$ROOT/src-tauri/tauri.conf.json"
}
check "given_the_release_workflow_when_read_then_it_publishes_a_signed_latest_json" updater_signed

cli_bundled() { grep -q 'config src-tauri/cli-sidecar.conf.json' "$W/release.yml" && grep -q '"../target/cli-sidecar/hubkey"' "$ROOT/src-tauri/cli-sidecar.conf.json"; }
check "given_the_release_workflow_when_read_then_macos_and_windows_bundle_the_cli" cli_bundled

desktop_check() {
  python3 - "$W/test.yml" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
push = re.search(r'^on:\n  push:\n    branches: \["\*\*"\]', text, re.M)
job = re.search(r'^  desktop-check:\n(.*?)(?=^  \S|\Z)', text, re.M | re.S)
ok = bool(push) and bool(job) and 'macos-latest' in job.group(1) and 'windows-latest' in job.group(1) \
    and 'cargo check --locked -p hubkey-desktop -p hubkey-cli' in job.group(1)
sys.exit(0 if ok else print("push trigger on every branch:", bool(push), "| desktop-check job:", bool(job)) or 1)
PY
}
check "given_the_test_workflow_when_read_then_every_push_checks_desktop_and_cli_on_macos_and_windows" desktop_check

echo "$passed passed, $failed failed"
((failed == 0))
