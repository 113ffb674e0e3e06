import { describe, expect, it } from "vitest";
import { FIRST_CARDS, MORE_CARDS, nextLimit } from "./progressive";

describe("nextLimit", () => {
  it("adds a batch at a time and never more than there are", () => {
    expect(nextLimit(FIRST_CARDS, 200)).toBe(FIRST_CARDS + MORE_CARDS);
    expect(nextLimit(FIRST_CARDS + MORE_CARDS, 200)).toBe(FIRST_CARDS + 2 * MORE_CARDS);
    expect(nextLimit(190, 200)).toBe(200);
    expect(nextLimit(200, 200)).toBe(200);
  });

  it("starts from the first batch even when fewer were shown", () => {
    expect(nextLimit(0, 200)).toBe(FIRST_CARDS + MORE_CARDS);
    expect(nextLimit(0, 5)).toBe(5);
  });
});
