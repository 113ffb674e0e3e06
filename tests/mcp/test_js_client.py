"""`hubkey mcp` driven by the TypeScript MCP SDK's stdio client (@modelcontextprotocol/sdk,
tests/mcp/js_client.mjs), against the same FastMCP upstream in both answer modes."""

import json
import shutil
import subprocess

import pytest

from conftest import HUBKEY, PRO, ROOT

NODE = shutil.which("node")


def run_js(world, scenario):
    cfg = {"command": str(HUBKEY), "args": world.bridge_args(), "env": world.bus.sdk_env,
           "sandbox": world.sandbox.base, "scenario": scenario}
    r = subprocess.run([NODE, str(ROOT / "tests" / "mcp" / "js_client.mjs"), json.dumps(cfg)], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.stdout, f"no output from the JS client: {r.stderr}"
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert r.returncode == 0, out
    return out


@pytest.fixture(autouse=True)
def _node():
    assert NODE, "node is needed for the TypeScript SDK client"


def test_given_the_typescript_sdk_with_its_default_environment_when_it_initializes_lists_and_calls_then_everything_works(world):
    world.connect()
    out = run_js(world, "basic")
    assert out["defaultEnv"] == ["HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"] or set(out["defaultEnv"]) <= {
        "HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"}, out["defaultEnv"]
    assert out["server"] == "hubspot-upstream-test"
    assert out["tools"] == ["count_to", "get_user_details"]
    assert out["hubs"] == [PRO]
    assert world.sandbox.refreshes() == 0


def test_given_the_typescript_sdk_when_the_clock_passes_expiry_mid_session_then_the_next_call_succeeds_after_one_refresh(world):
    world.connect()
    out = run_js(world, "expiry")
    assert out["hubs"] == [PRO, PRO]
    assert world.sandbox.refreshes() == 1


def test_given_the_typescript_sdk_when_twenty_calls_cross_an_expiry_then_there_is_one_refresh(world):
    world.connect()
    out = run_js(world, "concurrent")
    assert out["hubs"] == [PRO] * 21
    assert world.sandbox.refreshes() == 1
    token = world.token()
    assert token not in out["stderr"]
