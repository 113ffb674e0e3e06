/**
 * HubSpot's install errors are HTML pages that never redirect back (hubspot-oauth.md §1.3), so Hubkey cannot
 * see them. After a while without an answer the waiting screen shows the install-failure guide (the
 * `install_guide` command: hubkey-core's install_guide.rs, the same entries `hubkey login` prints after a
 * timeout): what the page says, why, and what to do.
 */

/** Seconds without an answer before the guide is shown. */
export const GUIDE_AFTER_SECS = 20;
