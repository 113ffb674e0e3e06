"""`hubkey mcp` driven by the official MCP Python SDK's stdio client, against a FastMCP upstream
(SSE answers and `json_response=True`, see conftest.py). Every scenario starts the bridge with
the SDK's default, stripped environment."""

import asyncio
import json
import os
import signal
import subprocess
import time
from contextlib import asynccontextmanager

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import get_default_environment, stdio_client
from mcp.shared.exceptions import McpError

from conftest import HUBKEY, PRO, STANDARD_ID, STANDARD_SECRET, USER_LEVEL_ID


@asynccontextmanager
async def session(world, name, args=None, env=None):
    """An initialized ClientSession over `hubkey mcp`; its stderr goes to a file of the world."""
    params = StdioServerParameters(command=str(HUBKEY), args=args or world.bridge_args(),
                                   env={**world.bus.sdk_env, **(env or {})} or None)
    with open(world.stderr_file(name), "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as s:
                yield s


def hub_of(result):
    assert not result.isError, result
    return json.loads(result.content[0].text)["hubId"]


def test_given_the_sdks_default_environment_when_the_client_initializes_lists_and_calls_then_everything_works(world):
    world.connect()
    default = get_default_environment()
    assert "DBUS_SESSION_BUS_ADDRESS" not in default and not any(k.startswith("HUBKEY_") for k in default)

    async def scenario():
        async with session(world, "basic") as s:
            init = await s.initialize()
            assert init.serverInfo.name == "hubspot-upstream-test"
            tools = await s.list_tools()
            assert {t.name for t in tools.tools} == {"get_user_details", "count_to"}
            assert hub_of(await s.call_tool("get_user_details", {})) == PRO
            progress = []

            async def on_progress(p, total, message):
                progress.append((p, total, message))
            counted = await s.call_tool("count_to", {"n": 3}, progress_callback=on_progress)
            assert counted.content[0].text == "counted to 3"
            if world.mode == "sse":
                assert [p for p, _, _ in progress] == [1, 2, 3], "the server's notifications reach the client"
    asyncio.run(scenario())
    assert world.sandbox.refreshes() == 0


def test_given_the_sandbox_clock_past_expiry_mid_session_when_the_next_call_is_made_then_it_succeeds_after_exactly_one_refresh(world):
    world.connect()
    before = world.token()

    async def scenario():
        async with session(world, "expiry") as s:
            await s.initialize()
            assert hub_of(await s.call_tool("get_user_details", {})) == PRO
            world.sandbox.advance(1801)
            assert hub_of(await s.call_tool("get_user_details", {})) == PRO
    asyncio.run(scenario())
    assert world.sandbox.refreshes() == 1
    after = world.token()
    assert after != before, "the refreshed token was saved for everyone (hubkey token sees it)"
    assert world.sandbox.introspect(after)["active"] is True


def test_given_twenty_concurrent_calls_across_an_expiry_then_there_is_one_refresh(world):
    world.connect()

    async def scenario():
        async with session(world, "concurrent") as s:
            await s.initialize()
            world.sandbox.advance(1801)
            results = await asyncio.gather(*[s.call_tool("get_user_details", {}) for _ in range(20)])
            assert [hub_of(r) for r in results] == [PRO] * 20
    asyncio.run(scenario())
    assert world.sandbox.refreshes() == 1


def test_given_the_upstream_restarts_when_the_next_call_is_made_then_the_bridge_reinitialises_without_the_client_noticing(world):
    world.connect()

    async def scenario():
        async with session(world, "restart") as s:
            await s.initialize()
            assert hub_of(await s.call_tool("get_user_details", {})) == PRO
            world.upstream.restart()
            assert hub_of(await s.call_tool("get_user_details", {})) == PRO
            assert hub_of(await s.call_tool("get_user_details", {})) == PRO
    asyncio.run(scenario())
    log = world.upstream.log()
    inits = [line for line in log if line.startswith("POST initialize ")]
    assert len(inits) == 2, f"the bridge replayed initialize once on the new server: {log}"
    sessions = {line.split()[2] for line in log if line.startswith("POST tools/call") and line.endswith(" ok")}
    assert len(sessions) == 2, f"calls went to the old session, then to a new one: {log}"
    assert world.sandbox.refreshes() == 0


def test_given_an_account_level_token_when_the_client_initializes_then_the_error_names_the_fix_and_nothing_is_refreshed(world):
    world.connect(app="std", client_id=STANDARD_ID, secret=STANDARD_SECRET)

    async def scenario():
        async with session(world, "account-level", args=world.bridge_args(app="std")) as s:
            with pytest.raises(McpError) as e:
                await s.initialize()
            return str(e.value)
    message = asyncio.run(scenario())
    assert "requires a user level OAuth token" in message, message
    assert "not user-level" in message and "MCP auth app" in message and "isUserLevel" in message, message
    assert world.sandbox.refreshes() == 0, "no refresh loop"


def test_given_a_revoked_refresh_token_when_the_token_expires_then_the_client_is_told_to_reconnect_and_the_bridge_exits_non_zero(world):
    world.connect()
    status_file = world.tmp / "bridge.status"
    # The bridge under sh, only to learn its exit code (the SDK does not expose it); same env.
    wrapper = ["-c", f'"$0" "$@"; echo $? > {status_file}', str(HUBKEY), *world.bridge_args()]

    async def scenario():
        params = StdioServerParameters(command="/bin/sh", args=wrapper, env=world.bus.sdk_env or None)
        with open(world.stderr_file("revoked"), "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as s:
                    await s.initialize()
                    world.sandbox.http("POST", "/_sandbox/uninstall", {"client_id": USER_LEVEL_ID, "hub_id": PRO})
                    assert hub_of(await s.call_tool("get_user_details", {})) == PRO, "issued tokens still work"
                    world.sandbox.advance(1801)
                    with pytest.raises(McpError) as e:
                        await s.call_tool("get_user_details", {})
                    deadline = time.monotonic() + 15
                    while not status_file.exists() and time.monotonic() < deadline:
                        await asyncio.sleep(0.05)
                    return str(e.value)
    message = asyncio.run(scenario())
    assert "Reconnect the portal with `hubkey login --app ul --portal 24681357`" in message, message
    assert status_file.read_text().strip() == "3", "the bridge exits with 3 (reconnect)"
    assert world.sandbox.refreshes() == 1
    stderr = world.stderr_logs[-1].read_text()
    assert "hubkey login --app ul --portal 24681357" in stderr, stderr


def test_given_debug_logging_through_a_whole_session_then_no_token_is_on_stderr_or_in_any_file_written(world):
    world.connect()
    seen = [world.token()]

    async def scenario():
        async with session(world, "leak", env={"HUBKEY_LOG": "debug"}) as s:
            await s.initialize()
            await s.call_tool("get_user_details", {})
            world.sandbox.advance(1801)
            await s.call_tool("count_to", {"n": 2})
    asyncio.run(scenario())
    seen.append(world.token())
    assert seen[0] != seen[1]
    world.hubkey("mcp", "install", "claude-code")
    world.hubkey("mcp", "install", "codex")
    written = [p for d in (world.home, world.user_home) for p in d.rglob("*") if p.is_file()]
    assert any(p.name == ".claude.json" for p in written)
    for path in written + world.stderr_logs:
        data = path.read_bytes()
        for token in seen:
            assert token.encode() not in data, f"a token is in {path}"
    debug = world.stderr_logs[-1].read_text()
    assert "bridging stdio" in debug, f"debug logging was on: {debug[:500]}"


def test_given_env_i_and_flags_only_when_headers_json_runs_then_it_prints_exactly_the_header_object(world):
    world.connect()
    env = {"HOME": str(world.user_home), "PATH": os.environ["PATH"], **world.bus.sdk_env}
    r = subprocess.run(["env", "-i", *[f"{k}={v}" for k, v in env.items()], str(HUBKEY), "headers", "--app", "ul",
                        "--portal", str(PRO), *world.settings_flags(), "--json"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    obj = json.loads(r.stdout)
    assert list(obj) == ["Authorization"]
    assert r.stdout == json.dumps(obj, separators=(",", ":")) + "\n", "exactly the object, compact"
    token = obj["Authorization"].removeprefix("Bearer ")
    assert world.sandbox.introspect(token)["active"] is True


def test_given_exec_then_the_child_sees_a_token_the_sandbox_issued_and_its_exit_code_and_signals_pass(world):
    world.connect()
    base = [str(HUBKEY), "exec", "--app", "ul", *world.settings_flags(), "--"]
    env = {k: v for k, v in world.env().items() if not k.startswith("HUBKEY_")}
    r = subprocess.run([*base, "sh", "-c", "echo $HUBSPOT_ACCESS_TOKEN"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    info = world.sandbox.introspect(r.stdout.strip())
    assert info["active"] is True and info["hub_id"] == PRO and info["token_use"] == "access_token"
    assert subprocess.run([*base, "sh", "-c", "exit 9"], env=env, timeout=60).returncode == 9
    p = subprocess.Popen([*base, "sh", "-c", "trap 'echo term; exit 70' TERM; echo ready; while :; do sleep 0.05; done"],
                         env=env, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "ready\n"
    p.send_signal(signal.SIGTERM)
    assert p.wait(20) == 70
    assert p.stdout.read() == "term\n"
