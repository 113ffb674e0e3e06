import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { errorMessage, getAppInfo, NotInHubkeyError } from "./api";
import type { AppInfo } from "./types";

const info: AppInfo = {
  version: "0.1.0",
  app_base_url: "http://127.0.0.1:8099/",
  api_base_url: "http://127.0.0.1:8099/",
  mcp_base_url: "https://mcp.hubspot.com/",
  uses_sandbox: true,
};

// The mocks write to `window`; these tests run in node, where the global object is `globalThis`.
beforeAll(() => {
  (globalThis as { window?: unknown }).window ??= globalThis;
});

describe("getAppInfo", () => {
  afterEach(() => {
    clearMocks();
    delete (globalThis as { isTauri?: boolean }).isTauri;
  });

  it("refuses to run outside the app", async () => {
    await expect(getAppInfo()).rejects.toBeInstanceOf(NotInHubkeyError);
  });

  it("invokes app_info with no arguments", async () => {
    const calls: string[] = [];
    (globalThis as { isTauri?: boolean }).isTauri = true;
    mockIPC((cmd, args) => {
      calls.push(cmd);
      expect(args).toEqual({});
      return cmd === "app_info" ? info : undefined;
    });
    await expect(getAppInfo()).resolves.toEqual(info);
    expect(calls).toEqual(["app_info"]);
  });
});

describe("errorMessage", () => {
  it("reads strings, Errors and CommandError objects", () => {
    expect(errorMessage("plain")).toBe("plain");
    expect(errorMessage(new Error("boom"))).toBe("boom");
    expect(errorMessage({ code: "config", message: "HUBKEY_API_BASE_URL is wrong" })).toBe(
      "HUBKEY_API_BASE_URL is wrong",
    );
    expect(errorMessage({ code: 1 })).toBe("Unknown error");
    expect(errorMessage(null)).toBe("Unknown error");
  });
});
