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
let elsewhere;
let origin;
let base;
let other;
let browser;
/** Every request the relay's server and the other origin received: { url, referer }. */
const served = [];
const otherHits = [];

before(async () => {
  const text = html.toString();
  // Variants that lack one defence, so that a test can show its observation would see the attack.
  const pages = {
    '/nocsp/hubkey-relay.html': text.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, ''),
    '/noref/hubkey-relay.html': text.replace(/<meta name="referrer"[^>]*>/, ''),
    '/consent': '<!doctype html><title>HubSpot (stand-in)</title><p>Grant access?</p>',
  };
  // maxHeaderSize: the over-long-parameter attack sends a 100 KB request line.
  server = http.createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
    served.push({ url: req.url, referer: req.headers.referer });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(pages[new URL(req.url, 'http://x').pathname] ?? html);
  });
  // A second origin: whatever reaches it was sent (or redirected) there by the relay page.
  elsewhere = http.createServer((req, res) => {
    otherHits.push({ url: req.url, referer: req.headers.referer });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>elsewhere</title>');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  await new Promise((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  base = `${origin}/hubkey-relay.html`;
  other = `http://localhost:${elsewhere.address().port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

after(async () => {
  await browser?.close();
  server?.close();
  elsewhere?.close();
});

/**
 * Opens the relay with `query` and reports where it sent the browser and what it showed.
 * `path` picks a variant of the page; `before(page)` runs first (its result is `r.before`) and
 * `inspect(page)` once the relay is done (its result is `r.inspected`).
 */
async function openRelay(query, { path: relayPath = '/hubkey-relay.html', before: first, inspect } = {}) {
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Page.enable');
  await cdp.send('Network.enable');
  const navigations = [];
  const requests = [];
  const network = [];
  const committed = [];
  const consoleErrors = [];
  const pageErrors = [];
  const dialogs = [];
  const servedFrom = served.length;
  const otherFrom = otherHits.length;
  cdp.on('Page.frameRequestedNavigation', (e) => navigations.push(e.url));
  cdp.on('Network.requestWillBeSent', (e) => network.push({ url: e.request.url, referer: e.request.headers.Referer }));
  page.on('request', (r) => requests.push(r.url()));
  page.on('framenavigated', (f) => committed.push(f.url()));
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  const before = await first?.(page);
  await page.goto(`${origin}${relayPath}${query}`, { waitUntil: 'commit' });
  await page.waitForSelector('#status');
  await page.waitForTimeout(500);
  const result = {
    before,
    href: await page.getAttribute('#open', 'href'),
    linkHidden: await page.locator('#open').isHidden(),
    status: (await page.textContent('#status')).trim(),
    addressBar: page.url(),
  };
  result.inspected = await inspect?.(page);
  Object.assign(result, {
    navigations: navigations.filter((u) => u.startsWith('hubkey:')),
    allNavigations: navigations,
    requests,
    network,
    committed,
    consoleErrors,
    pageErrors,
    dialogs,
    served: served.slice(servedFrom),
    otherHits: otherHits.slice(otherFrom),
  });
  await page.close();
  return result;
}

/** The one deep link the relay opened, parsed; fails unless it opened exactly one. */
function forwarded(r) {
  assert.equal(r.navigations.length, 1, `expected one hubkey: navigation, got ${r.navigations.length}`);
  return new URL(r.navigations[0]);
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

// Attacks on the relay (issue 18, point 3): each replays a crafted redirect in Chromium and checks
// what the page really did: the deep link it opened, every request it made, its DOM.

test('attack_relay_extra_parameters: given a redirect carrying redirect_uri, next, hub_id, __proto__ and unknown parameters when the relay loads then the deep link holds only the allowed keys', async () => {
  const extras = `redirect_uri=${encodeURIComponent('https://evil.example')}&next=%2Fadmin&hub_id=123`
    + '&__proto__=polluted&__proto__%5Bx%5D=1&constructor=x&Code=other&STATE=other&unknown=1&scope=oauth';
  const ok = forwarded(await openRelay(`?code=na1-c0de&${extras}&state=st4te`));
  assert.equal(`${ok.protocol}//${ok.host}${ok.pathname}`, 'hubkey://oauth/callback');
  assert.deepEqual([...ok.searchParams.keys()].sort(), ['code', 'state']);
  assert.equal(ok.searchParams.get('code'), 'na1-c0de');
  assert.equal(ok.searchParams.get('state'), 'st4te');
  const refused = forwarded(await openRelay(`?${extras}&error=access_denied&error_description=no&state=s1`));
  assert.deepEqual([...refused.searchParams.keys()].sort(), ['error', 'error_description', 'state']);
  assert.doesNotMatch(ok.search + refused.search, /evil|admin|polluted|123|other|unknown|oauth/);
});

