// A small W3C WebDriver client over fetch, for tauri-driver (which fronts WebKitWebDriver on Linux), and the
// process helpers the end-to-end tests share. No browser downloads, no extra packages.
//
// https://www.w3.org/TR/webdriver2/ — only what the tests use: sessions, find (css / xpath), click, send keys,
// text, property, screenshot, execute.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `fn` until it returns a truthy value (returned) or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(what, fn, { timeoutMs = 20000, intervalMs = 200 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`);
}

/** All descendants of `pid` (children first found through /proc; Linux only). */
export function descendants(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may contain spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  const out = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of children.get(queue.shift()) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a process this test started and everything it started (by pid: TERM, then KILL after 3 s). */
export async function stopTree(child) {
  if (!child?.pid) return;
  const pids = [...descendants(child.pid).reverse(), child.pid];
  for (const pid of pids) {
    try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
  }
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && pids.some(alive)) await sleep(100);
  for (const pid of pids.filter(alive)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

/** Starts tauri-driver on free ports with `env`; resolves once it answers /status. */
export async function startTauriDriver({ driver, env, logFile }) {
  const port = await freePort();
  const nativePort = await freePort();
  const log = fs.openSync(logFile, 'a');
  const child = spawn(driver, ['--port', String(port), '--native-port', String(nativePort)], {
    env,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  const base = `http://127.0.0.1:${port}`;
  await waitFor('tauri-driver to answer /status', async () => {
    if (child.exitCode !== null) throw new Error(`tauri-driver exited with ${child.exitCode}`);
    const res = await fetch(`${base}/status`);
    return res.ok;
  }, { timeoutMs: 15000, intervalMs: 100 });
  return { child, base };
}

/** One WebDriver session on tauri-driver. */
export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  /** Starts the app at `application` (an absolute path) under automation. */
  static async start(base, application, args = []) {
    const body = {
      capabilities: {
        alwaysMatch: {
          browserName: 'wry',
          'tauri:options': { application, args },
        },
      },
    };
    const value = await call(base, 'POST', '/session', body);
    return new Session(base, value.sessionId);
  }

  cmd(method, route, body) {
    return call(this.base, method, `/session/${this.id}${route}`, body);
  }

  async delete() {
    await this.cmd('DELETE', '').catch(() => {});
  }

  async find(using, value) {
    const found = await this.cmd('POST', '/element', { using, value });
    return new Element(this, found[ELEMENT]);
  }

  async findAll(using, value) {
    const found = await this.cmd('POST', '/elements', { using, value });
    return found.map((f) => new Element(this, f[ELEMENT]));
  }

  css(selector) {
    return this.find('css selector', selector);
  }

  xpath(expr) {
    return this.find('xpath', expr);
  }

  /** Waits until a `selector` (css) or `//xpath` matches, and returns the first match. */
  waitFor(selector, opts) {
    const using = selector.startsWith('/') ? 'xpath' : 'css selector';
    return waitFor(`element ${selector}`, () => this.find(using, selector), opts);
  }

  /** A button whose visible text is exactly `text`; `within` narrows to an xpath scope. */
  button(text, within = '') {
    return this.waitFor(`${within}//button[normalize-space()=${xpathString(text)}]`);
  }

  execute(script, args = []) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }

  /** Runs `script` with a callback as its last argument (`arguments[arguments.length - 1]`); resolves to what it passes. */
  executeAsync(script, args = []) {
    return this.cmd('POST', '/execute/async', { script, args });
  }

  async title() {
    return this.cmd('GET', '/title');
  }

  /** The webview as a PNG, written to `file`. */
  async screenshot(file) {
    const b64 = await this.cmd('GET', '/screenshot');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.from(b64, 'base64'));
    return file;
  }

  /** The visible text of the whole page. */
  async pageText() {
    return (await this.css('body')).text();
  }
}

export class Element {
  constructor(session, id) {
    this.session = session;
    this.id = id;
  }

  cmd(method, route, body) {
    return this.session.cmd(method, `/element/${this.id}${route}`, body);
  }

  click() {
    return this.cmd('POST', '/click', {});
  }

  /** Types `text` (WebDriver key codes allowed: "\uE009a\uE000" is Ctrl+A). */
  type(text) {
    return this.cmd('POST', '/value', { text });
  }

  text() {
    return this.cmd('GET', '/text');
  }

  property(name) {
    return this.cmd('GET', `/property/${name}`);
  }

  async find(using, value) {
    const found = await this.cmd('POST', '/element', { using, value });
    return new Element(this.session, found[ELEMENT]);
  }

  async findAll(using, value) {
    const found = await this.cmd('POST', '/elements', { using, value });
    return found.map((f) => new Element(this.session, f[ELEMENT]));
  }
}

/** An XPath string literal for any text (quotes included). */
export function xpathString(text) {
  if (!text.includes("'")) return `'${text}'`;
  if (!text.includes('"')) return `"${text}"`;
  return `concat('${text.split("'").join(`', "'", '`)}')`;
}

async function call(base, method, route, body) {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${route}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  }
  if (!res.ok || (json.value && json.value.error)) {
    const v = json.value ?? {};
    const err = new Error(`${method} ${route}: ${v.error ?? res.status}: ${v.message ?? text.slice(0, 300)}`);
    err.webdriver = v.error;
    throw err;
  }
  return json.value;
}
