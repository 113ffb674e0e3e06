"""Harness of the MCP SDK tests (scripts/mcp-sdk-tests.sh): real third-party MCP code on both
sides of `hubkey mcp`.

* Upstream: upstream_server.py, a FastMCP server (the official Python SDK) with bearer auth that
  checks each token against the HubSpot sandbox's introspection and answers in HubSpot's 401
  shapes; once with SSE answers and once with `json_response=True` (the `mode` parameter).
* Clients: the Python SDK's stdio client (test_python_client.py) and @modelcontextprotocol/sdk's
  (js_client.mjs, driven by test_js_client.py) start the real `hubkey mcp` binary with the SDKs'
  default, stripped environment: only HOME, LOGNAME, PATH, SHELL, TERM, USER. Settings travel as
  flags, exactly as `hubkey mcp install` writes them.
* Keychain: a private D-Bus session bus with its own unlocked gnome-keyring, at
  `/run/user/<uid>/bus` when that folder can be made for the run (CI: root, no login session),
  which is where Hubkey looks when DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR are both missing.
  On a machine with a real session there, the bus goes to a temporary folder instead and the
  bridge gets XDG_RUNTIME_DIR in its environment (said on stderr).
* World: per test, a fresh sandbox (refresh counts come from its request log), a fresh
  HUBKEY_HOME and keychain namespace, a real `hubkey login` of the sandbox's user-level app
  (the sandbox's auto_grant plays the browser), and an upstream server.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
HUBKEY = TARGET / "debug" / "hubkey"
SANDBOX = TARGET / "debug" / "hubspot-sandbox"
PYTHON = sys.executable
HERE = Path(__file__).resolve().parent

USER_LEVEL_ID = "c0ffee00-1234-4abc-8def-0123456789ab"
USER_LEVEL_SECRET = "b16b00b5-7e57-4c0d-9e5e-5ca1ab1e0001"
STANDARD_ID = "5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60"
STANDARD_SECRET = "0d6e4c2a-9f8b-4e7d-a6c5-b4a3f2e1d0c9"
PRO = 24681357


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, what, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.03)
    raise AssertionError(f"timed out waiting for {what}")


# ----- the keychain ------------------------------------------------------------------------------


class PrivateBus:
    def __init__(self):
        self.created_run_user = False
        run_user = Path(f"/run/user/{os.getuid()}")
        if not run_user.exists():
            try:
                run_user.mkdir(mode=0o700, parents=True)
                self.created_run_user = True
            except OSError:
                pass
        if self.created_run_user:
            self.dir = run_user
            self.sdk_env = {}
        else:
            self.dir = Path(tempfile.mkdtemp(prefix="hubkey-mcp-bus-"))
            self.sdk_env = {"XDG_RUNTIME_DIR": str(self.dir)}
            print(f"note: {run_user} exists; the bridge gets XDG_RUNTIME_DIR={self.dir}", file=sys.stderr)
        os.chmod(self.dir, 0o700)
        bus = self.dir / "bus"
        self.address = f"unix:path={bus}"
        self.daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--nopidfile", f"--address={self.address}"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(bus.exists, "the private bus")
        home = self.dir / "keyring-home"
        (home / ".local/share").mkdir(parents=True, exist_ok=True)
        env = {"DBUS_SESSION_BUS_ADDRESS": self.address, "XDG_RUNTIME_DIR": str(self.dir), "HOME": str(home),
               "XDG_DATA_HOME": str(home / ".local/share"), "PATH": os.environ["PATH"]}
        self.keyring = subprocess.Popen(["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                                        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        self.keyring.stdin.write(b"hubkey-test-keyring")
        self.keyring.stdin.close()

        def owned():
            r = subprocess.run(["dbus-send", f"--bus={self.address}", "--print-reply", "--dest=org.freedesktop.DBus",
                                "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
                                "string:org.freedesktop.secrets"], capture_output=True, text=True)
            return "boolean true" in r.stdout
        wait_until(owned, "gnome-keyring on the private bus")

    def close(self):
        for p in (self.keyring, self.daemon):
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def bus():
    b = PrivateBus()
    yield b
    b.close()


# ----- sandbox, upstream, hubkey ---------------------------------------------------------------------


class Sandbox:
    def __init__(self, fixture_path=None):
        argv = [str(SANDBOX), "--port", "0", "--mcp-port", "0", "--print-ready-json"]
        if fixture_path:
            argv += ["--fixture", str(fixture_path)]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        ready = json.loads(self.proc.stdout.readline())
        self.base = ready["base_url"]
        self.mcp_base = ready["mcp_base_url"]

    def http(self, method, path, body=None, form=None):
        data, headers = None, {}
        if body is not None:
            data, headers = json.dumps(body).encode(), {"content-type": "application/json"}
        if form is not None:
            data, headers = urllib.parse.urlencode(form).encode(), {"content-type": "application/x-www-form-urlencoded"}
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
            return json.loads(raw) if raw else None

    def refreshes(self):
        q = urllib.parse.urlencode({"path_suffix": "/token", "grant_type": "refresh_token"})
        return self.http("GET", f"/_sandbox/count?{q}")["count"]

    def advance(self, secs):
        self.http("POST", "/_sandbox/advance", {"secs": secs})

    def introspect(self, token, client_id=USER_LEVEL_ID, secret=USER_LEVEL_SECRET):
        return self.http("POST", "/oauth/2026-03/token/introspect",
                         form={"client_id": client_id, "client_secret": secret, "token": token})

    def close(self):
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="session")
def fixture_file(tmp_path_factory):
    """The demo fixture, with one more redirect URL on every app (the port the logins use)."""
    port = free_port()
    sb = Sandbox()
    try:
        fx = sb.http("GET", "/_sandbox/fixture")
    finally:
        sb.close()
    for app in fx["apps"]:
        app["redirect_urls"].append(f"http://localhost:{port}/callback")
    path = tmp_path_factory.mktemp("fixture") / "fixture.json"
    path.write_text(json.dumps(fx))
    return path, port


class Upstream:
    def __init__(self, sandbox, json_response, log_path):
        self.sandbox, self.json_response, self.log_path = sandbox, json_response, log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc = None
        self.start()

    def start(self):
        apps = json.dumps([[USER_LEVEL_ID, USER_LEVEL_SECRET], [STANDARD_ID, STANDARD_SECRET]])
        argv = [PYTHON, str(HERE / "upstream_server.py"), "--port", str(self.port), "--sandbox", self.sandbox.base,
                "--apps", apps, "--log", str(self.log_path)]
        if self.json_response:
            argv.append("--json-response")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("ready"), f"upstream did not start: {line!r}"

    def restart(self):
        """A new process on the same port: every session id it gave out is gone."""
        self.stop()
        self.start()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def log(self):
        return self.log_path.read_text().splitlines() if self.log_path.exists() else []


class World:
    def __init__(self, tmp, bus, fixture, mode):
        fixture_path, port = fixture
        self.tmp, self.bus, self.redirect_port = tmp, bus, port
        self.sandbox = Sandbox(fixture_path)
        self.sandbox.http("PATCH", "/_sandbox/switches", {"auto_grant": True})
        self.home = tmp / "hubkey-home"
        self.service = f"hubkey-mcp-sdk-{os.getpid()}-{tmp.name}"
        self.user_home = tmp / "user-home"
        self.user_home.mkdir()
        self.upstream = Upstream(self.sandbox, mode == "json", tmp / "upstream.log")
        self.stderr_logs = []

    def settings_flags(self):
        return ["--home", str(self.home), "--keychain-service", self.service, "--app-base-url", self.sandbox.base,
                "--api-base-url", self.sandbox.base, "--mcp-base-url", self.sandbox.mcp_base]

    def env(self):
        """The environment of set-up commands (add, login, token): the private keyring."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUBKEY_")}
        env.update({"HUBKEY_HOME": str(self.home), "HUBKEY_KEYCHAIN_SERVICE": self.service,
                    "HUBKEY_APP_BASE_URL": self.sandbox.base, "HUBKEY_API_BASE_URL": self.sandbox.base,
                    "HUBKEY_MCP_BASE_URL": self.sandbox.mcp_base, "DBUS_SESSION_BUS_ADDRESS": self.bus.address,
                    "HOME": str(self.user_home)})
        return env

    def hubkey(self, *args, stdin=None, check=True):
        r = subprocess.run([str(HUBKEY), *args], env=self.env(), input=stdin, capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            raise AssertionError(f"hubkey {' '.join(args)}: exit {r.returncode}: {r.stderr}")
        return r

    def connect(self, app="ul", client_id=USER_LEVEL_ID, secret=USER_LEVEL_SECRET):
        redirect = f"http://localhost:{self.redirect_port}/callback"
        self.hubkey("app", "add", app, "--client-id", client_id, "--redirect-uri", redirect, "--scopes",
                    "oauth crm.objects.contacts.read", stdin=secret + "\n")
        p = subprocess.Popen([str(HUBKEY), "login", "--app", app, "--portal", str(PRO), "--no-browser", "--timeout", "60"],
                             env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        url = None
        for line in p.stderr:
            if line.startswith("http://") or line.startswith("https://"):
                url = line.strip()
                break
        assert url, "hubkey login printed no URL"
        with urllib.request.urlopen(url, timeout=30) as r:
            r.read()
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, f"login failed: {err}"

    def token(self, app="ul"):
        return self.hubkey("token", "--app", app).stdout.strip()

    def bridge_args(self, app="ul"):
        """`hubkey mcp` as `hubkey mcp install` writes it, pointed at the upstream."""
        return ["mcp", "--app", app, "--portal", str(PRO), *self.settings_flags(), "--url", self.upstream.url]

    def stderr_file(self, name):
        path = self.tmp / f"bridge-{name}.stderr"
        self.stderr_logs.append(path)
        return path

    def close(self):
        self.upstream.stop()
        self.sandbox.close()


@pytest.fixture(params=["sse", "json"])
def mode(request):
    return request.param


@pytest.fixture
def world(tmp_path, bus, fixture_file, mode):
    w = World(tmp_path, bus, fixture_file, mode)
    w.mode = mode
    yield w
    w.close()
