import { describe, expect, it } from "vitest";
import { optionalSummary, scopeGroups } from "./scopes";

describe("scopeGroups", () => {
  it("keeps only non-empty groups, in reading order, with the tier reason on dropped ones", () => {
    const groups = scopeGroups({
      required_scopes: ["oauth", "crm.objects.contacts.read"],
      optional_granted: ["crm.objects.deals.read"],
      optional_dropped: ["automation"],
      extra_granted: [],
    });
    expect(groups.map((g) => g.key)).toEqual(["required", "optional_granted", "optional_dropped"]);
    expect(groups[0]?.scopes).toEqual(["oauth", "crm.objects.contacts.read"]);
    expect(groups[2]?.note).toContain("subscription tier");
  });

  it("gives each dropped scope the catalog's likely reason when the host sent one", () => {
    const groups = scopeGroups({
      required_scopes: ["oauth"],
      optional_granted: [],
      optional_dropped: ["automation", "x.y"],
      extra_granted: [],
      dropped_reasons: [{ scope: "automation", likely_reason: "needs Marketing Hub Professional or Enterprise" }],
    });
    const dropped = groups.find((g) => g.key === "optional_dropped");
    expect(dropped?.reasons).toEqual({ automation: "needs Marketing Hub Professional or Enterprise" });
    expect(dropped?.note).toContain("installing user");
    expect(groups[0]?.reasons).toEqual({});
  });

  it("shows scopes granted beyond the request", () => {
    const groups = scopeGroups({ required_scopes: ["oauth"], optional_granted: [], optional_dropped: [], extra_granted: ["tickets"] });
    expect(groups.map((g) => g.key)).toEqual(["required", "extra"]);
  });
});

describe("optionalSummary", () => {
  it("counts granted optional scopes", () => {
    expect(optionalSummary({ required_scopes: [], optional_granted: ["a"], optional_dropped: ["b", "c"], extra_granted: [] })).toBe(
      "1 of 3 optional scopes granted",
    );
    expect(optionalSummary({ required_scopes: ["oauth"], optional_granted: [], optional_dropped: [], extra_granted: [] })).toBeNull();
    expect(optionalSummary({ required_scopes: [], optional_granted: [], optional_dropped: ["b"], extra_granted: [] })).toBe(
      "0 of 1 optional scope granted",
    );
  });
});
