// End-to-end tests of the desktop app, driven like a user: a real window under Xvfb (tauri-driver +
// WebKitWebDriver), the real Secret Service (gnome-keyring on a private D-Bus session), the HubSpot sandbox
// over loopback HTTP, and headless Chromium as the system browser (tests/e2e/browser.mjs via $BROWSER) that
// clicks "Grant access" on the sandbox's consent page.
//
// Run through scripts/e2e.sh (it builds the app with the UI embedded, then runs this file inside xvfb-run and
// scripts/with-keyring.sh). Environment:
//   HUBKEY_E2E_APP      absolute path of the app binary (target/e2e/hubkey-desktop, or /usr/bin/hubkey-desktop)
//   HUBKEY_E2E_SANDBOX  the hubspot-sandbox binary          TAURI_DRIVER  the tauri-driver binary
//   HUBKEY_E2E_ARTIFACTS  where screenshots go (default artifacts/screenshots)
//   HUBKEY_E2E_SHOT_PREFIX  screenshot name prefix (default "e2e-")
//   HUBKEY_E2E_DEEP_LINK_VIA  "gio" (default when installed: `gio open URL`, through the registered handler)
//                             or "argv" (run the app again with the URL, which is what the handler's Exec does)
// Each test has its own HOME, XDG dirs, HUBKEY_HOME, keychain service name and tauri-driver; the app's log
// (HUBKEY_HOME/logs/hubkey-desktop.log) and the browser's report are printed when a test fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session, sleep, startTauriDriver, stopTree, waitFor, xpathString } from './webdriver.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const APP = process.env.HUBKEY_E2E_APP || path.join(root, 'target', 'e2e', 'hubkey-desktop');
const SANDBOX = process.env.HUBKEY_E2E_SANDBOX || path.join(root, 'target', 'e2e', 'hubspot-sandbox');
const DRIVER = process.env.TAURI_DRIVER || path.join(root, '.tools', 'bin', 'tauri-driver');
const SHOTS = path.resolve(process.env.HUBKEY_E2E_ARTIFACTS || path.join(root, 'artifacts', 'screenshots'));
const PREFIX = process.env.HUBKEY_E2E_SHOT_PREFIX ?? 'e2e-';
// gio open (GLib's xdg-open: reads the handler the dev build registered, then runs its Exec with the URL),
// else a plain second launch with the URL as argument. xdg-open itself cannot run a dev build's handler
// (build-env.md §9); scripts/deb-smoke.sh checks xdg-open with the installed .deb.
const DEEP_LINK_VIA = process.env.HUBKEY_E2E_DEEP_LINK_VIA
  || (execFileSync('sh', ['-c', 'command -v gio || true']).toString().trim() ? 'gio' : 'argv');

// The demo fixture (tests/hubspot-sandbox/fixtures/demo.json).
const CLIENT_ID = '5f3c2a1e-8b7d-4c6e-9a0f-1b2c3d4e5f60';
const CLIENT_SECRET = '0d6e4c2a-9f8b-4e7d-a6c5-b4a3f2e1d0c9';
const LOOPBACK_REDIRECT = 'http://localhost:53682/callback';
const RELAY_REDIRECT = 'https://relay.example.com/hubkey-relay.html';
const PRO = { hub_id: 24681357, domain: 'acme.example', user: 'alex@acme.example' };
const STARTER = { hub_id: 13572468, domain: 'sprocket.example', user: 'alex@acme.example' };

let sandbox;
let base;
let mcpBase;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'hubkey-e2e-'));

