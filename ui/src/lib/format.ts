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
  const minutes = Math.floor(secondsLeft / 60);
  if (minutes < 60) {
    return `in ${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `in ${hours} h` : `in ${hours} h ${rest} min`;
}
