import { describe, expect, it } from "vitest";
import { GUIDE_AFTER_SECS } from "./installErrors";
import { restoredSince, restorePending, retryOffer, type PendingLogin } from "./logins";
import { loginDeadlines } from "./ticks";
import type { LoginStarted } from "./types";

const now = Date.parse("2026-11-23T10:00:00Z");
const MIN = 60_000;

/** A sign-in started at `startedAt`, waited for 10 minutes (the host's timeout). */
function started(app: string, startedAt: string): LoginStarted {
  return {
    app,
    authorize_host: "app.hubspot.com",
    redirect_kind: "loopback",
    redirect_uri: "http://localhost:53682/callback",
    started_at: startedAt,
    expires_at: new Date(Date.parse(startedAt) + 10 * MIN).toISOString(),
  };
}

/** When the waiting panel of a restored sign-in shows the install guide. */
function guideDueAt(login: LoginStarted): number | undefined {
  return loginDeadlines(login, restoredSince(login, now)).find((d) => d.shown === "moment")?.atMs;
}

describe("restoredSince", () => {
  it("given a sign-in started three minutes ago, says it waits since then", () => {
    const login = started("demo", new Date(now - 3 * MIN).toISOString());
    expect(restoredSince(login, now)).toBe(now - 3 * MIN);
  });

  it("given a sign-in started minutes ago, its install guide is due at once, not 20 s after the window opened", () => {
    const login = started("demo", new Date(now - 3 * MIN).toISOString());
    expect(guideDueAt(login)).toBeLessThanOrEqual(now);
  });

  it("given a sign-in that just started, its install guide is due 20 s after it started", () => {
    const login = started("demo", new Date(now - 5_000).toISOString());
    expect(guideDueAt(login)).toBe(now - 5_000 + GUIDE_AFTER_SECS * 1000);
  });

  it("given a start in the future (clocks apart), never says later than now", () => {
    expect(restoredSince(started("demo", new Date(now + 5 * MIN).toISOString()), now)).toBe(now);
  });

  it("given an unreadable start, says now", () => {
    expect(restoredSince({ started_at: "not a time" }, now)).toBe(now);
  });
});

describe("restorePending", () => {
  const found = started("demo", "2026-11-23T09:57:00Z");

  it("given a new page that shows nothing, shows every sign-in the host still waits for", () => {
    const pending = restorePending({}, [found, started("mcp", "2026-11-23T09:59:00Z")], new Set(), now);
    expect(Object.keys(pending)).toEqual(["demo", "mcp"]);
    expect(pending.demo).toEqual({ started: found, since: now - 3 * MIN });
  });

  it("given a sign-in this page started already, keeps the page's own", () => {
    const own: PendingLogin = { started: started("demo", "2026-11-23T10:00:00Z"), since: now };
    expect(restorePending({ demo: own }, [found], new Set(), now)).toEqual({ demo: own });
  });

  it("given a sign-in whose result arrived while the host was asked, does not bring it back", () => {
    expect(restorePending({}, [found], new Set(["demo"]), now)).toEqual({});
  });

  it("given nothing pending at the host, leaves what the page shows", () => {
    const own: PendingLogin = { started: found, since: now };
    const shown = { demo: own };
    const pending = restorePending(shown, [], new Set(), now);
    expect(pending).toEqual(shown);
    expect(pending).not.toBe(shown);
  });
});

describe("retryOffer", () => {
  const standard = { name: "demo", kind: "standard" as const };
  it("offers one sign-in without PKCE when HubSpot refused the verifier of a standard app (issue 13)", () => {
    expect(retryOffer({ code: "pkce_rejected" }, standard)).toEqual({
      label: "Retry without PKCE",
      args: { app: "demo", without_pkce: true },
    });
    expect(retryOffer({ code: "pkce_rejected" }, standard, 24681357)?.args).toEqual({
      app: "demo",
      without_pkce: true,
      portal_id: 24681357,
    });
  });

  it("offers nothing for other failures, MCP auth apps (PKCE is required) or an app no longer registered", () => {
    expect(retryOffer({ code: "consent_denied" }, standard)).toBeNull();
    expect(retryOffer(null, standard)).toBeNull();
    expect(retryOffer({ code: "pkce_rejected" }, { name: "mcp", kind: "mcp" })).toBeNull();
    expect(retryOffer({ code: "pkce_rejected" }, undefined)).toBeNull();
  });
});