test('attack_relay_open_redirect: given redirect, url, return_to, next, a URL as state or code, or a #fragment when the relay loads then it goes nowhere but hubkey://oauth/callback', async () => {
  const steal = `${other}/steal`;
  const e = encodeURIComponent;
  const queries = [
    `?code=c&state=s&redirect=${e(steal)}&url=${e(steal)}&return_to=${e(steal)}&next=${e(steal)}&redirect_uri=${e(steal)}#${steal}`,
    `?code=${e(steal)}&state=${e(`//localhost:${elsewhere.address().port}/steal`)}#https://evil.example`,
    `?code=https://evil.example&state=//evil.example`,
    `?error=access_denied&error_description=${e(steal)}&code=${e('javascript:alert(1)')}&state=javascript:alert(1)`,
    `#code=c&state=s&redirect=${e(steal)}`,
  ];
  // Also follow the page's own "Open Hubkey" link, as a user would. (The pages load side by side,
  // so a request to the other origin shows in every result; none is expected.)
  const results = await Promise.all(queries.map((query) => openRelay(query, { inspect: async (page) => {
    await page.evaluate(() => document.getElementById('open').click());
    await page.waitForTimeout(200);
  } })));
  for (const [i, r] of results.entries()) {
    const query = queries[i];
    for (const url of r.allNavigations) {
      const u = new URL(url);
      assert.equal(`${u.protocol}//${u.host}${u.pathname}${u.hash}`, 'hubkey://oauth/callback', `${query}: navigated to ${url}`);
    }
    for (const { url } of r.network) {
      assert.ok(url.startsWith(`${origin}/`) || url.startsWith('hubkey://oauth/callback?'), `${query}: requested ${url}`);
    }
    for (const url of r.committed) assert.ok(url.startsWith(base), `${query}: showed ${url}`);
    assert.deepEqual(r.otherHits, [], `${query}: the other origin was reached`);
    assert.deepEqual(r.dialogs, [], `${query}: a dialog opened`);
    assert.equal(r.addressBar, base, query);
    if (!r.linkHidden) assert.match(r.href, /^hubkey:\/\/oauth\/callback\?/, query);
  }
});

test('attack_relay_script_in_error_description: given markup in error_description, code and state when the relay loads, with or without its CSP, then no script runs and no element is made from it', async () => {
  const payloads = [
    '<img src=x onerror="window.__pwned=1">',
    '<script>window.__pwned=1</script>',
    '"><svg onload=window.__pwned=1>',
    "'><iframe srcdoc=\"<script>parent.__pwned=1</script>\"></iframe>",
  ];
  const all = payloads.join(' ');
  const p = encodeURIComponent(all);
  // The variant without the CSP shows that the page's own DOM handling, not only its CSP, keeps it out.
  await Promise.all(['/hubkey-relay.html', '/nocsp/hubkey-relay.html'].map(async (relayPath) => {
    const r = await openRelay(`?code=${p}&state=${p}&error=access_denied&error_description=${p}`, {
      path: relayPath,
      inspect: (page) => page.evaluate(() => ({
        csp: document.querySelectorAll('meta[http-equiv=Content-Security-Policy]').length,
        pwned: typeof window.__pwned,
        made: document.querySelectorAll('img, svg, iframe, object, embed, form, base, meta[http-equiv=refresh]').length,
        scripts: document.scripts.length,
        handlers: [...document.querySelectorAll('*')].flatMap((el) => [...el.attributes].map((a) => a.name)).filter((n) => /^on/i.test(n)),
        markup: document.body.innerHTML,
      })),
    });
    const { csp, pwned, made, scripts, handlers, markup } = r.inspected;
    assert.equal(csp, relayPath.startsWith('/nocsp/') ? 0 : 1, `${relayPath}: CSP meta tags`);
    assert.equal(pwned, 'undefined', `${relayPath}: script ran`);
    assert.equal(made, 0, `${relayPath}: an element was made from the parameters`);
    assert.equal(scripts, 1, `${relayPath}: a script element was added`);
    assert.deepEqual(handlers, [], relayPath);
    assert.deepEqual(r.dialogs, [], relayPath);
    assert.deepEqual(r.pageErrors, [], relayPath);
    // Whatever the page shows of them is text (escaped in its markup); Hubkey gets the very same text.
    assert.doesNotMatch(markup, /<(img|svg|iframe)\b/i, relayPath);
    assert.equal(markup.match(/<script\b/gi).length, 1, relayPath);
    assert.match(r.status, /did not grant access/, relayPath);
    const u = forwarded(r);
    for (const name of ['code', 'state', 'error_description']) assert.equal(u.searchParams.get(name), all, `${relayPath} ${name}`);
  }));
});

