import { describe, expect, it } from "vitest";
import { describeEndpoints, displayUrl } from "./endpoints";
import type { AppInfo } from "./types";

const hubspot: AppInfo = {
  version: "0.1.0",
  app_base_url: "https://app.hubspot.com/",
  api_base_url: "https://api.hubapi.com/",
  mcp_base_url: "https://mcp.hubspot.com/",
  uses_sandbox: false,
  clipboard_clear_secs: 60,
};

describe("displayUrl", () => {
  it("keeps host, port and a non-root path, without the trailing slash", () => {
    expect(displayUrl("https://api.hubapi.com/")).toBe("api.hubapi.com");
    expect(displayUrl("http://127.0.0.1:8099/")).toBe("127.0.0.1:8099");
    expect(displayUrl("http://localhost:8099/hs/")).toBe("localhost:8099/hs");
    expect(displayUrl("http://[::1]:8099")).toBe("[::1]:8099");
  });

  it("returns what it cannot parse unchanged", () => {
    expect(displayUrl("not a url")).toBe("not a url");
  });
});

describe("describeEndpoints", () => {
  it("describes the HubSpot defaults", () => {
    const d = describeEndpoints(hubspot);
    expect(d.mode).toBe("hubspot");
    expect(d.badge).toBe("HubSpot");
    expect(d.summary).toBe("Talking to HubSpot.");
    expect(d.lines.map((l) => [l.kind, l.display, l.isDefault])).toEqual([
      ["app", "app.hubspot.com", true],
      ["api", "api.hubapi.com", true],
      ["mcp", "mcp.hubspot.com", true],
    ]);
  });

  it("treats a default written without the trailing slash as the default", () => {
    const d = describeEndpoints({ ...hubspot, api_base_url: "https://api.hubapi.com" });
    expect(d.lines.find((l) => l.kind === "api")?.isDefault).toBe(true);
  });

  it("names the sandbox host once, even when several endpoints point at it", () => {
    const d = describeEndpoints({
      ...hubspot,
      app_base_url: "http://127.0.0.1:8099/",
      api_base_url: "http://127.0.0.1:8099/",
      uses_sandbox: true,
    });
    expect(d.mode).toBe("sandbox");
    expect(d.badge).toBe("Sandbox");
    expect(d.summary).toBe("Talking to a sandbox at 127.0.0.1:8099, not to HubSpot.");
    expect(d.lines.filter((l) => !l.isDefault).map((l) => l.kind)).toEqual(["app", "api"]);
    expect(d.lines.find((l) => l.kind === "mcp")?.isDefault).toBe(true);
  });

  it("trusts uses_sandbox from Rust even if the URLs look like HubSpot's", () => {
    const d = describeEndpoints({ ...hubspot, app_base_url: "https://app-eu1.hubspot.com/", uses_sandbox: true });
    expect(d.badge).toBe("Sandbox");
    expect(d.summary).toContain("app-eu1.hubspot.com");
  });

  it("calls an override of any other host Not HubSpot, and says what goes there", () => {
    const d = describeEndpoints({ ...hubspot, api_base_url: "https://evil.example/", uses_sandbox: true });
    expect(d.mode).toBe("sandbox");
    expect(d.badge).toBe("Not HubSpot");
    expect(d.summary).toBe("Talking to evil.example, not to HubSpot: your client secret and tokens go there.");
    const mixed = describeEndpoints({
      ...hubspot,
      app_base_url: "http://127.0.0.1:8099/",
      api_base_url: "https://evil.example/",
      uses_sandbox: true,
    });
    expect(mixed.badge).toBe("Not HubSpot");
  });
});
