import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { copyToken, errorMessage, errorWithHint, getAppInfo, NotInHubkeyError, startLogin } from "./ipc";
import type { AppInfo } from "./types";

const info: AppInfo = {
  version: "0.1.0",
  app_base_url: "http://127.0.0.1:8099/",
  api_base_url: "http://127.0.0.1:8099/",
  mcp_base_url: "https://mcp.hubspot.com/",
  uses_sandbox: true,
  clipboard_clear_secs: 60,
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

  it("wraps command arguments in `args`, as the Rust commands expect", async () => {
    const seen: [string, unknown][] = [];
    (globalThis as { isTauri?: boolean }).isTauri = true;
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      return cmd === "copy_token" ? { app: "demo", hub_id: 1, as_header: true, clear_after_secs: 60 } : null;
    });
    await copyToken({ app: "demo", hub_id: 1, as_header: true });
    await startLogin({ app: "demo" });
    expect(seen).toEqual([
      ["copy_token", { args: { app: "demo", hub_id: 1, as_header: true } }],
      ["start_login", { args: { app: "demo" } }],
    ]);
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

  it("adds the hint when the error has one", () => {
    expect(errorWithHint({ code: "port_in_use", message: "port 53682 on localhost is already in use", hint: "Stop it." })).toBe(
      "port 53682 on localhost is already in use. Stop it.",
    );
    expect(errorWithHint({ code: "x", message: "Ends with a dot.", hint: "Do this." })).toBe("Ends with a dot. Do this.");
    expect(errorWithHint({ code: "x", message: "No hint", hint: null })).toBe("No hint");
  });
});

describe("explaining commands", () => {
  afterEach(() => {
    clearMocks();
    delete (globalThis as { isTauri?: boolean }).isTauri;
  });

  it("pass their arguments under `args` and ask for the install guide only once", async () => {
    const { checkMcp, installGuide, preflightApp, runDoctor, scopeSuggestions } = await import("./ipc");
    (globalThis as { isTauri?: boolean }).isTauri = true;
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return cmd === "install_guide" || cmd === "scope_suggestions" ? [] : {};
    });
    await preflightApp({ app: "demo" });
    await scopeSuggestions({ prefix: "crm.obj" });
    await checkMcp({ app: "demo", hub_id: 42 });
    await runDoctor();
    await installGuide();
    await installGuide();
    expect(calls).toEqual([
      ["preflight_app", { args: { app: "demo" } }],
      ["scope_suggestions", { args: { prefix: "crm.obj" } }],
      ["check_mcp", { args: { app: "demo", hub_id: 42 } }],
      ["doctor", {}],
      ["install_guide", {}],
    ]);
  });
});
