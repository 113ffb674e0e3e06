/**
 * When the window must repaint: the next moment any text drawn from the clock changes.
 *
 * Every repaint costs CPU, and on software GL (VMs, remote desktops, Xvfb) a lot: a 1 Hz tick under three
 * cards kept WebKit at ~45 % of a core while idle (docs/BENCHMARKS.md, finding 1). So App.svelte has one
 * clock, moved by a `setTimeout` to the soonest change computed here: once a minute while every countdown
 * shows whole minutes, every second only where seconds are shown (a token's last two minutes, a refresh
 * under way or retried, a sign-in being waited for), never once everything is past.
 *
 * Each deadline says how its text is rounded (the formatters of format.ts, all rounding down), and
 * nextTickDelay returns the milliseconds until the first text changes: never later (no stale value) and
 * never earlier (no repaint that changes nothing).
 */
import { PRECISE_BELOW_SECS } from "./format";
import { GUIDE_AFTER_SECS } from "./installErrors";
import type { ConnectionView, LoginStarted } from "./types";

/** How a deadline's text is rounded, hence when it changes. */
export type Shown =
  /** formatTimeLeft(left): whole minutes, `m:ss` in the last two minutes, then "expired". */
  | "time-left"
  /** formatCountdown(left) or formatTimeLeft(left, true): `m:ss` to the second, then "expired". */
  | "seconds"
  /** formatIn(left): whole minutes, "in under a minute", then "now". */
  | "minutes"
  /** Something shown once the moment is reached (the install guide), nothing before. */
  | "moment";

/** A time (epoch ms) that some visible text counts down to, and how that text is rounded. */
export interface Deadline {
  atMs: number;
  shown: Shown;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const PRECISE_BELOW_MS = PRECISE_BELOW_SECS * SECOND;

/**
 * Milliseconds from `nowMs` until the first of `deadlines` changes its text, or null when none will
 * (no deadlines, or all of them past or unparsable): then no timer is needed.
 */
export function nextTickDelay(deadlines: readonly Deadline[], nowMs: number): number | null {
  let soonest: number | null = null;
  for (const deadline of deadlines) {
    const delay = changesIn(deadline, nowMs);
    if (delay !== null && (soonest === null || delay < soonest)) {
      soonest = delay;
    }
  }
  return soonest;
}

/** Milliseconds until one deadline's text changes, or null if it never will. */
function changesIn({ atMs, shown }: Deadline, nowMs: number): number | null {
  const left = atMs - nowMs;
  if (!Number.isFinite(left) || left <= 0) {
    // "expired", "now", or the moment has passed: the text is final.
    return null;
  }
  if (shown === "moment") {
    return left;
  }
  const precise = shown === "seconds" || (shown === "time-left" && left < PRECISE_BELOW_MS);
  const unit = precise ? SECOND : MINUTE;
  // The text shows floor(left / unit) units, so it changes when `left` drops below that multiple; the
  // last change, to "expired" or "now", happens when `left` reaches zero.
  const floor = left - (left % unit);
  let delay = floor > 0 ? left - floor + 1 : left;
  if (shown === "time-left" && !precise) {
    // Whole minutes turn into m:ss as soon as less than PRECISE_BELOW_SECS are left.
    delay = Math.min(delay, left - PRECISE_BELOW_MS + 1);
  }
  return delay;
}

/** Whether a connection's countdown shows seconds however far the expiry: while a refresh is in flight. */
export function isPreciseCountdown(state: ConnectionView["state"]): boolean {
  return state === "refreshing" || state === "retrying";
}

/** What a connection card counts down to: its expiry, and its next refresh unless refreshing has stopped. */
export function connectionDeadlines(c: Pick<ConnectionView, "state" | "expires_at" | "next_refresh_at">): Deadline[] {
  const expiry: Deadline = {
    atMs: Date.parse(c.expires_at),
    shown: isPreciseCountdown(c.state) ? "seconds" : "time-left",
  };
  if (c.state === "needs_reauth") {
    return [expiry];
  }
  return [expiry, { atMs: Date.parse(c.next_refresh_at), shown: "minutes" }];
}

/** What a sign-in being waited for counts down to: its end (to the second) and the install guide's moment. */
export function loginDeadlines(started: Pick<LoginStarted, "expires_at">, sinceMs: number): Deadline[] {
  return [
    { atMs: Date.parse(started.expires_at), shown: "seconds" },
    { atMs: sinceMs + GUIDE_AFTER_SECS * SECOND, shown: "moment" },
  ];
}