before(async () => {
  for (const [what, file] of [['app', APP], ['sandbox', SANDBOX], ['tauri-driver', DRIVER]]) {
    assert.ok(fs.existsSync(file), `${what} not found at ${file} (run scripts/e2e.sh)`);
  }
  assert.ok(process.env.DISPLAY, 'no DISPLAY: run under xvfb-run (scripts/e2e.sh does)');
  assert.ok(process.env.DBUS_SESSION_BUS_ADDRESS, 'no session bus: run under scripts/with-keyring.sh');
  const out = path.join(scratch, 'sandbox.json');
  const fd = fs.openSync(out, 'w');
  const errFd = fs.openSync(path.join(scratch, 'sandbox.log'), 'w');
  sandbox = spawn(SANDBOX, ['--port', '0', '--mcp-port', '0', '--print-ready-json'], { stdio: ['ignore', fd, errFd] });
  fs.closeSync(fd);
  fs.closeSync(errFd);
  const ready = await waitFor('the sandbox to print its ready line', () => {
    const line = fs.readFileSync(out, 'utf8').split('\n')[0];
    return line ? JSON.parse(line) : null;
  }, { timeoutMs: 15000, intervalMs: 50 });
  base = ready.base_url.replace(/\/$/, '');
  mcpBase = ready.mcp_base_url.replace(/\/$/, '');
});

after(async () => {
  await stopTree(sandbox);
  if (!process.env.HUBKEY_E2E_KEEP) fs.rmSync(scratch, { recursive: true, force: true });
});

async function control(method, route, body) {
  const res = await fetch(`${base}/_sandbox/${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} /_sandbox/${route}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A throw-away world for one test: dirs, env, tauri-driver, the app in a WebDriver session. */
async function world(name, { hubId }) {
  const t0 = Date.now();
  const dir = fs.mkdtempSync(path.join(scratch, `${name}-`));
  const home = path.join(dir, 'home');
  for (const d of ['.local/share', '.config', '.cache']) fs.mkdirSync(path.join(home, d), { recursive: true });
  const hubkeyHome = path.join(dir, 'hubkey');
  const browserOut = path.join(dir, 'browser.jsonl');
  // The secrets this test knows, for browser.mjs to look for in the environment the app gives it (one a line;
  // in a file, not in the app's environment, where the check would find them because the test put them there).
  const secretsFile = path.join(dir, 'secrets.txt');
  fs.writeFileSync(secretsFile, `${CLIENT_SECRET}\n`, { mode: 0o600 });
  const env = {
    ...process.env,
    HOME: home,
    XDG_DATA_HOME: path.join(home, '.local/share'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    HUBKEY_HOME: hubkeyHome,
    HUBKEY_KEYCHAIN_SERVICE: `hubkey-e2e-${name}-${process.pid}-${Date.now().toString(36)}`,
    HUBKEY_APP_BASE_URL: base,
    HUBKEY_API_BASE_URL: base,
    HUBKEY_MCP_BASE_URL: mcpBase,
    HUBKEY_LOG: 'debug',
    BROWSER: path.join(here, 'browser.mjs'),
    HUBKEY_E2E_BROWSER_OUT: browserOut,
    HUBKEY_E2E_SECRETS_FILE: secretsFile,
    HUBKEY_E2E_HUB_ID: String(hubId),
    NO_AT_BRIDGE: '1',
    GTK_THEME: 'Adwaita',
  };
  const driver = await startTauriDriver({ driver: DRIVER, env, logFile: path.join(dir, 'tauri-driver.log') });
  let session;
  try {
    session = await Session.start(driver.base, APP);
  } catch (error) {
    await stopTree(driver.child);
    throw error;
  }
  const w = {
    t0, name, dir, env, home, hubkeyHome, browserOut, driver, session,
    browserReports() {
      if (!fs.existsSync(browserOut)) return [];
      return fs.readFileSync(browserOut, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
    async shot(label) {
      return session.screenshot(path.join(SHOTS, `${PREFIX}${label}.png`)).catch((e) => {
        console.error(`screenshot ${label} failed: ${e.message}`);
      });
    },
    /** On failure: a screenshot, the app's log, the browser's report, tauri-driver's log. */
    async dumpFailure(error) {
      await w.shot(`${name}-failure`);
      const log = path.join(hubkeyHome, 'logs', 'hubkey-desktop.log');
      console.error(`\n----- ${name} failed: ${error?.message}`);
      console.error(`----- ${log}:\n${fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-12000) : '(no log file)'}`);
      console.error(`----- browser reports:\n${JSON.stringify(w.browserReports(), null, 2)}`);
      const dl = path.join(dir, 'tauri-driver.log');
      console.error(`----- tauri-driver log:\n${fs.existsSync(dl) ? fs.readFileSync(dl, 'utf8').slice(-4000) : ''}`);
      const text = await session.pageText().catch(() => '(page text unavailable)');
      console.error(`----- window text:\n${text}`);
    },
    async close() {
      await session.delete();
      // The app hides to the tray instead of quitting: stop everything tauri-driver started, by pid.
      await stopTree(driver.child);
    },
  };
  return w;
}

/** Runs `body(w)` in a fresh world; prints diagnostics on failure; always cleans up. */
async function withWorld(name, opts, body) {
  const w = await world(name, opts);
  try {
    await body(w);
  } catch (error) {
    await w.dumpFailure(error);
    throw error;
  } finally {
    await w.close();
  }
}

/** A progress line with the seconds since the test's world started (shows where time goes in CI logs). */
function progress(w, what) {
  console.log(`[${w.name} +${((Date.now() - w.t0) / 1000).toFixed(1)}s] ${what}`);
}

/** Replaces the value of an input like a user: select all, then type. */
async function fill(session, selector, value) {
  const el = await session.waitFor(selector);
  await el.click();
  await el.type(`\uE009a\uE000${value}`);
  const now = await el.property('value');
  if (now !== value) {
    // Some WebKitWebDriver builds ignore the Ctrl+A chord; clear with backspaces instead.
    await el.type('\uE003'.repeat(String(now).length + 2) + value);
  }
  assert.equal(await el.property('value'), value, `${selector} holds what was typed`);
}

async function registerApp(s, { name, redirect, optionalScopes }) {
  // The empty state's "Register an app" (also in the top bar once an app exists).
  await (await s.button('Register an app')).click();
  await s.waitFor('#field-name');
  await fill(s, '#field-name', name);
  await fill(s, '#field-client_id', CLIENT_ID);
  await fill(s, '#field-client_secret', CLIENT_SECRET);
  await fill(s, '#field-redirect_uri', redirect);
  await fill(s, '#field-scopes', 'oauth crm.objects.contacts.read');
  await fill(s, '#field-optional_scopes', optionalScopes);
  await (await s.button('Register app')).click();
  await s.waitFor(`//h2[normalize-space()=${xpathString(name)}]`);
}

