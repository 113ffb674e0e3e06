#!/usr/bin/env node
// Login CSRF in real headless Chromium (docs/SECURITY.md, finding 1), driven by the Rust test
// `f1_given_a_leaked_sign_in_link_when_a_web_page_in_chromium_fires_the_callback_then_it_is_refused_and_the_users_own_consent_completes`
// in crates/hubkey-cli/tests/it/cli_red_team.rs. One run, one step; it prints one JSON line.
//
//   node csrf.mjs attack CALLBACK_URL
//     Serves a web page on http://127.0.0.1:PORT (another site than http://localhost:…) that fires the callback
//     the way a hostile page can: fetch(…, {mode: "no-cors"}) and an <img>. Reports what Chromium sent and what
//     the listener answered: {requests: [{kind, status, headers}]}.
//   node csrf.mjs navigate AUTHORIZE_URL
//     Plays the user: opens the authorize URL, clicks "Grant access" on the sandbox's consent page, and follows
//     HubSpot's redirect to the loopback listener (a top-level navigation). Reports {status, text, headers}.
//
// Environment: CHROMIUM_PATH (default /usr/bin/chromium).
import http from 'node:http';
import { chromium } from 'playwright-core';

const [mode, target] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// build-env.md §10.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

const EVIL_PAGE = `<!doctype html><title>cute cats</title><script>
const cb = new URL(location.href).searchParams.get('cb');
const img = new Promise((done) => { const i = new Image(); i.onload = () => done('load'); i.onerror = () => done('error'); i.src = cb; });
const f = fetch(cb, { mode: 'no-cors', credentials: 'include' }).then(() => 'opaque', (e) => 'failed');
Promise.all([f, img]).then(([a, b]) => { document.title = 'done ' + a + ' ' + b; });
</script>`;

const isCallback = (url, base) => url.startsWith(base);

async function attack(browser, callback) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(EVIL_PAGE);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const page = await browser.newPage();
  // The DevTools protocol sees the headers Chromium really sent and the status the listener answered, even when
  // Chromium then withholds a no-cors response from the page (ORB).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const base = callback.split('?')[0];
  // The *ExtraInfo events may come before or after the request's own event: collect all, join at the end.
  const byId = new Map();
  const sent = new Map();
  const answered = new Map();
  cdp.on('Network.requestWillBeSent', (e) => {
    if (isCallback(e.request.url, base)) byId.set(e.requestId, e.type?.toLowerCase() ?? 'other');
  });
  cdp.on('Network.requestWillBeSentExtraInfo', (e) => {
    sent.set(e.requestId, Object.fromEntries(Object.entries(e.headers).map(([k, v]) => [k.toLowerCase(), v])));
  });
  cdp.on('Network.responseReceivedExtraInfo', (e) => answered.set(e.requestId, e.statusCode));
  const evil = `http://127.0.0.1:${server.address().port}/?cb=${encodeURIComponent(callback)}`;
  await page.goto(evil);
  await page.waitForFunction(() => document.title.startsWith('done'), null, { timeout: 15000 });
  await page.waitForTimeout(300);
  server.close();
  const requests = [...byId.entries()].map(([id, kind]) => ({
    kind,
    status: answered.get(id) ?? 0,
    headers: sent.get(id) ?? null,
  }));
  return { requests, title: await page.title() };
}

async function navigate(browser, authorize) {
  const page = await browser.newPage();
  let callbackRequest = null;
  page.on('request', (r) => {
    if (r.isNavigationRequest() && new URL(r.url()).hostname === 'localhost') callbackRequest = r;
  });
  await page.goto(authorize, { waitUntil: 'domcontentloaded' });
  const grant = page.locator('#grant-access');
  await grant.waitFor({ timeout: 10000 });
  await grant.click();
  await page.waitForURL((u) => u.hostname === 'localhost', { timeout: 15000 });
  await page.waitForLoadState('domcontentloaded');
  const response = await callbackRequest?.response();
  return {
    status: response?.status() ?? 0,
    text: (await page.locator('body').innerText()).trim().slice(0, 300),
    headers: callbackRequest ? await callbackRequest.allHeaders() : null,
  };
}

let browser;
let report;
try {
  if (!['attack', 'navigate'].includes(mode) || !target) throw new Error('usage: csrf.mjs attack|navigate URL');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  report = mode === 'attack' ? await attack(browser, target) : await navigate(browser, target);
  report.ok = true;
} catch (error) {
  report = { ok: false, error: String(error?.stack ?? error) };
} finally {
  await browser?.close().catch(() => {});
}
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(report.ok ? 0 : 1);
