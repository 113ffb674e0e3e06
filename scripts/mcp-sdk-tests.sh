#!/usr/bin/env bash
# `hubkey mcp` against real third-party MCP code (issue 15): a FastMCP server from the official
# Python SDK upstream (SSE answers and json_response=True), the Python SDK's and
# @modelcontextprotocol/sdk's stdio clients downstream, the HubSpot sandbox behind both, and a
# private D-Bus session bus with its own gnome-keyring for the keychain (tests/mcp/conftest.py).
# Also `hubkey headers` under `env -i`, `hubkey exec`, and a leak scan of everything written.
#
#   bash scripts/mcp-sdk-tests.sh           # after scripts/setup.sh (venv .tools/mcp-venv, npm ci)
#   bash scripts/mcp-sdk-tests.sh -k expiry # pytest arguments pass through
#
# Runs inside scripts/with-keyring.sh (a throw-away HOME; the tests start their own bus on top).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${HUBKEY_IN_KEYRING:-}" ]]; then
  exec env HUBKEY_IN_KEYRING=1 bash scripts/with-keyring.sh bash "$0" "$@"
fi
for tool in dbus-daemon gnome-keyring-daemon dbus-send node; do
  command -v "$tool" >/dev/null || { echo "mcp-sdk-tests: $tool not found (run scripts/setup.sh)" >&2; exit 2; }
done
[[ -x .tools/mcp-venv/bin/python ]] || { echo "mcp-sdk-tests: .tools/mcp-venv missing (run scripts/setup.sh)" >&2; exit 2; }
[[ -d node_modules/@modelcontextprotocol/sdk ]] || { echo "mcp-sdk-tests: npm ci first (scripts/setup.sh)" >&2; exit 2; }
# The debug binaries the tests run (already built by the Rust test stage in CI; cached).
cargo build --locked -q -p hubkey-cli -p hubspot-sandbox
exec .tools/mcp-venv/bin/python -m pytest tests/mcp -p no:cacheprovider -q "$@"
