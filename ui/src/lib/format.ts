/**
 * A token countdown: "29:59" under an hour, "1:02:03" from an hour on, "expired" at or below zero.
 * Fractions of a second are dropped (a token valid for 0.4 s more is shown as "0:00", not "expired").
 * Anything that is not a finite number is "expired": a countdown must never show NaN.
 */
export function formatCountdown(secondsLeft: number): string {
  if (!Number.isFinite(secondsLeft) || secondsLeft <= 0) {
    return "expired";
  }
  const total = Math.floor(secondsLeft);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const ss = String(seconds).padStart(2, "0");
  if (hours === 0) {
    return `${minutes}:${ss}`;
  }
  return `${hours}:${String(minutes).padStart(2, "0")}:${ss}`;
}

/** Seconds from `nowMs` until the RFC 3339 `expiresAt` (negative once past, NaN if unparsable). */
export function secondsUntil(expiresAt: string, nowMs: number): number {
  return (Date.parse(expiresAt) - nowMs) / 1000;
}

/**
 * "12:41" (24-hour clock) for an RFC 3339 time, in the given IANA time zone or the system's.
 * "--:--" for an unparsable time.
 */
export function formatClock(iso: string, timeZone?: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) {
    return "--:--";
  }
  const options: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  if (timeZone !== undefined) {
    options.timeZone = timeZone;
  }
  return new Intl.DateTimeFormat("en-GB", options).format(ms);
}

/** "in 23 min", "in 2 h 5 min", "in under a minute", "now" — coarse, for sentences. */
export function formatIn(secondsLeft: number): string {
  if (!Number.isFinite(secondsLeft) || secondsLeft <= 0) {
    return "now";
  }
  if (secondsLeft < 60) {
    return "in under a minute";
  }
  return `in ${formatMinutes(Math.floor(secondsLeft / 60))}`;
}

/**
 * Below this many seconds a token's countdown shows `m:ss` and moves every second; above, whole minutes.
 * Two minutes: the last stretch in which a user waits for the token (or its refresh) and wants every second.
 */
export const PRECISE_BELOW_SECS = 120;

/**
 * A token's time left as its card shows it: "29 min" (or "1 h 5 min") while more than two minutes are left,
 * "1:59" in the last two minutes or whenever `precise` (a refresh under way or being retried), "expired" at
 * or below zero. Minutes are rounded down like the seconds of formatCountdown, so the token always has at
 * least the time shown and less than one unit more: "2 min" turns into "1:59", never into "1 min".
 * Whole minutes change once a minute, so an idle window repaints once a minute instead of every second
 * (each repaint costs CPU on software GL: docs/BENCHMARKS.md, finding 1; lib/ticks.ts schedules them).
 */
export function formatTimeLeft(secondsLeft: number, precise = false): string {
  if (!Number.isFinite(secondsLeft) || secondsLeft <= 0) {
    return "expired";
  }
  if (precise || secondsLeft < PRECISE_BELOW_SECS) {
    return formatCountdown(secondsLeft);
  }
  return formatMinutes(Math.floor(secondsLeft / 60));
}

/** "23 min", "2 h", "2 h 5 min" for a whole number of minutes. */
function formatMinutes(minutes: number): string {
  if (minutes < 60) {
    return `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}