const cardXpath = (domain) => `//article[.//h3[normalize-space()=${xpathString(domain)}]]`;

/**
 * Issue 18, point 6: the app put no secret in the environment of the browser it started. browser.mjs records the
 * names of its variables and which of them hold the login's `state` or a secret this test knows (the client
 * secret), never a value.
 */
function assertBrowserEnvironmentHoldsNoSecret(report) {
  assert.ok(report.env_names?.includes('BROWSER'), `the browser's environment was recorded: ${JSON.stringify(report.env_names)}`);
  assert.deepEqual(report.env_checked, { state: true, secrets: 1 }, 'the state and the client secret were looked for');
  assert.deepEqual(report.env_holding, [], 'no variable of the browser holds the state or the client secret');
}

/** Waits for the card of `domain` and returns what it shows. */
async function readCard(s, domain, opts) {
  const card = cardXpath(domain);
  await s.waitFor(card, opts);
  const text = async (xp) => (await s.xpath(card + xp)).text();
  const scopes = await Promise.all((await s.findAll('xpath', `${card}//section[@aria-label='Scopes']//li/code`)).map((e) => e.text()));
  return {
    badge: (await text("//header//span[contains(concat(' ', @class, ' '), ' pill ')]")).trim(),
    countdown: (await text("//span[contains(concat(' ', @class, ' '), ' countdown ')]")).trim(),
    installedBy: (await text("//dt[normalize-space()='Installed by']/following-sibling::dd[1]")).trim(),
    scopes,
  };
}

// The sandbox's default access-token lifetime (tests/hubspot-sandbox/src/state.rs, `access_token_ttl_secs`).
const TOKEN_TTL_SECS = 1800;

