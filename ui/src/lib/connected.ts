import type { ConnectionView } from "./types";

/**
 * The notice after a login: which portal and user were connected (docs/SECURITY.md, finding 1). A leaked
 * sign-in link lets someone else connect *their* portal in your name; saying whose portal and whose account
 * just arrived, with an Undo beside it, makes that visible and reversible at once.
 */
export function connectedNotice(c: Pick<ConnectionView, "app" | "hub_id" | "hub_domain" | "user" | "user_id">): string {
  const portal = c.hub_domain ? `${c.hub_domain} (portal ${c.hub_id})` : `portal ${c.hub_id}`;
  const user = c.user ?? (c.user_id !== null ? `user ${c.user_id}` : "an unknown user");
  return `Connected ${portal} as ${user} with ${c.app}. Not the account you meant? Undo signs it out and revokes it at HubSpot.`;
}
