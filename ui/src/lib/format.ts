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
