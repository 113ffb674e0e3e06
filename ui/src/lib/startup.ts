import type { PageTimings } from "./types";

/** What a page tells the host once it has rendered (`page_ready`): its navigation start and its milestones. */
export function pageTimings(perf: Pick<Performance, "timeOrigin" | "now" | "getEntriesByType">): PageTimings {
  const navigation = perf.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
  return {
    time_origin_ms: perf.timeOrigin,
    dom_interactive_ms: navigation?.domInteractive ?? 0,
    mounted_ms: perf.now(),
  };
}
