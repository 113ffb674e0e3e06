import { describe, expect, it } from "vitest";
import { formatClock, formatCountdown, formatIn, secondsUntil } from "./format";

describe("formatCountdown", () => {
  it("shows minutes and seconds under an hour", () => {
    expect(formatCountdown(1799)).toBe("29:59");
    expect(formatCountdown(60)).toBe("1:00");
    expect(formatCountdown(59)).toBe("0:59");
    expect(formatCountdown(5)).toBe("0:05");
    expect(formatCountdown(3599)).toBe("59:59");
  });

  it("shows hours with padded minutes from an hour on", () => {
    expect(formatCountdown(3600)).toBe("1:00:00");
    expect(formatCountdown(3723)).toBe("1:02:03");
    expect(formatCountdown(36000 + 59 * 60 + 9)).toBe("10:59:09");
  });

  it("drops fractions instead of rounding up", () => {
    expect(formatCountdown(59.99)).toBe("0:59");
    expect(formatCountdown(0.4)).toBe("0:00");
  });

  it("says expired at zero, below zero and for non-numbers", () => {
    expect(formatCountdown(0)).toBe("expired");
    expect(formatCountdown(-1)).toBe("expired");
    expect(formatCountdown(Number.NaN)).toBe("expired");
    expect(formatCountdown(Number.POSITIVE_INFINITY)).toBe("expired");
  });
});

describe("secondsUntil", () => {
  const now = Date.parse("2026-11-22T10:00:00Z");

  it("counts down to an RFC 3339 instant, with offsets", () => {
    expect(secondsUntil("2026-11-22T10:30:00Z", now)).toBe(1800);
    expect(secondsUntil("2026-11-22T11:30:00+01:00", now)).toBe(1800);
    expect(secondsUntil("2026-11-22T09:59:00Z", now)).toBe(-60);
  });

  it("is NaN for garbage, which formatCountdown shows as expired", () => {
    const left = secondsUntil("not a date", now);
    expect(Number.isNaN(left)).toBe(true);
    expect(formatCountdown(left)).toBe("expired");
  });
});

describe("formatClock", () => {
  it("shows a 24-hour local time in the given zone", () => {
    expect(formatClock("2026-11-23T10:41:59Z", "UTC")).toBe("10:41");
    expect(formatClock("2026-11-23T10:41:59Z", "Europe/Berlin")).toBe("11:41");
    expect(formatClock("2026-11-23T23:05:00Z", "Asia/Tokyo")).toBe("08:05");
  });

  it("never shows NaN", () => {
    expect(formatClock("not a time", "UTC")).toBe("--:--");
  });
});

describe("formatIn", () => {
  it("is coarse and readable", () => {
    expect(formatIn(0)).toBe("now");
    expect(formatIn(-5)).toBe("now");
    expect(formatIn(30)).toBe("in under a minute");
    expect(formatIn(23 * 60 + 59)).toBe("in 23 min");
    expect(formatIn(2 * 3600)).toBe("in 2 h");
    expect(formatIn(2 * 3600 + 5 * 60)).toBe("in 2 h 5 min");
    expect(formatIn(Number.NaN)).toBe("now");
  });
});
