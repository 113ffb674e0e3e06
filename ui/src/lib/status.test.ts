import { describe, expect, it } from "vitest";
import { dataCentre, stateBadge, tokenLevel } from "./status";

const now = Date.parse("2026-11-23T10:00:00Z");
const later = "2026-11-23T10:30:00Z";
const earlier = "2026-11-23T09:59:59Z";

describe("stateBadge", () => {
  it("is calm when fresh", () => {
    expect(stateBadge({ state: "fresh", state_reason: null, expires_at: later }, now)).toEqual({
      label: "Fresh",
      tone: "ok",
      detail: null,
      reauthorize: false,
    });
  });

  it("says expired for a fresh connection past its expiry", () => {
    const badge = stateBadge({ state: "fresh", state_reason: null, expires_at: earlier }, now);
    expect(badge.label).toBe("Expired");
    expect(badge.tone).toBe("warn");
  });

  it("shows the reason while retrying", () => {
    const badge = stateBadge({ state: "retrying", state_reason: "HTTP 503 (attempt 2 of 5)", expires_at: later }, now);
    expect(badge).toMatchObject({ label: "Retrying", tone: "warn", reauthorize: false });
    expect(badge.detail).toBe("Last refresh failed: HTTP 503 (attempt 2 of 5).");
  });

  it("asks for re-authorization with HubSpot's status", () => {
    const badge = stateBadge({ state: "needs_reauth", state_reason: "BAD_REFRESH_TOKEN", expires_at: later }, now);
    expect(badge).toMatchObject({ label: "Needs re-authorization", tone: "danger", reauthorize: true });
    expect(badge.detail).toContain("BAD_REFRESH_TOKEN");
  });

  it("marks refreshing as busy", () => {
    expect(stateBadge({ state: "refreshing", state_reason: null, expires_at: later }, now).tone).toBe("busy");
  });
});

describe("tokenLevel", () => {
  it("explains what the MCP server accepts", () => {
    expect(tokenLevel(true)).toMatchObject({ label: "User-level", mcpReady: true });
    expect(tokenLevel(false).explanation).toContain("accepts only user-level tokens");
    expect(tokenLevel(null).mcpReady).toBeNull();
  });
});

describe("dataCentre", () => {
  it("names the region of HubSpot's hublet, and shows nothing when HubSpot did not say", () => {
    expect(dataCentre("eu1")).toBe("Europe (eu1)");
    expect(dataCentre("na1")).toBe("North America (na1)");
    expect(dataCentre("ap1")).toBe("Asia Pacific (ap1)");
    expect(dataCentre("xx9")).toBe("xx9");
    expect(dataCentre(null)).toBeNull();
    expect(dataCentre(undefined)).toBeNull();
    expect(dataCentre("")).toBeNull();
  });
});
