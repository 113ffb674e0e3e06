import type { ConnectionView } from "./types";
import { secondsUntil } from "./format";

export type Tone = "ok" | "busy" | "warn" | "danger";

export interface StateBadge {
  label: string;
  tone: Tone;
  /** One sentence under the badge, or null. */
  detail: string | null;
  /** Show the Re-authorize button prominently. */
  reauthorize: boolean;
}

type Badged = Pick<ConnectionView, "state" | "state_reason" | "expires_at">;

/** The state badge of a connection at `nowMs`. */
export function stateBadge(c: Badged, nowMs: number): StateBadge {
  switch (c.state) {
    case "needs_reauth":
      return {
        label: "Needs re-authorization",
        tone: "danger",
        detail: c.state_reason
          ? `HubSpot no longer accepts the refresh token (${c.state_reason}). The app may have been uninstalled from the portal.`
          : "HubSpot no longer accepts the refresh token. The app may have been uninstalled from the portal.",
        reauthorize: true,
      };
    case "retrying":
      return {
        label: "Retrying",
        tone: "warn",
        detail: c.state_reason ? `Last refresh failed: ${c.state_reason}.` : "The last refresh failed; Hubkey retries shortly.",
        reauthorize: false,
      };
    case "refreshing":
      return { label: "Refreshing", tone: "busy", detail: null, reauthorize: false };
    case "fresh":
      if (secondsUntil(c.expires_at, nowMs) <= 0) {
        return {
          label: "Expired",
          tone: "warn",
          detail: c.state_reason ?? "The access token has expired; Hubkey refreshes it before the next copy.",
          reauthorize: false,
        };
      }
      return { label: "Fresh", tone: "ok", detail: c.state_reason, reauthorize: false };
  }
}

/** The user-level badge and its one-line explanation (design.md §1, MCP users). */
export function tokenLevel(isUserLevel: boolean | null): { label: string; explanation: string; mcpReady: boolean | null } {
  if (isUserLevel === true) {
    return {
      label: "User-level",
      explanation: "Works with HubSpot's MCP server, which accepts only user-level tokens.",
      mcpReady: true,
    };
  }
  if (isUserLevel === false) {
    return {
      label: "Account-level",
      explanation: "HubSpot's MCP server accepts only user-level tokens; use an MCP auth app for it.",
      mcpReady: false,
    };
  }
  return {
    label: "Level unknown",
    explanation: "HubSpot did not say whether this token is user-level (the MCP server accepts only those).",
    mcpReady: null,
  };
}

/**
 * The portal's data centre for the card, from introspection's `hublet` (`na1`, `eu1`…): "Europe (eu1)".
 * Null when HubSpot did not say (nothing is shown then).
 */
export function dataCentre(hublet: string | null | undefined): string | null {
  if (!hublet) {
    return null;
  }
  const regions: [string, string][] = [
    ["na", "North America"],
    ["eu", "Europe"],
    ["ap", "Asia Pacific"],
  ];
  const region = regions.find(([prefix]) => hublet.startsWith(prefix))?.[1];
  return region ? `${region} (${hublet})` : hublet;
}
