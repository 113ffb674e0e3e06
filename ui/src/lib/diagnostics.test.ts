import { describe, expect, it } from "vitest";
import {
  completeWord,
  doctorSummary,
  guideItems,
  hubspotWording,
  mcpResult,
  orderedChecks,
  preflightProblems,
  wantsSuggestions,
  wordAt,
} from "./diagnostics";
import type { Check, DoctorView, Finding, McpCheckView } from "./types";

const finding = (id: string, severity: Finding["severity"]): Finding => ({
  id,
  severity,
  subject: null,
  message: `message of ${id}`,
  hubspot_says: null,
  fix: `fix of ${id}`,
});

describe("preflightProblems", () => {
  it("keeps the errors, then the warnings, of a preflight rejection", () => {
    const error = {
      code: "preflight",
      message: "m",
      hint: null,
      findings: [finding("scopes.legacy", "info"), finding("client_id.not_uuid", "warning"), finding("redirect.ip_literal", "error")],
    };
    expect(preflightProblems(error).map((f) => f.id)).toEqual(["redirect.ip_literal", "client_id.not_uuid"]);
  });

  it("is empty for any other rejection", () => {
    expect(preflightProblems({ code: "config", message: "m", hint: null })).toEqual([]);
    expect(preflightProblems("text")).toEqual([]);
    expect(preflightProblems(null)).toEqual([]);
  });
});

describe("install guide", () => {
  it("shows HubSpot's placeholders as an ellipsis", () => {
    expect(hubspotWording("Authorization failed as the redirect URL '{redirect_uri}' doesn't match")).toBe(
      "Authorization failed as the redirect URL '…' doesn't match",
    );
    const items = guideItems([
      {
        id: "governance_unapproved",
        title: "Not approved",
        hubspot_message: "…approved to access the required scopes [{scopes}]",
        also_seen: [],
        cause: "c",
        fix: "f",
      },
    ]);
    expect(items).toEqual([
      { id: "governance_unapproved", title: "Not approved", says: "…approved to access the required scopes […]", cause: "c", fix: "f" },
    ]);
  });
});

const check = (over: Partial<McpCheckView>): McpCheckView => ({
  app: "demo",
  hub_id: 1,
  outcome: "accepted",
  summary: "summary.",
  fix: null,
  hubspot_message: null,
  protocol_version: null,
  server_name: null,
  http_status: null,
  asked_server: true,
  ...over,
});

describe("mcpResult", () => {
  it("says accepted with the protocol and server", () => {
    const r = mcpResult(check({ outcome: "accepted", protocol_version: "2025-06-18", server_name: "hubspot" }));
    expect(r.tone).toBe("ok");
    expect(r.text).toBe("The server answered initialize (hubspot, protocol 2025-06-18).");
    expect(mcpResult(check({ protocol_version: "2025-06-18" })).text).toBe(
      "The server answered initialize (protocol 2025-06-18).",
    );
  });

  it("explains a token that is not user-level, quoting HubSpot and the fix", () => {
    const r = mcpResult(
      check({
        outcome: "not_user_level",
        hubspot_message: "This endpoint requires a user level OAuth token",
        fix: "HubSpot's MCP server accepts only user-level tokens: create an MCP auth app.",
      }),
    );
    expect(r.tone).toBe("warn");
    expect(r.title).toBe("Not a user-level token");
    expect(r.text).toContain("“This endpoint requires a user level OAuth token”");
    expect(r.text).toContain("create an MCP auth app");
  });

  it("says so without quoting HubSpot when the connection was known to be account-level (nothing was sent)", () => {
    const r = mcpResult(
      check({
        outcome: "not_user_level",
        asked_server: false,
        summary: "This connection's token is not a user-level token; the server was not asked.",
        fix: "Create an MCP auth app or a user-level app.",
      }),
    );
    expect(r.title).toBe("Not a user-level token");
    expect(r.text).toBe(
      "This connection's token is not a user-level token; the server was not asked. Create an MCP auth app or a user-level app.",
    );
    expect(r.text).not.toContain("said");
  });

  it("reports unauthorized and unexpected answers with the fix", () => {
    const u = mcpResult(check({ outcome: "unauthorized", summary: "Expired or revoked.", fix: "Refresh the connection." }));
    expect(u).toEqual({ tone: "danger", title: "Expired or revoked", text: "Expired or revoked. Refresh the connection." });
    expect(mcpResult(check({ outcome: "unexpected", http_status: 404 })).title).toBe("Unexpected answer (HTTP 404)");
  });
});

const c = (id: string, status: Check["status"]): Check => ({
  id,
  title: id,
  category: "config",
  subject: null,
  status,
  detail: "d",
  fix: null,
});

describe("doctor", () => {
  it("summarises and orders failures first", () => {
    const ok: DoctorView = { ok: true, exit_code: 0, checks: [c("a", "ok"), c("b", "ok")] };
    expect(doctorSummary(ok)).toBe("All 2 checks passed.");
    const bad: DoctorView = { ok: false, exit_code: 5, checks: [c("a", "ok"), c("b", "warn"), c("n", "fail"), c("k", "fail")] };
    expect(doctorSummary(bad)).toBe("2 failed, 1 warning of 4 checks.");
    expect(orderedChecks(bad).map((x) => x.id)).toEqual(["n", "k", "b", "a"]);
  });
});

describe("scope autocompletion", () => {
  it("finds the word at the caret", () => {
    expect(wordAt("oauth crm.obj", 13)).toEqual({ start: 6, end: 13, word: "crm.obj" });
    expect(wordAt("oauth crm.obj", 8)).toEqual({ start: 6, end: 13, word: "crm.obj" });
    expect(wordAt("oauth, ", 7)).toEqual({ start: 7, end: 7, word: "" });
    expect(wordAt("a\nfiles", 4).word).toBe("files");
  });

  it("replaces the word and moves the caret past it", () => {
    expect(completeWord("oauth crm.obj", 13, "crm.objects.contacts.read")).toEqual({
      text: "oauth crm.objects.contacts.read ",
      caret: 32,
    });
    expect(completeWord("crm.o automation", 3, "crm.objects.deals.read")).toEqual({
      text: "crm.objects.deals.read automation",
      caret: 23,
    });
  });

  it("asks only from two characters on", () => {
    expect(wantsSuggestions("c")).toBe(false);
    expect(wantsSuggestions("cr")).toBe(true);
    expect(wantsSuggestions("x".repeat(129))).toBe(false);
  });
});
