import { describe, expect, it } from "vitest";
import { reactionTo, type ErrorReaction } from "./errors";
import type { ErrorCode } from "./types";

/**
 * Every code of the generated `ErrorCode` union. The two type checks below fail `tsc` (npm run check) when the
 * union (hubkey-core's `ErrorCode`) and this list differ, so a code added in Rust cannot go untested here.
 */
const ALL_CODES = [
  "config",
  "unservable_redirect",
  "unsafe_url",
  "hubspot_config",
  "state_missing",
  "state_mismatch",
  "consent_denied",
  "callback_invalid",
  "no_pending_login",
  "already_completed",
  "login_timed_out",
  "login_cancelled",
  "port_in_use",
  "needs_reauth",
  "transient",
  "unexpected_response",
  "keychain_unavailable",
  "keychain_locked",
  "keychain_timeout",
  "secret_too_long",
  "not_signed_in",
  "corrupt_record",
  "not_found",
  "ambiguous",
  "io",
  "pkce_rejected",
  "clipboard",
  "invalid_input",
  "preflight",
  "internal",
] as const satisfies readonly ErrorCode[];
type Listed = (typeof ALL_CODES)[number];
const everyCodeListed: [ErrorCode] extends [Listed] ? true : false = true;
const onlyCodesListed: [Listed] extends [ErrorCode] ? true : false = true;

describe("reactionTo (the window's error handling, a switch over the generated ErrorCode)", () => {
  it("given every code of the union, then each has a reaction and the list matches the union", () => {
    expect(everyCodeListed && onlyCodesListed).toBe(true);
    expect(new Set(ALL_CODES).size).toBe(ALL_CODES.length);
    const reactions = new Set<ErrorReaction>(["quiet", "offer_retry_without_pkce", "show_findings", "sign_in_again", "show"]);
    for (const code of ALL_CODES) {
      expect(reactions.has(reactionTo(code)), code).toBe(true);
    }
  });

  it("given the codes the window treats specially, then each gets its own reaction", () => {
    expect(reactionTo("login_cancelled")).toBe("quiet");
    expect(reactionTo("pkce_rejected")).toBe("offer_retry_without_pkce");
    expect(reactionTo("preflight")).toBe("show_findings");
    expect(reactionTo("needs_reauth")).toBe("sign_in_again");
    expect(reactionTo("port_in_use")).toBe("show");
  });

  it("given a code a newer host might send, then it is shown rather than thrown", () => {
    expect(reactionTo("from_the_future" as ErrorCode)).toBe("show");
  });
});