/** A countdown with more than two minutes left: whole minutes, rounded down ("29 min"). */
const countdownMins = (s) => {
  const m = /^(\d+) min$/.exec(s);
  assert.ok(m, `countdown "${s}" shows whole minutes while more than two minutes are left`);
  return Number(m[1]);
};

/** A countdown in its last two minutes: m:ss, moving every second ("1:39"). */
const countdownSecs = (s) => {
  const m = /^(\d+):(\d\d)$/.exec(s);
  assert.ok(m, `countdown "${s}" looks like m:ss`);
  return Number(m[1]) * 60 + Number(m[2]);
};

function readClipboard(env) {
  return execFileSync('xclip', ['-o', '-selection', 'clipboard'], { env, timeout: 5000 }).toString();
}

async function clickConnectFor(s, appName) {
  const group = `//section[.//h2[normalize-space()=${xpathString(appName)}]]`;
  await (await s.button('Connect a portal', group)).click();
}

test('A: loopback - register in the UI, connect in the browser, see scopes/user/countdown, copy a working token, then needs re-authorization after uninstall', { timeout: 180000 }, async () => {
  await withWorld('loopback', { hubId: PRO.hub_id }, async (w) => {
    const s = w.session;
    await s.waitFor("//h1[normalize-space()='No portals connected yet']");
    progress(w, 'window up, empty state shown');
    await w.shot('empty');

    await registerApp(s, { name: 'e2e-loopback', redirect: LOOPBACK_REDIRECT, optionalScopes: 'crm.objects.deals.read' });
    progress(w, 'app registered through the form');
    const clicked = Date.now();
    await clickConnectFor(s, 'e2e-loopback');

    // Chromium (tests/e2e/browser.mjs) grants; the loopback listener gets the code; the app exchanges it.
    const card = await readCard(s, PRO.domain, { timeoutMs: 45000 });
    const shown = Date.now();
    progress(w, 'connection shown');
    // The card can show before browser.mjs reports: it writes its report only after closing Chromium.
    const report = await waitFor('the browser to report', () => w.browserReports()[0], { timeoutMs: 15000 });
    assert.ok(report.ok, `the browser finished: ${JSON.stringify(report)}`);
    assert.match(report.final_url, /^http:\/\/localhost:53682\/callback\?/);
    assertBrowserEnvironmentHoldsNoSecret(report);
    assert.equal(card.badge, 'Fresh');
    assert.match(card.installedBy, new RegExp(`^${PRO.user.replace('.', '\\.')}`));
    for (const scope of ['oauth', 'crm.objects.contacts.read', 'crm.objects.deals.read']) {
      assert.ok(card.scopes.includes(scope), `scope ${scope} shown (shown: ${card.scopes.join(' ')})`);
    }
    // With more than two minutes left the countdown shows whole minutes, rounded down, and they match the
    // token's real lifetime: a 30-minute token that arrived between the click and the card showing up.
    // (2 s of slack for expires_at's rounding; the window repaints only when this text changes.)
    const mins = countdownMins(card.countdown);
    const oldest = Math.floor((TOKEN_TTL_SECS - (shown - clicked) / 1000 - 2) / 60);
    assert.ok(mins >= oldest && mins <= TOKEN_TTL_SECS / 60,
      `countdown "${card.countdown}" fits a ${TOKEN_TTL_SECS} s token received at most ${((shown - clicked) / 1000).toFixed(1)} s ago`);
    await w.shot('connected');

    // In its last two minutes the countdown shows m:ss and moves every second. The sandbox issues a
    // 100-second token to "Refresh now" (the lifetime goes back to 30 minutes before anything else runs).
    await control('PATCH', 'switches', { access_token_ttl_secs: 100 });
    let short;
    try {
      await (await s.button('Refresh now', cardXpath(PRO.domain))).click();
      await s.waitFor(`${cardXpath(PRO.domain)}//p[contains(., 'Refreshed')]`);
      // While the refresh is under way the old token's countdown shows m:ss too ("29:41"): wait for the new one.
      short = await waitFor('the countdown of the 100-second token', async () => {
        const shownNow = (await readCard(s, PRO.domain)).countdown;
        return /^\d+:\d\d$/.test(shownNow) && countdownSecs(shownNow) <= 100 ? shownNow : null;
      }, { timeoutMs: 15000 });
    } finally {
      await control('PATCH', 'switches', { access_token_ttl_secs: TOKEN_TTL_SECS });
    }
    const first = countdownSecs(short);
    await sleep(2100);
    const second = countdownSecs((await readCard(s, PRO.domain)).countdown);
    assert.ok(first > 60 && second < first && first - second <= 10, `countdown moved: ${short} then ${second} s`);
    progress(w, `countdown showed ${card.countdown} for the 30-minute token; ${short} then ${second} s for a 100-second one`);
    // Back to a 30-minute token, so the app's own refresh of the short one (due at half its life) cannot race
    // the uninstall below.
    await (await s.button('Refresh now', cardXpath(PRO.domain))).click();
    await waitFor('a 30-minute token again', async () => /^\d+ min$/.test((await readCard(s, PRO.domain)).countdown), { timeoutMs: 15000 });

    // Copy the bearer token (from Rust, to the X clipboard) and use it.
    await (await s.button('Copy bearer token', cardXpath(PRO.domain))).click();
    await s.waitFor(`${cardXpath(PRO.domain)}//p[contains(., 'Bearer token copied')]`);
    const token = await waitFor('the token on the clipboard', () => readClipboard(w.env).trim());
    assert.doesNotMatch(token, /\s/, 'the clipboard holds one token');
    const api = await fetch(`${base}/account-info/2026-09/details`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(api.status, 200, `the sandbox accepts the copied token: ${await api.text()}`);
    assert.ok(!(await s.pageText()).includes(token), 'the window never shows the raw token');
    progress(w, 'copied token accepted by the sandbox (200)');

    // "Use in an AI client…" (issue 15): the entries run the hubkey installed beside the app, name this
    // connection, hold no token; this standard app's token is account-level, and the dialog says why that
    // will not work with HubSpot's MCP server.
    await (await s.button('Use in an AI client…', cardXpath(PRO.domain))).click();
    const snippet = await s.waitFor("//dialog[contains(@class, 'ai-clients')]//pre[contains(@class, 'snippet')]");
    const entry = await snippet.text();
    assert.match(entry, new RegExp(`/hubkey'? headers --app e2e-loopback --portal ${PRO.hub_id} `), entry);
    assert.ok(!entry.includes(token), 'the entry holds no token');
    const dialogText = await (await s.find('xpath', "//dialog[contains(@class, 'ai-clients')]")).text();
    assert.match(dialogText, /account-level token, and HubSpot's MCP server will refuse it/);
    await (await s.button('Cursor', "//dialog[contains(@class, 'ai-clients')]")).click();
    await s.waitFor("//dialog[contains(@class, 'ai-clients')]//pre[contains(., '\"mcpServers\"')]");
    await w.shot('ai-clients');
    await (await s.button('Close', "//dialog[contains(@class, 'ai-clients')]")).click();
    progress(w, 'AI-client dialog shown with the entry for this connection');

    // "Start at login" (issue 16, point 3) in Diagnostics: the switch writes the XDG autostart entry that
    // starts this app in the tray only, and takes it away again; the tray menu's switch writes the same file
    // (scripts/tray-reopen.py checks that one in hubkey-tray).
    const entryFile = path.join(w.env.XDG_CONFIG_HOME, 'autostart', 'Hubkey.desktop');
    assert.ok(!fs.existsSync(entryFile), 'no autostart entry before the switch');
    await (await s.button('Diagnostics')).click();
    const startAtLogin = "//label[contains(@class, 'setting')][contains(., 'Start at login')]/input";
    const box = await s.waitFor(startAtLogin);
    assert.equal(await box.property('checked'), false, 'the switch starts off');
    await box.click();
    const autostart = await waitFor('the autostart entry', () => fs.existsSync(entryFile) && fs.readFileSync(entryFile, 'utf8'));
    const exec = autostart.split('\n').find((l) => l.startsWith('Exec='));
    assert.equal(exec, `Exec=${APP} --background`, `the entry starts this app in the tray only: ${autostart}`);
    await waitFor('the switch shows on', async () => (await (await s.waitFor(startAtLogin)).property('checked')) === true);
    await (await s.waitFor(startAtLogin)).click();
    await waitFor('the autostart entry removed', () => !fs.existsSync(entryFile));
    await waitFor('the switch shows off', async () => (await (await s.waitFor(startAtLogin)).property('checked')) === false);
    await (await s.button('Close', "//section[contains(@class, 'diagnostics')]")).click();
    progress(w, 'start at login switched on (entry written) and off (entry removed)');

    // The app is uninstalled from the portal and the token's time runs out at HubSpot; the next refresh
    // is refused and the connection needs re-authorization.
    await control('POST', 'uninstall', { client_id: CLIENT_ID, hub_id: PRO.hub_id });
    await control('POST', 'advance', { secs: 1900 });
    await (await s.button('Refresh now', cardXpath(PRO.domain))).click();
    await waitFor('the "Needs re-authorization" badge', async () => (await readCard(s, PRO.domain)).badge === 'Needs re-authorization', { timeoutMs: 30000 });
    await s.waitFor(`${cardXpath(PRO.domain)}//button[normalize-space()='Re-authorize']`);
    progress(w, 'needs re-authorization shown');
    await w.shot('needs-reauth');
  });
});

test('B: deep link - relay redirect, hubkey:// delivered to the running app, connection shown', { timeout: 180000, skip: process.env.HUBKEY_E2E_ONLY === 'loopback' }, async () => {
  await withWorld('deeplink', { hubId: STARTER.hub_id }, async (w) => {
    const s = w.session;
    await s.waitFor("//h1[normalize-space()='No portals connected yet']");
    progress(w, 'window up, empty state shown');
    await registerApp(s, { name: 'e2e-relay', redirect: RELAY_REDIRECT, optionalScopes: 'crm.objects.deals.read' });
    await s.waitFor("//span[normalize-space()='(relay page → hubkey://)']");
    progress(w, 'relay app registered through the form');
    await clickConnectFor(s, 'e2e-relay');
    await s.waitFor("//h3[normalize-space()='Waiting for HubSpot…']");

    // Chromium grants, follows the redirect to the relay page, which navigates to hubkey://oauth/callback.
    const report = await waitFor('the browser to capture the hubkey:// link', () => {
      const r = w.browserReports()[0];
      if (r && !r.ok) throw new Error(r.error);
      return r;
    }, { timeoutMs: 45000 });
    assert.equal(report.deep_links.length, 1, JSON.stringify(report));
    assertBrowserEnvironmentHoldsNoSecret(report);
    const link = report.deep_links[0];
    progress(w, 'browser granted; the relay opened hubkey://oauth/callback');
    assert.match(link, /^hubkey:\/\/oauth\/callback\?code=[^&]+&state=[^&]+$/);

    // The dev build registered itself as the handler of hubkey:// for this (throw-away) user.
    const handler = execFileSync('xdg-mime', ['query', 'default', 'x-scheme-handler/hubkey'], { env: w.env }).toString().trim();
    assert.equal(handler, 'hubkey-desktop-handler.desktop', 'xdg-mime names the dev build\'s handler');

    // Deliver it as the OS does: a second launch of the app with the URL (what xdg-open / gio run from the
    // .desktop file's `Exec=… %u`); single-instance forwards it over D-Bus and the second process exits.
    const started = Date.now();
    const second = DEEP_LINK_VIA === 'gio'
      ? spawn('gio', ['open', link], { env: w.env, stdio: 'ignore' })
      : spawn(APP, [link], { env: { ...w.env, TAURI_WEBVIEW_AUTOMATION: '' }, stdio: 'ignore' });
    const code = await new Promise((resolve) => second.on('exit', resolve));
    assert.equal(code, 0, `the second launch (${DEEP_LINK_VIA}) exits 0`);

    const card = await readCard(s, STARTER.domain, { timeoutMs: 30000 });
    progress(w, `connection shown ${Date.now() - started} ms after the second launch (${DEEP_LINK_VIA})`);
    assert.equal(card.badge, 'Fresh');
    assert.match(card.installedBy, /^alex@acme\.example/);
    assert.ok(card.scopes.includes('crm.objects.contacts.read'), card.scopes.join(' '));
    // The Starter portal has no deals scope? It does (only automation etc. are unavailable): shown as granted.
    assert.ok(card.scopes.includes('crm.objects.deals.read'), card.scopes.join(' '));
    await w.shot('deeplink-connected');
  });
});

/** A web server of another origin that records every request: what an attacker's page or script would use. */
async function hostileOrigin() {
  const http = await import('node:http');
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url);
    if (req.url.startsWith('/evil.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end('window.__pwned_remote = 1;');
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>elsewhere</title><p>another origin</p>');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${server.address().port}`, seen, close: () => new Promise((r) => server.close(r)) };
}

test('C: attack_webview - injected inline and remote scripts do not run, remote requests are blocked, the window cannot be navigated to another origin', { timeout: 120000, skip: process.env.HUBKEY_E2E_ONLY === 'loopback' }, async () => {
  const evil = await hostileOrigin();
  try {
    await withWorld('webview', { hubId: PRO.hub_id }, async (w) => {
      const s = w.session;
      await s.waitFor("//h1[normalize-space()='No portals connected yet']");
      const origin = await s.execute('return location.origin;');
      // The page's own IPC works (the control: the same call is refused below once the origin is not the app's).
      const own = await s.executeAsync(`const done = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__.invoke('list_apps').then((r) => done(['ok', r.length]), (e) => done(['err', String(e)]));`);
      assert.deepEqual(own, ['ok', 0], 'the app\'s own page may call its commands');

      // What an injection (XSS) would try: an inline script, an inline handler, a remote script, a remote fetch.
      await s.execute(`
        const inline = document.createElement('script');
        inline.textContent = 'window.__pwned_inline = 1;';
        document.body.appendChild(inline);
        const holder = document.createElement('div');
        holder.innerHTML = '<img src="x" onerror="window.__pwned_handler = 1">';
        document.body.appendChild(holder);
        const remote = document.createElement('script');
        remote.src = arguments[0] + '/evil.js';
        document.body.appendChild(remote);
        window.__fetch_result = 'pending';
        fetch(arguments[0] + '/fetch').then(() => { window.__fetch_result = 'reached'; }, () => { window.__fetch_result = 'blocked'; });
      `, [evil.base]);
      await sleep(1500);
      const after = await s.execute('return [window.__pwned_inline, window.__pwned_handler, window.__pwned_remote, window.__fetch_result];');
      assert.deepEqual(after, [null, null, null, 'blocked'], 'the CSP blocked every injected script and the remote fetch');
      assert.deepEqual(evil.seen, [], 'nothing reached the other origin');
      progress(w, 'CSP: inline script, inline handler, remote script and remote fetch all blocked');

      // The webview sent to another origin (what an injected link or script would do): the host refuses the
      // navigation, so the window keeps Hubkey's page and the other origin is never asked for it.
      await s.execute('window.location.href = arguments[0] + "/page";', [evil.base]);
      await sleep(2000);
      assert.equal(await s.execute('return location.origin;'), origin, 'the window stayed on Hubkey\'s page');
      assert.deepEqual(evil.seen, [], 'the other origin was never asked for the page');
      const still = await s.executeAsync(`const done = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__.invoke('list_apps').then((r) => done(['ok', r.length]), (e) => done(['err', String(e)]));`);
      assert.deepEqual(still, ['ok', 0], 'the app still works');
      progress(w, 'navigation to another origin refused; the page and its commands still work');
    });
  } finally {
    await evil.close();
  }
});
