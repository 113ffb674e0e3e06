/**
 * Sign-ins outlive the page: closing the window destroys it, and the page of the window built again asks the
 * host (`login_state`) for the sign-ins still waiting for HubSpot, to show them as this page would have.
 */
import { reactionTo } from "./errors";
import type { AppView, CommandError, LoginStarted, StartLoginArgs } from "./types";

/** A sign-in shown as waiting: what `start_login` returned, and since when (epoch ms) the user waits. */
export interface PendingLogin {
  started: LoginStarted;
  since: number;
}

/**
 * When a sign-in found by `login_state` started (its `started_at`), for the install guide's moment
 * (`loginDeadlines`): a sign-in started minutes ago shows the guide at once instead of 20 s after the window
 * opened again. Never later than now (clocks apart); now when `started_at` cannot be read.
 */
export function restoredSince(started: Pick<LoginStarted, "started_at">, nowMs: number): number {
  const startedMs = Date.parse(started.started_at);
  return Number.isFinite(startedMs) ? Math.min(startedMs, nowMs) : nowMs;
}

/**
 * The sign-ins to show once `login_state` answered with `found`. One the page shows already stays as it is (it
 * was started from this page, no older than the host's). One whose `login-finished` event arrived after the page
 * subscribed (`settled`, by app) is not brought back: the event and the answer may cross. The rest are added.
 */
export function restorePending(
  shown: Readonly<Record<string, PendingLogin>>,
  found: readonly LoginStarted[],
  settled: ReadonlySet<string>,
  nowMs: number,
): Record<string, PendingLogin> {
  const pending: Record<string, PendingLogin> = { ...shown };
  for (const started of found) {
    if (!(started.app in pending) && !settled.has(started.app)) {
      pending[started.app] = { started, since: restoredSince(started, nowMs) };
    }
  }
  return pending;
}

/**
 * The one-time retry to offer after a failed sign-in, or null: when HubSpot refused the PKCE verifier of a
 * standard app (`pkce_rejected`), "Retry without PKCE" signs in once without it (the app's setting stays). MCP
 * auth apps always need PKCE, so they get no such offer. `portalId` is the portal the failed sign-in preselected.
 */
export function retryOffer(
  error: Pick<CommandError, "code"> | null | undefined,
  app: Pick<AppView, "name" | "kind"> | undefined,
  portalId?: number,
): { label: string; args: StartLoginArgs } | null {
  if (!error || reactionTo(error.code) !== "offer_retry_without_pkce" || app === undefined || app.kind !== "standard") {
    return null;
  }
  const args: StartLoginArgs = { app: app.name, without_pkce: true };
  if (portalId !== undefined) {
    args.portal_id = portalId;
  }
  return { label: "Retry without PKCE", args };
}
