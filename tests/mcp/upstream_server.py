"""A stand-in for HubSpot's remote MCP server, built with the official MCP Python SDK (FastMCP).

Streamable HTTP at `/` (HubSpot's server answers at the root), stateful sessions, bearer auth
through a `TokenVerifier` that asks the HubSpot sandbox's introspection about every token, so
expiry, revocation and user level are the sandbox's, not ours. `--json-response` switches
FastMCP to plain JSON answers instead of SSE streams.

FastMCP's own auth answers 401 with a JSON body; HubSpot does not (hubspot-oauth.md,
Corrections 2026-12-02), so a small ASGI middleware in front rewrites every 401 into HubSpot's
shapes:
  * a missing, unknown or expired token: an empty 401 with
    `WWW-Authenticate: Bearer resource_metadata="<this server>/.well-known/oauth-protected-resource"`;
  * an account-level token (active, but `signed_access_token.isUserLevel` is false): a 401 whose
    body is the plain text "This endpoint requires a user level OAuth token".
The middleware also appends one line per POST to `--log` ("POST <jsonrpc method>"), so tests can
see what reached the server (e.g. the initialize a re-initialising bridge replays).

Run: python upstream_server.py --port P --sandbox http://127.0.0.1:S --apps '[["id","secret"],…]'
Prints one line "ready <url>" on stdout once it accepts connections.
"""

import argparse
import asyncio
import json
import sys
import urllib.parse
import urllib.request

import uvicorn
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.fastmcp import Context, FastMCP

NOT_USER_LEVEL = b"This endpoint requires a user level OAuth token"


class Introspection:
    """The sandbox's `POST /oauth/2026-03/token/introspect`, trying each app's credentials (a
    token introspects as active only with the credentials of the app that got it)."""

    def __init__(self, sandbox, apps):
        self.url = f"{sandbox}/oauth/2026-03/token/introspect"
        self.apps = apps

    def _post(self, client_id, secret, token):
        data = urllib.parse.urlencode({"client_id": client_id, "client_secret": secret, "token": token}).encode()
        req = urllib.request.Request(self.url, data=data, headers={"content-type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    async def info(self, token):
        for client_id, secret in self.apps:
            info = await asyncio.to_thread(self._post, client_id, secret, token)
            if info.get("active") and info.get("token_use") == "access_token":
                return info
        return None


class SandboxTokenVerifier:
    """FastMCP's TokenVerifier: user-level access tokens the sandbox says are active."""

    def __init__(self, introspection):
        self.introspection = introspection

    async def verify_token(self, token):
        info = await self.introspection.info(token)
        if not info or not info.get("signed_access_token", {}).get("isUserLevel"):
            return None
        return AccessToken(
            token=token,
            client_id=info["client_id"],
            scopes=info.get("scopes", []),
            subject=str(info["user_id"]),
            claims={"hub_id": info["hub_id"], "user": info.get("user")},
        )


class HubSpotShapes:
    """ASGI middleware: HubSpot's 401 answers, and the request log."""

    def __init__(self, app, introspection, metadata_url, log_path):
        self.app = app
        self.introspection = introspection
        self.metadata_url = metadata_url
        self.log_path = log_path

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        auth = headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else None
        body = bytearray()

        async def tee():
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
            return message

        state = {"refused": False}

        async def shaped(message):
            if message["type"] == "http.response.start" and message["status"] == 401:
                state["refused"] = True
                return
            if state["refused"]:
                if message["type"] == "http.response.body" and not message.get("more_body"):
                    await self._unauthorized(token, send)
                return
            await send(message)

        try:
            await self.app(scope, tee, shaped)
        finally:
            if scope["method"] == "POST" and self.log_path:
                try:
                    method = json.loads(bytes(body)).get("method", "(response)")
                except (ValueError, AttributeError):
                    method = "(unparsed)"
                with open(self.log_path, "a") as f:
                    f.write(f"POST {method} {headers.get('mcp-session-id', '-')} {401 if state['refused'] else 'ok'}\n")

    async def _unauthorized(self, token, send):
        info = await self.introspection.info(token) if token else None
        if info and not info.get("signed_access_token", {}).get("isUserLevel"):
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
            await send({"type": "http.response.body", "body": NOT_USER_LEVEL})
            return
        challenge = f'Bearer resource_metadata="{self.metadata_url}"'.encode()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"www-authenticate", challenge), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


def build(args):
    base = f"http://127.0.0.1:{args.port}"
    introspection = Introspection(args.sandbox, json.loads(args.apps))
    mcp = FastMCP(
        "hubspot-upstream-test",
        host="127.0.0.1",
        port=args.port,
        streamable_http_path="/",
        json_response=args.json_response,
        token_verifier=SandboxTokenVerifier(introspection),
        auth=AuthSettings(issuer_url=args.sandbox, resource_server_url=base, validate_token_resource=False),
    )

    @mcp.tool()
    async def get_user_details() -> str:
        """The authenticated user and portal (from the sandbox's introspection)."""
        token = get_access_token()
        claims = token.claims or {}
        return json.dumps({"hubId": claims.get("hub_id"), "userId": token.subject, "user": claims.get("user")})

    @mcp.tool()
    async def count_to(n: int, ctx: Context) -> str:
        """Reports progress n times, then answers."""
        for i in range(n):
            await ctx.report_progress(i + 1, n, f"step {i + 1}")
        return f"counted to {n}"

    app = mcp.streamable_http_app()
    return HubSpotShapes(app, introspection, f"{base}/.well-known/oauth-protected-resource", args.log)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--sandbox", required=True)
    p.add_argument("--apps", required=True, help='JSON list of [client_id, client_secret]')
    p.add_argument("--json-response", action="store_true")
    p.add_argument("--log", default="")
    args = p.parse_args()
    config = uvicorn.Config(build(args), host="127.0.0.1", port=args.port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)

    async def serve():
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
                return
            await asyncio.sleep(0.02)
        print(f"ready http://127.0.0.1:{args.port}", flush=True)
        await task

    asyncio.run(serve())


if __name__ == "__main__":
    sys.exit(main())
