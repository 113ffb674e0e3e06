#!/usr/bin/env node
// The "system browser" of the end-to-end tests. The app runs `$BROWSER <launch page>` (src-tauri/src/host.rs): a
// private file:// page that sends the browser on to HubSpot's authorize URL, which never goes on a command line
// (hubkey-core's launch.rs). The tests set BROWSER to this file. Like a user it opens the URL in (headless) Chromium, picks the portal
// on the sandbox's account picker, clicks "Grant access", and follows HubSpot's redirect:
//   - to the app's loopback listener (http://localhost:PORT/PATH), whose answer page it reads, or
//   - to the https relay page, which it serves from relay/hubkey-relay.html (the request to relay.example.com
//     is intercepted, nothing leaves the machine); the relay then navigates to hubkey://oauth/callback?…,
//     which it captures through the DevTools protocol (Page.frameRequestedNavigation) instead of asking the OS.
// The app starts it with stdout/stderr closed, so it reports to a file: one JSON line appended to
// $HUBKEY_E2E_BROWSER_OUT per run ({ok, steps, final_url, final_text, deep_links, env_names, env_holding,
// env_checked, error}).
//
// It also records the environment the app gave it (issue 18, point 6: no secret in a child's environment), by
// name only, never a value: env_names, every variable's name; env_holding, the names whose value contains the
// login's `state` (read from the launch page) or a line of $HUBKEY_E2E_SECRETS_FILE (the secrets the test
// knows, such as the client secret, kept in a file so that they are not in the environment themselves);
// env_checked, what was looked for ({state: found in the URL, secrets: how many lines}).
//
// Environment: HUBKEY_E2E_BROWSER_OUT (required), HUBKEY_E2E_HUB_ID (the portal to pick; default the first),
// HUBKEY_E2E_SECRETS_FILE (optional), CHROMIUM_PATH (default /usr/bin/chromium), HUBKEY_E2E_RELAY_HTML
// (default relay/hubkey-relay.html).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = process.argv[2];
// The authorize URL the launch page forwards to (a plain URL argument is still accepted).
const url = arg?.startsWith('file:') ? launchTarget(fs.readFileSync(fileURLToPath(arg), 'utf8')) : arg;

function launchTarget(html) {
  const m = html.match(/content="0;url=([^"]*)"/);
  if (!m) throw new Error('the launch page has no meta refresh');
  return m[1].replaceAll('&amp;', '&');
}
const outFile = process.env.HUBKEY_E2E_BROWSER_OUT;
const hubId = process.env.HUBKEY_E2E_HUB_ID;
const relayHtml = fs.readFileSync(process.env.HUBKEY_E2E_RELAY_HTML || path.join(here, '..', '..', 'relay', 'hubkey-relay.html'));
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const RELAY_ORIGIN = 'https://relay.example.com';
// build-env.md §10.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

const report = { ok: false, started_at: new Date().toISOString(), url: url?.replace(/([?&]state=)[^&]*/, '$1…'), steps: [], deep_links: [], final_url: null, final_text: null, error: null };
const step = (s) => report.steps.push(`${((Date.now() - Date.parse(report.started_at)) / 1000).toFixed(2)}s ${s}`);

/** The names of the variables in `env` whose value contains one of `needles`; values never leave here. */
function namesHolding(env, needles) {
  return Object.entries(env).filter(([, value]) => needles.some((n) => value?.includes(n))).map(([name]) => name).sort();
}

function recordEnvironment() {
  const state = url ? new URL(url).searchParams.get('state') : null;
  const file = process.env.HUBKEY_E2E_SECRETS_FILE;
  const secrets = file ? fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean) : [];
  report.env_names = Object.keys(process.env).sort();
  report.env_holding = namesHolding(process.env, [state, ...secrets].filter(Boolean));
  report.env_checked = { state: Boolean(state), secrets: secrets.length };
}

