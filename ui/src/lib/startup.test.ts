import { describe, expect, it } from "vitest";
import { pageTimings } from "./startup";

describe("pageTimings", () => {
  it("reports the navigation start and the milestones after it", () => {
    const perf = {
      timeOrigin: 1_700_000_000_123.5,
      now: () => 41.25,
      getEntriesByType: (type: string) =>
        type === "navigation" ? [{ domInteractive: 18.5 } as PerformanceNavigationTiming] : [],
    };
    expect(pageTimings(perf)).toEqual({ time_origin_ms: 1_700_000_000_123.5, dom_interactive_ms: 18.5, mounted_ms: 41.25 });
  });

  it("reports 0 for DOM interactive when the browser has no navigation entry", () => {
    const perf = { timeOrigin: 5, now: () => 7, getEntriesByType: () => [] };
    expect(pageTimings(perf).dom_interactive_ms).toBe(0);
  });
});
