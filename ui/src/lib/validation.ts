/**
 * The app registration rules, as you type. They mirror src-tauri/src/validation.rs (same rules, same messages);
 * the Rust side checks again before anything is saved, and its verdict is the one that counts.
 *
 * One Rust check is not mirrored: a scope name missing from Hubkey's catalog (the catalog lives in Rust). It is
 * only ever a warning ("not in HubSpot's scope list as of …"), never blocks saving, and comes back in
 * `register_app`'s warnings.
 */
import type { Field, Issue } from "./types";

export interface AppForm {
  name: string;
  client_id: string;
  client_secret: string;
  redirect_uri: string;
  scopes: string;
  optional_scopes: string;
}

/** Splits a scope list as typed: spaces, commas and new lines separate; duplicates are dropped. */
export function parseScopes(text: string): string[] {
  const out: string[] = [];
  for (const word of text.split(/[\s,]+/)) {
    if (word !== "" && !out.includes(word)) {
      out.push(word);
    }
  }
  return out;
}

/**
 * Whether a word can be a scope in the install URL at all: 1 to 100 letters, digits, `.`, `_`, `-` or `:`
 * (hubkey_core::scopes::is_scope_token). Whether HubSpot knows the name is HubSpot's call, never an error here.
 */
export function isScopeName(word: string): boolean {
  return /^[A-Za-z0-9._:-]{1,100}$/.test(word);
}

function isAppName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name);
}

function looksLikeUuid(s: string): boolean {
  return /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s);
}

function sentence(reason: string): string {
  const s = reason.charAt(0).toUpperCase() + reason.slice(1);
  return s.endsWith(".") ? s : `${s}.`;
}

const IP_REASON = "HubSpot rejects IP addresses in redirect URLs; register http://localhost:PORT/… instead";

function isIpLiteral(hostname: string): boolean {
  return hostname.startsWith("[") || /^\d+\.\d+\.\d+\.\d+$/.test(hostname);
}

/** The port as written in the URL (including a default one such as `:80`, which `URL` hides), or null. */
function explicitPort(raw: string, url: URL): number | null {
  if (url.port !== "") {
    return Number(url.port);
  }
  const afterScheme = raw.split("://")[1];
  if (afterScheme === undefined) {
    return null;
  }
  const authority = afterScheme.split(/[/?#]/)[0] ?? "";
  const colon = authority.lastIndexOf(":");
  const port = colon >= 0 ? authority.slice(colon + 1) : "";
  if (port !== "" && /^\d+$/.test(port)) {
    return url.protocol === "http:" ? 80 : url.protocol === "https:" ? 443 : null;
  }
  return null;
}

/** Why Hubkey cannot receive a redirect at this URL (one sentence), or null when it can. */
export function redirectProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "It is not a URL.";
  }
  if (url.username !== "" || url.password !== "") {
    return sentence("a redirect URL cannot contain a user name or password");
  }
  if (raw.includes("#")) {
    return sentence("a redirect URL cannot contain a #fragment");
  }
  if (raw.includes("?")) {
    return sentence("Hubkey does not support a query string in the redirect URL");
  }
  const ip = isIpLiteral(url.hostname);
  const localhost = url.hostname.toLowerCase() === "localhost";
  switch (url.protocol) {
    case "http:": {
      if (ip) {
        return sentence(IP_REASON);
      }
      if (!localhost) {
        return sentence(
          "HubSpot requires https for redirect URLs other than http://localhost:PORT/…; use http://localhost:PORT/… or an https relay page",
        );
      }
      const port = explicitPort(raw, url);
      if (port === null) {
        return sentence("the port must be explicit (http://localhost:PORT/…), as HubSpot compares it exactly");
      }
      if (port === 0) {
        return sentence("port 0 is not a fixed port; register http://localhost:PORT/… with a real port");
      }
      return null;
    }
    case "https:":
      if (ip) {
        return sentence(IP_REASON);
      }
      if (localhost) {
        return sentence("Hubkey cannot serve https on localhost; register http://localhost:PORT/… instead");
      }
      if (url.hostname === "") {
        return sentence("the URL has no host");
      }
      return null;
    default:
      return sentence(
        `HubSpot accepts only https or http://localhost redirect URLs, not ${url.protocol}; to use the hubkey:// deep link, register an https relay page`,
      );
  }
}

