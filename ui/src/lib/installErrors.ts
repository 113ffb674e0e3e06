/**
 * HubSpot's install errors are HTML pages that never redirect back (hubspot-oauth.md §1.3), so Hubkey cannot
 * see them. After a while without an answer the waiting screen shows this guide: what the page says, what it
 * means, what to do.
 */
export interface InstallError {
  /** The words to look for on HubSpot's page. */
  says: string;
  means: string;
  fix: string;
}

export const INSTALL_ERRORS: readonly InstallError[] = [
  {
    says: "Request for Integration Permissions",
    means: "You are not a Super Admin of this portal and lack the App Marketplace Access permission.",
    fix: "Ask a Super Admin to install the app, or to give you App Marketplace Access.",
  },
  {
    says: "…doesn't have access to some HubSpot features that are required by this app / your account lacks access to the required scopes",
    means: "The portal's subscription tier lacks a feature behind one of the required scopes.",
    fix: "Make that scope optional (in HubSpot and in Hubkey), or connect a portal on a higher tier.",
  },
  {
    says: "…this app hasn't been approved to access the required scopes",
    means: "App Governance: a Super Admin must approve the app and its scopes first.",
    fix: "Ask a Super Admin to approve the app in the portal's Connected Apps settings, then try again.",
  },
  {
    says: "…mismatch between the scopes in the install URL and the app's configured scopes",
    means: "Hubkey asked for scopes that differ from the app's settings at HubSpot.",
    fix: "Make the required and optional scope lists in Hubkey match the app's Auth settings exactly.",
  },
  {
    says: "…the redirect URL … doesn't match the app's registered redirect URL",
    means: "HubSpot compares the redirect URL character for character, port included.",
    fix: "Register exactly the redirect URL Hubkey shows for this app.",
  },
  {
    says: "An invalid client_id was provided",
    means: "HubSpot does not know this client ID.",
    fix: "Copy the client ID again from the app's Auth tab and register the app again in Hubkey.",
  },
  {
    says: "This install link is no longer valid",
    means: "The authorize page was opened from an old or reused link.",
    fix: "Cancel here and start “Connect a portal” again.",
  },
];

/** Seconds without an answer before the guide is shown. */
export const GUIDE_AFTER_SECS = 20;
