import { describe, expect, it } from "vitest";
import { formatCountdown, formatIn, formatTimeLeft } from "./format";
import { GUIDE_AFTER_SECS } from "./installErrors";
import { connectionDeadlines, isPreciseCountdown, loginDeadlines, nextTickDelay, type Shown } from "./ticks";

const now = Date.parse("2026-11-23T10:00:00Z");
const at = (leftMs: number) => now + leftMs;
const MIN = 60_000;

describe("nextTickDelay", () => {
  it("given no deadlines, needs no timer", () => {
    expect(nextTickDelay([], now)).toBeNull();
  });

  it("given a fresh 30-minute token, waits until its text turns from 29 min to 28 min", () => {
    // 29:59.500 left shows "29 min"; it shows "28 min" once less than 29:00 is left.
    expect(formatTimeLeft(29 * 60 + 59.5)).toBe("29 min");
    expect(nextTickDelay([{ atMs: at(29 * MIN + 59_500), shown: "time-left" }], now)).toBe(59_501);
  });

  it("given a countdown exactly on a minute, ticks 1 ms later, when the minute is no longer whole", () => {
    expect(nextTickDelay([{ atMs: at(10 * MIN), shown: "time-left" }], now)).toBe(1);
  });

  it("given a countdown between two and three minutes, waits until m:ss starts at 1:59", () => {
    expect(nextTickDelay([{ atMs: at(2 * MIN + 30_000), shown: "time-left" }], now)).toBe(30_001);
    expect(formatTimeLeft((2 * MIN + 30_000 - 30_001) / 1000)).toBe("1:59");
  });

  it("given a countdown in its last two minutes, ticks on its next second (at most 1 s)", () => {
    expect(nextTickDelay([{ atMs: at(90_400), shown: "time-left" }], now)).toBe(401);
    expect(nextTickDelay([{ atMs: at(119_999), shown: "time-left" }], now)).toBe(1000);
  });

  it("given a token being refreshed or retried, ticks every second however far its expiry", () => {
    expect(nextTickDelay([{ atMs: at(25 * MIN + 250), shown: "seconds" }], now)).toBe(251);
  });

  it("given an expired token, a passed refresh or an unparsable time, needs no timer", () => {
    const past: Shown[] = ["time-left", "seconds", "minutes", "moment"];
    expect(nextTickDelay(past.map((shown) => ({ atMs: at(0), shown })), now)).toBeNull();
    expect(nextTickDelay(past.map((shown) => ({ atMs: at(-5_000), shown })), now)).toBeNull();
    expect(nextTickDelay([{ atMs: Number.NaN, shown: "time-left" }], now)).toBeNull();
  });

  it("given less than a second left, ticks exactly when the token expires", () => {
    expect(nextTickDelay([{ atMs: at(300), shown: "time-left" }], now)).toBe(300);
    expect(formatTimeLeft(0)).toBe("expired");
  });

  it("given many cards, waits for the soonest change among them", () => {
    const cards = [
      { atMs: at(29 * MIN + 40_000), shown: "time-left" as const }, // changes in 40 s
      { atMs: at(17 * MIN + 12_000), shown: "time-left" as const }, // changes in 12 s
      { atMs: at(24 * MIN + 30_000), shown: "minutes" as const }, // changes in 30 s
      { atMs: at(-MIN), shown: "time-left" as const }, // expired: never
    ];
    expect(nextTickDelay(cards, now)).toBe(12_001);
    expect(nextTickDelay([...cards, { atMs: at(100_700), shown: "time-left" }], now)).toBe(701);
  });

  it("given the install guide's moment, wakes exactly when it is due", () => {
    expect(nextTickDelay([{ atMs: at(20_000), shown: "moment" }], now)).toBe(20_000);
  });

  // The scheduler and the formatters must agree: the text is the same until the tick and differs at it.
  const texts: Record<Exclude<Shown, "moment">, (leftMs: number) => string> = {
    "time-left": (leftMs) => formatTimeLeft(leftMs / 1000),
    seconds: (leftMs) => formatCountdown(leftMs / 1000),
    minutes: (leftMs) => formatIn(leftMs / 1000),
  };
  const edges = [1, 2, 999, 1000, 1001, 59_999, 60_000, 60_001, 119_999, 120_000, 120_001, 179_999, 180_000];
  let seed = 7;
  const random = Array.from({ length: 300 }, () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return 1 + (seed % (3 * 3600 * 1000));
  });
  for (const [shown, text] of Object.entries(texts) as [Exclude<Shown, "moment">, (leftMs: number) => string][]) {
    it(`given any time left shown as ${shown}, the text stays the same until the tick and changes at it`, () => {
      for (const left of [...edges, 29 * MIN + 59_999, 30 * MIN, 61 * MIN + 1, ...random]) {
        const delay = nextTickDelay([{ atMs: at(left), shown }], now);
        expect(delay, `left ${left} ms`).not.toBeNull();
        const d = delay ?? 0;
        expect(d, `left ${left} ms`).toBeGreaterThan(0);
        expect(text(left - (d - 1)), `left ${left} ms, just before the tick`).toBe(text(left));
        expect(text(left - Math.floor(d / 2)), `left ${left} ms, half-way to the tick`).toBe(text(left));
        expect(text(left - d), `left ${left} ms, at the tick after ${d} ms`).not.toBe(text(left));
      }
    });
  }
});