function write() {
  if (outFile) fs.appendFileSync(outFile, `${JSON.stringify(report)}\n`);
  else process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

let browser;
try {
  if (!url) throw new Error('usage: browser.mjs URL');
  recordEnvironment();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const context = await browser.newContext();
  const relayFlow = new URL(url).searchParams.get('redirect_uri')?.startsWith(RELAY_ORIGIN + '/');
  let relayTarget = null;
  if (relayFlow) {
    await context.route('**/*', async (route) => {
      const request = route.request();
      if (request.url().startsWith(RELAY_ORIGIN + '/')) {
        step(`relay page served for ${new URL(request.url()).pathname}`);
        return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: relayHtml });
      }
      if (request.method() === 'POST' && request.isNavigationRequest()) {
        // The consent form's answer is HubSpot's 302 to the relay. Playwright does not route requests that a
        // redirect started, so follow this one as a new navigation (below) to have the relay served.
        const response = await route.fetch({ maxRedirects: 0 });
        const location = response.headers().location;
        if (response.status() >= 300 && response.status() < 400 && location?.startsWith(RELAY_ORIGIN + '/')) {
          relayTarget = location;
          step(`HubSpot redirected (${response.status()}) to the relay`);
          return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>redirecting</title>' });
        }
        return route.fulfill({ response });
      }
      return route.continue();
    });
  }
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Page.enable');
  cdp.on('Page.frameRequestedNavigation', (e) => {
    if (e.url.toLowerCase().startsWith('hubkey:')) {
      report.deep_links.push(e.url);
      step('relay navigated to hubkey://');
    }
  });

  if (arg.startsWith('file:')) {
    step('open the launch page');
    await page.goto(arg, { waitUntil: 'domcontentloaded' });
    await page.waitForURL((u) => u.protocol !== 'file:', { waitUntil: 'domcontentloaded' });
    step('the launch page sent the browser to the authorize URL');
  } else {
    step('open authorize URL');
    await page.goto(url, { waitUntil: 'domcontentloaded' });
  }
  // With several portals the sandbox (like HubSpot) first asks which account to connect.
  if (await page.locator('a.account').count()) {
    const pick = hubId ? page.locator(`a.account[data-hub-id="${hubId}"]`) : page.locator('a.account').first();
    step(`account picker: choose ${hubId ?? 'the first account'}`);
    await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), pick.click()]);
  }
  const grant = page.locator('#grant-access');
  await grant.waitFor({ timeout: 10000 });
  step(`consent page for ${await page.locator('#account-name').textContent().catch(() => '?')}`);
  await grant.click();
  step('clicked Grant access');
  if (relayFlow) {
    const deadline = Date.now() + 10000;
    while (!relayTarget && Date.now() < deadline) await page.waitForTimeout(50);
    if (!relayTarget) throw new Error('HubSpot did not redirect to the relay page');
    await page.goto(relayTarget, { waitUntil: 'commit' });
    while (!report.deep_links.length && Date.now() < deadline + 10000) await page.waitForTimeout(100);
    if (!report.deep_links.length) throw new Error('the relay page did not navigate to hubkey://');
  } else {
    // The app's loopback listener answers HubSpot's redirect with its own page.
    await page.waitForURL((u) => !u.pathname.startsWith('/oauth/') && u.protocol !== 'about:', { timeout: 15000 });
  }
  report.final_url = page.url().replace(/([?&](code|state)=)[^&]*/g, '$1…');
  step(`landed on ${report.final_url}`);
  await page.waitForLoadState('domcontentloaded', { timeout: 1000 }).catch(() => {});
  report.final_text = (await page.locator('body').innerText({ timeout: 2000 }).catch(() => '')).trim().slice(0, 500);
  step('done');
  report.ok = true;
} catch (error) {
  report.error = String(error?.stack ?? error);
} finally {
  await browser?.close().catch(() => {});
  write();
}
process.exit(report.ok ? 0 : 1);