/** How Hubkey will receive the redirect, for the hint under the field. */
export function redirectKind(raw: string): "loopback" | "deep_link" | null {
  if (redirectProblem(raw.trim()) !== null) {
    return null;
  }
  return raw.trim().startsWith("http:") ? "loopback" : "deep_link";
}

function error(field: Field, message: string): Issue {
  return { field, level: "error", message };
}

function warning(field: Field, message: string): Issue {
  return { field, level: "warning", message };
}

/** Every issue with the form, errors and warnings, in field order (as `validate` in Rust). */
export function validate(form: AppForm): Issue[] {
  const issues: Issue[] = [];

  const name = form.name.trim();
  if (name === "") {
    issues.push(error("name", "Give the app a name."));
  } else if (!isAppName(name)) {
    issues.push(
      error(
        "name",
        "Use up to 64 letters, digits, dots, dashes or underscores (no spaces), starting with a letter or digit.",
      ),
    );
  }

  const clientId = form.client_id.trim();
  if (clientId === "") {
    issues.push(error("client_id", "Paste the client ID from the app's Auth tab in HubSpot."));
  } else if (/\s/.test(clientId)) {
    issues.push(error("client_id", "The client ID cannot contain spaces."));
  } else if (!looksLikeUuid(clientId)) {
    issues.push(
      warning(
        "client_id",
        "HubSpot client IDs look like 5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60; check that this is the client ID, not the app ID.",
      ),
    );
  }

  const secret = form.client_secret.trim();
  if (secret === "") {
    issues.push(error("client_secret", "Paste the client secret from the app's Auth tab in HubSpot."));
  } else if (/\s/.test(secret)) {
    issues.push(error("client_secret", "The client secret cannot contain spaces."));
  }

  const redirect = form.redirect_uri.trim();
  if (redirect === "") {
    issues.push(error("redirect_uri", "Enter the redirect URL exactly as registered at HubSpot."));
  } else {
    const problem = redirectProblem(redirect);
    if (problem !== null) {
      issues.push(error("redirect_uri", problem));
    }
  }

  const required = parseScopes(form.scopes);
  const optional = parseScopes(form.optional_scopes);
  for (const [field, list] of [
    ["scopes", required],
    ["optional_scopes", optional],
  ] as const) {
    for (const word of list.filter((w) => !isScopeName(w))) {
      issues.push(error(field, `“${word}” is not a scope name; scopes look like crm.objects.contacts.read.`));
    }
  }
  if (required.length === 0) {
    issues.push(error("scopes", "Add the app's required scopes (at least oauth)."));
  } else if (!required.includes("oauth") && !optional.includes("oauth")) {
    issues.push(
      error(
        "scopes",
        "HubSpot adds oauth to every app as a required scope and refuses an install URL without it; add it here.",
      ),
    );
  }
  if (optional.includes("oauth") && !required.includes("oauth")) {
    issues.push(error("optional_scopes", "oauth is always a required scope; move it to the required list."));
  }
  const both = optional.filter((s) => required.includes(s));
  if (both.length > 0) {
    const names = both.map((s) => `“${s}”`).join(", ");
    issues.push(
      error(
        "optional_scopes",
        `${names} ${both.length === 1 ? "is" : "are"} in both lists. HubSpot would refuse the install: “Authorization failed because there is a mismatch between the scopes in the install URL and the app's configured scopes.” Keep each scope in the list it has in the app's settings.`,
      ),
    );
  }
  return issues;
}

export function hasErrors(issues: Issue[]): boolean {
  return issues.some((i) => i.level === "error");
}

/** The issues of one field. */
export function issuesFor(issues: Issue[], field: Field): Issue[] {
  return issues.filter((i) => i.field === field);
}
