import type { ConnectionView } from "./types";

export type ScopeGroupKey = "required" | "optional_granted" | "optional_dropped" | "extra";

export interface ScopeGroup {
  key: ScopeGroupKey;
  title: string;
  /** Why the group looks the way it does, or null. */
  note: string | null;
  scopes: string[];
  /** Per scope, why HubSpot probably left it out (dropped optional scopes only; from Hubkey's scope catalog). */
  reasons: Record<string, string>;
}

type Scoped = Pick<ConnectionView, "required_scopes" | "optional_granted" | "optional_dropped" | "extra_granted"> &
  Partial<Pick<ConnectionView, "dropped_reasons">>;

/** The non-empty scope groups of a connection, in reading order. */
export function scopeGroups(c: Scoped): ScopeGroup[] {
  const reasons: Record<string, string> = {};
  for (const d of c.dropped_reasons ?? []) {
    reasons[d.scope] = d.likely_reason;
  }
  const explained = Object.keys(reasons).length > 0;
  const groups: ScopeGroup[] = [
    { key: "required", title: "Required", note: null, scopes: [...c.required_scopes], reasons: {} },
    { key: "optional_granted", title: "Optional, granted", note: null, scopes: [...c.optional_granted], reasons: {} },
    {
      key: "optional_dropped",
      title: "Optional, dropped",
      note: explained
        ? "HubSpot leaves out optional scopes the portal or the installing user cannot use. Calls that need them will fail with 403."
        : "HubSpot leaves out optional scopes the portal cannot use — most likely its subscription tier lacks the feature. Calls that need them will fail with 403.",
      scopes: [...c.optional_dropped],
      reasons,
    },
    {
      key: "extra",
      title: "Also granted",
      note: "Granted without being requested by this app's settings in Hubkey.",
      scopes: [...c.extra_granted],
      reasons: {},
    },
  ];
  return groups.filter((g) => g.scopes.length > 0);
}

/** "3 of 4 optional scopes granted" style summary, or null without optional scopes. */
export function optionalSummary(c: Scoped): string | null {
  const total = c.optional_granted.length + c.optional_dropped.length;
  if (total === 0) {
    return null;
  }
  return `${c.optional_granted.length} of ${total} optional ${total === 1 ? "scope" : "scopes"} granted`;
}