describe("formatTimeLeft", () => {
  it("shows whole minutes, rounded down, while more than two minutes are left", () => {
    expect(formatTimeLeft(1800)).toBe("30 min");
    expect(formatTimeLeft(1799)).toBe("29 min");
    expect(formatTimeLeft(179.9)).toBe("2 min");
    expect(formatTimeLeft(120)).toBe("2 min");
    expect(formatTimeLeft(3600 + 5 * 60 + 59)).toBe("1 h 5 min");
    expect(formatTimeLeft(2 * 3600)).toBe("2 h");
  });

  it("shows m:ss in the last two minutes, so 1 min never shows with 0:59 or 1:59 left", () => {
    expect(formatTimeLeft(119.99)).toBe("1:59");
    expect(formatTimeLeft(60)).toBe("1:00");
    expect(formatTimeLeft(59)).toBe("0:59");
    expect(formatTimeLeft(0.4)).toBe("0:00");
  });

  it("shows m:ss however far the expiry when precise (a refresh under way)", () => {
    expect(formatTimeLeft(1799, true)).toBe("29:59");
  });

  it("says expired at or below zero and for garbage", () => {
    expect(formatTimeLeft(0)).toBe("expired");
    expect(formatTimeLeft(-3, true)).toBe("expired");
    expect(formatTimeLeft(Number.NaN)).toBe("expired");
  });
});

describe("connectionDeadlines", () => {
  const conn = {
    expires_at: "2026-11-23T10:30:00Z",
    next_refresh_at: "2026-11-23T10:25:00Z",
  };

  it("given a fresh connection, counts down its expiry in minutes and its next refresh", () => {
    expect(connectionDeadlines({ ...conn, state: "fresh" })).toEqual([
      { atMs: Date.parse(conn.expires_at), shown: "time-left" },
      { atMs: Date.parse(conn.next_refresh_at), shown: "minutes" },
    ]);
  });

  it("given a refresh under way or being retried, counts its expiry down to the second", () => {
    for (const state of ["refreshing", "retrying"] as const) {
      expect(isPreciseCountdown(state)).toBe(true);
      expect(connectionDeadlines({ ...conn, state })[0]).toEqual({
        atMs: Date.parse(conn.expires_at),
        shown: "seconds",
      });
    }
    expect(isPreciseCountdown("fresh")).toBe(false);
    expect(isPreciseCountdown("needs_reauth")).toBe(false);
  });

  it("given a connection that needs re-authorization, has no next refresh to count down to", () => {
    expect(connectionDeadlines({ ...conn, state: "needs_reauth" })).toEqual([
      { atMs: Date.parse(conn.expires_at), shown: "time-left" },
    ]);
  });
});

describe("loginDeadlines", () => {
  it("given a sign-in being waited for, counts its end to the second and wakes for the install guide", () => {
    const since = now - 5_000;
    const deadlines = loginDeadlines({ expires_at: "2026-11-23T10:04:59.500Z" }, since);
    expect(deadlines).toEqual([
      { atMs: Date.parse("2026-11-23T10:04:59.500Z"), shown: "seconds" },
      { atMs: since + GUIDE_AFTER_SECS * 1000, shown: "moment" },
    ]);
    expect(nextTickDelay(deadlines, now)).toBe(501);
    expect(nextTickDelay(deadlines.slice(1), now)).toBe(15_000);
  });
});
