import type { AppInfo } from "./types";

/** HubSpot's own hosts, as in design.md §5. */
export const HUBSPOT_DEFAULTS = {
  app: "https://app.hubspot.com/",
  api: "https://api.hubapi.com/",
  mcp: "https://mcp.hubspot.com/",
} as const;

export type EndpointKind = keyof typeof HUBSPOT_DEFAULTS;

export interface EndpointLine {
  kind: EndpointKind;
  label: string;
  /** Host and port (and path, if any): what a person needs to recognise the server. */
  display: string;
  url: string;
  isDefault: boolean;
}

export interface EndpointSummary {
  mode: "hubspot" | "sandbox";
  /** "Sandbox" when every override is on this machine (loopback), "Not HubSpot" when one is elsewhere. */
  badge: "HubSpot" | "Sandbox" | "Not HubSpot";
  /** One sentence for the header tooltip and screen readers. */
  summary: string;
  lines: EndpointLine[];
}

const LABELS: Record<EndpointKind, string> = {
  app: "Authorize page",
  api: "Token API",
  mcp: "MCP auth",
};

/** "https://api.hubapi.com/" → "api.hubapi.com"; "http://127.0.0.1:8099/hs/" → "127.0.0.1:8099/hs". */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const path = parsed.pathname === "/" ? "" : parsed.pathname.replace(/\/$/, "");
    return `${parsed.host}${path}`;
  } catch {
    return url;
  }
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

/** Turns `app_info` into what the header badge and the endpoint list show. */
export function describeEndpoints(info: AppInfo): EndpointSummary {
  const urls: Record<EndpointKind, string> = {
    app: info.app_base_url,
    api: info.api_base_url,
    mcp: info.mcp_base_url,
  };
  const lines = (Object.keys(urls) as EndpointKind[]).map((kind) => ({
    kind,
    label: LABELS[kind],
    display: displayUrl(urls[kind]),
    url: urls[kind],
    isDefault: sameUrl(urls[kind], HUBSPOT_DEFAULTS[kind]),
  }));
  if (!info.uses_sandbox) {
    return { mode: "hubspot", badge: "HubSpot", summary: "Talking to HubSpot.", lines };
  }
  const overridden = lines.filter((line) => !line.isDefault);
  const hosts = [...new Set(overridden.map((line) => line.display))];
  const where = hosts.length > 0 ? hosts.join(", ") : "overridden endpoints";
  // An https override may name any host (docs/SECURITY.md, finding 6): a planted HUBKEY_API_BASE_URL would
  // receive the client secret and every refresh token. The badge says so, not "Sandbox".
  if (overridden.some((line) => !isLoopback(line.url) && !isHubSpotDomain(line.url))) {
    return {
      mode: "sandbox",
      badge: "Not HubSpot",
      summary: `Talking to ${where}, not to HubSpot: your client secret and tokens go there.`,
      lines,
    };
  }
  return {
    mode: "sandbox",
    badge: "Sandbox",
    summary: `Talking to a sandbox at ${where}, not to HubSpot.`,
    lines,
  };
}

/** A host of HubSpot's own domains (another region's app host, say). */
function isHubSpotDomain(url: string): boolean {
  try {
    const host = new URL(url).hostname.toLowerCase();
    return ["hubspot.com", "hubapi.com"].some((d) => host === d || host.endsWith(`.${d}`));
  } catch {
    return false;
  }
}

/** `localhost`, `127.x.x.x` or `[::1]`: the only hosts a plain-http sandbox may use. */
export function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname.toLowerCase();
    return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}
