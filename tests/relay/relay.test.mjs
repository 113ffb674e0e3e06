// The deep-link relay page (relay/hubkey-relay.html), loaded in headless Chromium as a user's
// browser would load it after HubSpot's redirect. The navigation to hubkey:// is observed through
// the DevTools protocol (Chromium asks the OS to open the external scheme; nothing handles it here).
//
// Run: node --test tests/relay/   (needs /usr/bin/chromium; scripts/setup.sh installs it)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const html = fs.readFileSync(path.join(here, '..', '..', 'relay', 'hubkey-relay.html'));
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

let server;
let base;
let browser;

before(async () => {
  server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}/hubkey-relay.html`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** Opens the relay with `query` and reports where it sent the browser and what it showed. */
async function openRelay(query) {
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Page.enable');
  const navigations = [];
  const requests = [];
  const consoleErrors = [];
  cdp.on('Page.frameRequestedNavigation', (e) => navigations.push(e.url));
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  await page.goto(`${base}${query}`, { waitUntil: 'commit' });
  await page.waitForSelector('#status');
  await page.waitForTimeout(500);
  const result = {
    navigations: navigations.filter((u) => u.startsWith('hubkey:')),
    requests,
    consoleErrors,
    href: await page.getAttribute('#open', 'href'),
    linkHidden: await page.locator('#open').isHidden(),
    status: (await page.textContent('#status')).trim(),
    addressBar: page.url(),
  };
  await page.close();
  return result;
}

test('given a HubSpot success redirect when the relay loads then it opens hubkey://oauth/callback with only code and state', async () => {
  const r = await openRelay('?code=na1-aaaa-bbbb&state=Zm9v%2Bbar_-&scope=oauth&extra=%3Cscript%3E');
  assert.deepEqual(r.navigations, ['hubkey://oauth/callback?code=na1-aaaa-bbbb&state=Zm9v%2Bbar_-']);
  assert.equal(r.href, r.navigations[0]);
  assert.equal(r.consoleErrors.length, 0, `console errors (CSP?): ${r.consoleErrors.join(' | ')}`);
});

test('given the relay forwarded the code when it is done then the address bar no longer holds the code', async () => {
  const r = await openRelay('?code=na1-secret-code&state=s1');
  assert.equal(r.addressBar, base, 'the query with the code must be removed from the address bar and history');
});

test('given a HubSpot error redirect when the relay loads then error, description and state are forwarded as text', async () => {
  const r = await openRelay('?error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E&state=s2');
  assert.deepEqual(r.navigations, ['hubkey://oauth/callback?state=s2&error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E']);
  assert.match(r.status, /did not grant access/);
});

test('given a repeated state parameter when the relay loads then nothing is forwarded and the page says why', async () => {
  const r = await openRelay('?code=c&state=a&state=b');
  assert.deepEqual(r.navigations, []);
  assert.match(r.status, /repeats the parameter/);
  assert.equal(r.linkHidden, true);
});

test('given a link without state when the relay loads then nothing is forwarded', async () => {
  const r = await openRelay('?code=c');
  assert.deepEqual(r.navigations, []);
  assert.match(r.status, /only forwards HubSpot sign-in answers/);
});

test('given the relay page when it loads then it requests nothing but itself and the hubkey link', async () => {
  const r = await openRelay('?code=c&state=s');
  const others = r.requests.filter((u) => !u.startsWith(base) && !u.startsWith('hubkey:'));
  assert.deepEqual(others, [], 'the relay must load no external resource');
  assert.match(html.toString(), /<meta name="referrer" content="no-referrer">/);
  assert.match(html.toString(), /Content-Security-Policy" content="default-src 'none'; script-src 'sha256-/);
});
