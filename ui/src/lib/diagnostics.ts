/**
 * What the explaining commands return, turned into what the UI shows: preflight findings, HubSpot's
 * install-error guide, the MCP server check and the doctor's report. Pure functions, tested in
 * diagnostics.test.ts; the wording of the findings themselves comes from hubkey-core.
 */
import { reactionTo } from "./errors";
import type {
  Check,
  CommandError,
  DoctorView,
  Finding,
  InstallFailure,
  McpCheckView,
} from "./types";

/** The findings of a `preflight` rejection worth showing (errors, then warnings), or [] for other errors. */
export function preflightProblems(error: unknown): Finding[] {
  if (typeof error !== "object" || error === null) {
    return [];
  }
  const e = error as Partial<CommandError>;
  if (typeof e.code !== "string" || reactionTo(e.code) !== "show_findings" || !Array.isArray(e.findings)) {
    return [];
  }
  const rank = { error: 0, warning: 1, info: 2 } as const;
  return e.findings.filter((f) => f.severity !== "info").sort((a, b) => rank[a.severity] - rank[b.severity]);
}

/** HubSpot's wording with its `{…}` placeholders shown as "…", as the user would read it on the page. */
export function hubspotWording(message: string): string {
  return message.replace(/\{[^}]*\}/g, "…");
}

/** One guide entry as the waiting panel shows it. */
export interface GuideItem {
  id: string;
  title: string;
  says: string;
  cause: string;
  fix: string;
}

export function guideItems(entries: readonly InstallFailure[]): GuideItem[] {
  return entries.map((e) => ({
    id: e.id,
    title: e.title,
    says: hubspotWording(e.hubspot_message),
    cause: e.cause,
    fix: e.fix,
  }));
}

export type McpTone = "ok" | "warn" | "danger";

/** The outcome of "Test against the MCP server", for a connection card. */
export function mcpResult(check: McpCheckView): { tone: McpTone; title: string; text: string } {
  switch (check.outcome) {
    case "accepted": {
      const server = check.server_name ? `${check.server_name}, ` : "";
      return {
        tone: "ok",
        title: "Accepted by HubSpot's MCP server",
        text: `The server answered initialize (${server}protocol ${check.protocol_version ?? "unknown"}).`,
      };
    }
    case "not_user_level":
      return {
        tone: "warn",
        title: "Not a user-level token",
        text: check.asked_server
          ? `HubSpot's MCP server said “${check.hubspot_message ?? "This endpoint requires a user level OAuth token"}”. ${check.fix ?? ""}`.trim()
          : [check.summary, check.fix].filter(Boolean).join(" "),
      };
    case "unauthorized":
      return {
        tone: "danger",
        title: "Expired or revoked",
        text: [check.summary, check.fix].filter(Boolean).join(" "),
      };
    case "unexpected":
      return {
        tone: "danger",
        title: check.http_status ? `Unexpected answer (HTTP ${check.http_status})` : "Unexpected answer",
        text: [check.summary, check.fix].filter(Boolean).join(" "),
      };
  }
}

/** "All 7 checks passed", "2 failed, 1 warning", for the diagnostics panel's heading. */
export function doctorSummary(report: DoctorView): string {
  const count = (s: Check["status"]) => report.checks.filter((c) => c.status === s).length;
  const failed = count("fail");
  const warned = count("warn");
  if (failed === 0 && warned === 0) {
    return `All ${report.checks.length} checks passed.`;
  }
  const parts: string[] = [];
  if (failed > 0) {
    parts.push(`${failed} failed`);
  }
  if (warned > 0) {
    parts.push(`${warned} ${warned === 1 ? "warning" : "warnings"}`);
  }
  return `${parts.join(", ")} of ${report.checks.length} checks.`;
}

/** The checks in the order to read them: failures, then warnings, then the rest (stable otherwise). */
export function orderedChecks(report: DoctorView): Check[] {
  const rank = { fail: 0, warn: 1, ok: 2 } as const;
  return report.checks
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank[a.c.status] - rank[b.c.status] || a.i - b.i)
    .map(({ c }) => c);
}

// ----- scope autocompletion ----------------------------------------------------------------------------------

const SEPARATOR = /[\s,]/;

/** The scope word the caret is in (or right after) in a scope list as typed: its start, end and text. */
export function wordAt(text: string, caret: number): { start: number; end: number; word: string } {
  const at = Math.max(0, Math.min(caret, text.length));
  let start = at;
  while (start > 0 && !SEPARATOR.test(text[start - 1] ?? "")) {
    start -= 1;
  }
  let end = at;
  while (end < text.length && !SEPARATOR.test(text[end] ?? "")) {
    end += 1;
  }
  return { start, end, word: text.slice(start, end) };
}

/** Replaces the word at the caret with `scope` and a space; returns the new text and where the caret goes. */
export function completeWord(text: string, caret: number, scope: string): { text: string; caret: number } {
  const { start, end } = wordAt(text, caret);
  const after = text.slice(end);
  // `after` is empty or starts with a separator: add a space only at the end of the text.
  const spacer = after.length === 0 ? " " : "";
  return { text: `${text.slice(0, start)}${scope}${spacer}${after}`, caret: start + scope.length + 1 };
}

/** Whether to ask for suggestions for this word: two characters or more, and not already a listed scope. */
export function wantsSuggestions(word: string): boolean {
  return word.length >= 2 && word.length <= 128;
}