test('attack_relay_code_in_history: given the relay forwarded a code after a HubSpot page when the user inspects the history or goes back and forward then no entry, state or storage holds the code', async () => {
  const code = 'na1-secret-history-code';
  const r = await openRelay(`?code=${code}&state=s4`, {
    before: async (page) => {
      await page.goto(`${origin}/consent`);
      return page.evaluate(() => history.length);
    },
    inspect: async (page) => {
      const seen = await page.evaluate(() => ({
        href: location.href,
        search: location.search,
        hash: location.hash,
        historyState: history.state,
        historyLength: history.length,
        entries: navigation.entries().map((e) => e.url),
        current: navigation.currentEntry.url,
        stored: localStorage.length + sessionStorage.length,
        cookie: document.cookie,
        name: window.name,
      }));
      // Back and forward as the user would (from the page, not through the DevTools history).
      await Promise.all([page.waitForURL(`${origin}/consent`, { timeout: 5000 }), page.evaluate(() => history.back())]);
      seen.back = page.url();
      await Promise.all([page.waitForURL(base, { timeout: 5000 }), page.evaluate(() => history.forward())]);
      seen.forward = page.url();
      return seen;
    },
  });
  const seen = r.inspected;
  assert.equal(forwarded(r).searchParams.get('code'), code);
  assert.equal(seen.href, base);
  assert.equal(seen.search, '');
  assert.equal(seen.hash, '');
  assert.equal(seen.historyState, null);
  assert.equal(seen.historyLength, r.before + 1, 'the relay must add no history entry of its own');
  assert.deepEqual(seen.entries, [`${origin}/consent`, base]);
  assert.equal(seen.current, base);
  assert.equal(seen.back, `${origin}/consent`);
  assert.equal(seen.forward, base, 'going forward again must not bring the code back');
  assert.equal(seen.stored, 0);
  assert.equal(seen.cookie, '');
  assert.equal(seen.name, '');
  assert.ok(!JSON.stringify(seen).includes(code));
  // Requests after the relay's load (going forward reloads the entry) carry no code. (The navigation
  // timing entry keeps the URL as loaded; the page cannot change that.)
  const loaded = r.served.findIndex((h) => h.url.includes(code));
  assert.ok(loaded >= 0);
  assert.deepEqual(r.served.slice(loaded + 1).filter((h) => h.url.includes(code)), []);
  assert.deepEqual(r.served.filter((h) => h.referer?.includes(code)), [], 'a request carried the code in its Referer');
});

test('attack_relay_referer: given the relay holds a code when it opens the deep link or the user follows a link elsewhere then no Referer is sent', async () => {
  const code = 'na1-secret-referer-code';
  const leave = (page) => Promise.all([
    page.waitForURL(`${other}/probe`, { waitUntil: 'commit', timeout: 5000 }),
    page.evaluate((url) => {
      const a = document.createElement('a');
      a.href = url;
      document.body.append(a);
      a.click();
    }, `${other}/probe`),
  ]);
  const visit = (relayPath) => openRelay(`?code=${code}&state=s5`, {
    path: relayPath,
    inspect: async (page) => {
      const policy = await page.evaluate(() => document.querySelector('meta[name=referrer]')?.content ?? null);
      await leave(page);
      return policy;
    },
  });
  const r = await visit('/hubkey-relay.html');
  assert.equal(r.inspected, 'no-referrer');
  const deepLinks = r.network.filter((n) => n.url.startsWith('hubkey:'));
  assert.equal(deepLinks.length, 1);
  assert.equal(deepLinks[0].referer, undefined, 'the hubkey: navigation carries a Referer');
  const probes = r.otherHits.filter((h) => h.url === '/probe');
  assert.equal(probes.length, 1);
  assert.equal(probes[0].referer, undefined, 'the other origin received a Referer');
  // Control: without the meta tag the same observation does see a Referer.
  const control = await visit('/noref/hubkey-relay.html');
  assert.equal(control.inspected, null);
  assert.equal(control.otherHits.find((h) => h.url === '/probe')?.referer, `${origin}/`);
  assert.ok(control.network.find((n) => n.url.startsWith('hubkey:'))?.referer);
});

test('attack_relay_overlong_and_invalid_encoding: given a 100 KB code, a lone % escape, or a value that is not UTF-8 (%ff%fe) when the relay loads then it forwards the value intact or refuses with a message, without script errors', async () => {
  const long = 'A'.repeat(100_000);
  const r = await openRelay(`?code=${long}&state=s6`);
  const u = forwarded(r);
  assert.equal(u.searchParams.get('code'), long);
  assert.equal(u.searchParams.get('state'), 's6');
  assert.deepEqual(r.pageErrors, []);
  // "%zz" is no escape: it is the text "%zz", as Hubkey's own parser reads it.
  const literal = forwarded(await openRelay('?code=c%zz%&state=s%2'));
  assert.equal(literal.searchParams.get('code'), 'c%zz%');
  assert.equal(literal.searchParams.get('state'), 's%2');
  const invalid = ['?code=%ff%fe&state=s6', '?code=c&state=%ed%a0%80', '?error=access_denied&error_description=%c3%28&state=s6'];
  await Promise.all(invalid.map(async (query) => {
    const bad = await openRelay(query);
    assert.deepEqual(bad.navigations, [], `${query}: forwarded ${bad.navigations[0]}`);
    assert.match(bad.status, /is not valid text/, query);
    assert.equal(bad.linkHidden, true, query);
    assert.equal(bad.addressBar, base, query);
    assert.deepEqual(bad.pageErrors, [], query);
    assert.deepEqual(bad.consoleErrors, [], query);
  }));
});
