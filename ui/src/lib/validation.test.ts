import { describe, expect, it } from "vitest";
import { hasErrors, isScopeName, issuesFor, parseScopes, redirectKind, redirectProblem, validate, type AppForm } from "./validation";

// The same cases as src-tauri/src/validation.rs: the messages must match word for word.
const good: AppForm = {
  name: "demo",
  client_id: "5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60",
  client_secret: "0d6e4c2a-9f8b-4e7d-a6c5-b4a3f2e1d0c9",
  redirect_uri: "http://localhost:53682/callback",
  scopes: "oauth crm.objects.contacts.read",
  optional_scopes: "crm.objects.deals.read, automation",
};

describe("validate", () => {
  it("accepts a good form", () => {
    expect(validate(good)).toEqual([]);
  });

  it("turns a scope in both lists into HubSpot's mismatch error", () => {
    const issues = validate({ ...good, optional_scopes: "crm.objects.contacts.read automation" });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.field).toBe("optional_scopes");
    expect(issues[0]?.level).toBe("error");
    expect(issues[0]?.message).toMatch(/^“crm\.objects\.contacts\.read” is in both lists/);
    expect(issues[0]?.message).toContain(
      "mismatch between the scopes in the install URL and the app's configured scopes",
    );
  });

  it("refuses oauth missing or optional (HubSpot refuses the install URL)", () => {
    const missing = validate({ ...good, scopes: "crm.objects.contacts.read" });
    expect(hasErrors(missing)).toBe(true);
    expect(missing.map((i) => [i.field, i.level])).toEqual([["scopes", "error"]]);
    expect(missing[0]?.message).toBe(
      "HubSpot adds oauth to every app as a required scope and refuses an install URL without it; add it here.",
    );

    const optional = validate({ ...good, scopes: "crm.objects.contacts.read", optional_scopes: "oauth" });
    expect(hasErrors(optional)).toBe(true);
    expect(optional[0]?.message).toBe("oauth is always a required scope; move it to the required list.");
  });

  it("never blocks on a scope name it does not know: HubSpot decides (issue 13)", () => {
    const real = validate({
      ...good,
      scopes: "oauth crm.objects.tasks.write crm.objects.notes.write crm.objects.calls.write",
      optional_scopes: "crm.objects.tickets.read",
    });
    expect(real).toEqual([]);
    // Made up, or a case slip: the catalog check (a warning) runs in Rust; nothing here blocks saving.
    const madeUp = validate({ ...good, scopes: "oauth Contacts.Read zz.made.up" });
    expect(hasErrors(madeUp)).toBe(false);
  });

  it("rejects garbage scopes and an empty required list", () => {
    const issues = validate({ ...good, scopes: "oauth crm/objects.read", optional_scopes: "crm.objects.deals.read;automation" });
    expect(issues).toHaveLength(2);
    expect(issues[0]?.message).toBe("“crm/objects.read” is not a scope name; scopes look like crm.objects.contacts.read.");
    expect(issues[1]?.field).toBe("optional_scopes");
    expect(validate({ ...good, scopes: "  " })).toEqual([
      { field: "scopes", level: "error", message: "Add the app's required scopes (at least oauth)." },
    ]);
  });

  it("checks names, client ids and secrets", () => {
    const issues = validate({ ...good, name: "my app", client_id: "3141592", client_secret: "abc def" });
    expect(issues.map((i) => [i.field, i.level])).toEqual([
      ["name", "error"],
      ["client_id", "warning"],
      ["client_secret", "error"],
    ]);
    expect(issues[2]?.message).toBe("The client secret cannot contain spaces.");
    const blank = validate({ ...good, name: " ", client_id: "", client_secret: "", redirect_uri: "" });
    expect(blank.filter((i) => i.level === "error")).toHaveLength(4);
    expect(issuesFor(blank, "redirect_uri")[0]?.message).toBe("Enter the redirect URL exactly as registered at HubSpot.");
  });
});

describe("redirectProblem", () => {
  it.each([
    ["http://127.0.0.1:53682/callback", "HubSpot rejects IP addresses in redirect URLs; register http://localhost:PORT/… instead."],
    ["http://localhost/callback", "The port must be explicit (http://localhost:PORT/…), as HubSpot compares it exactly."],
    ["http://localhost:80/callback", null],
    ["http://localhost:0/callback", "Port 0 is not a fixed port; register http://localhost:PORT/… with a real port."],
    ["https://localhost:8443/cb", "Hubkey cannot serve https on localhost; register http://localhost:PORT/… instead."],
    ["http://example.com/cb", "HubSpot requires https for redirect URLs other than http://localhost:PORT/…; use http://localhost:PORT/… or an https relay page."],
    ["hubkey://oauth/callback", "HubSpot accepts only https or http://localhost redirect URLs, not hubkey:; to use the hubkey:// deep link, register an https relay page."],
    ["not a url", "It is not a URL."],
    ["http://localhost:53682/cb?x=1", "Hubkey does not support a query string in the redirect URL."],
    ["http://localhost:53682/cb#top", "A redirect URL cannot contain a #fragment."],
    ["http://user:pw@localhost:53682/cb", "A redirect URL cannot contain a user name or password."],
    ["https://relay.example.com/hubkey-relay.html", null],
    ["http://localhost:53682/callback", null],
  ])("%s", (url, expected) => {
    expect(redirectProblem(url)).toBe(expected);
  });

  it("names how the redirect will arrive", () => {
    expect(redirectKind("http://localhost:53682/callback")).toBe("loopback");
    expect(redirectKind(" https://relay.example.com/r.html ")).toBe("deep_link");
    expect(redirectKind("http://127.0.0.1:1/")).toBeNull();
  });
});

describe("scopes", () => {
  it("split on spaces, commas and lines, without duplicates", () => {
    expect(parseScopes(" oauth,crm.objects.contacts.read\n\toauth  automation,,")).toEqual([
      "oauth",
      "crm.objects.contacts.read",
      "automation",
    ]);
    expect(parseScopes(" , \n")).toEqual([]);
  });

  it("are URL-safe words, as in Rust (is_scope_token)", () => {
    for (const ok of ["oauth", "crm.objects.contacts.read", "sales-email-read", "business_units_view.read", "e-commerce", "Contacts", "crm..read"]) {
      expect(isScopeName(ok)).toBe(true);
    }
    for (const bad of ["", "crm objects", "crm/objects", "scope=x", "a;b", "a&b", "x".repeat(101)]) {
      expect(isScopeName(bad)).toBe(false);
    }
  });
});
