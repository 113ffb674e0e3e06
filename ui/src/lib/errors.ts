/**
 * How the window reacts to a command's error: one exhaustive `switch` over the generated {@link ErrorCode}
 * union (hubkey-core's `ErrorCode`). A code added in Rust fails `tsc` here until it is given a reaction.
 */
import type { ErrorCode } from "./types";

/** What the window does with an error. */
export type ErrorReaction =
  /** Nothing to show: the user did it (a cancelled sign-in). */
  | "quiet"
  /** Offer "Retry without PKCE" (standard apps). */
  | "offer_retry_without_pkce"
  /** Show each preflight finding with its fix. */
  | "show_findings"
  /** Say that the portal must be connected again. */
  | "sign_in_again"
  /** Show the message and its hint. */
  | "show";

export function reactionTo(code: ErrorCode): ErrorReaction {
  switch (code) {
    case "login_cancelled":
      return "quiet";
    case "pkce_rejected":
      return "offer_retry_without_pkce";
    case "preflight":
      return "show_findings";
    case "needs_reauth":
    case "not_signed_in":
    case "corrupt_record":
      return "sign_in_again";
    case "config":
    case "unservable_redirect":
    case "unsafe_url":
    case "hubspot_config":
    case "state_missing":
    case "state_mismatch":
    case "consent_denied":
    case "callback_invalid":
    case "no_pending_login":
    case "already_completed":
    case "login_timed_out":
    case "port_in_use":
    case "transient":
    case "unexpected_response":
    case "keychain_unavailable":
    case "keychain_locked":
    case "keychain_timeout":
    case "secret_too_long":
    case "not_found":
    case "ambiguous":
    case "io":
    case "clipboard":
    case "invalid_input":
    case "internal":
      return "show";
    default: {
      // Compiles only when every code is handled above (`code` is then `never`). At run time a code from a
      // newer host than this page is shown as it is.
      const unhandled: never = code;
      void unhandled;
      return "show";
    }
  }
}
