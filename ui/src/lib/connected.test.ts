import { describe, expect, it } from "vitest";
import { connectedNotice } from "./connected";

describe("connectedNotice", () => {
  it("names the portal, its domain and the user", () => {
    expect(
      connectedNotice({ app: "demo", hub_id: 24681357, hub_domain: "acme.example", user: "alex@acme.example", user_id: 1001 }),
    ).toBe(
      "Connected acme.example (portal 24681357) as alex@acme.example with demo. Not the account you meant? Undo signs it out and revokes it at HubSpot.",
    );
  });

  it("falls back to the portal id and the user id when HubSpot did not say more", () => {
    const text = connectedNotice({ app: "demo", hub_id: 7, hub_domain: null, user: null, user_id: 42 });
    expect(text).toContain("Connected portal 7 as user 42 with demo.");
    expect(connectedNotice({ app: "demo", hub_id: 7, hub_domain: null, user: null, user_id: null })).toContain(
      "as an unknown user",
    );
  });
});
