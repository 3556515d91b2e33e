// Shared harness of the browser tests: a real `relaygate serve` with a
// console, a real call (relaygate's software TTY phone dialling in and
// its software agent phone answering the queue), and Debian's Chromium
// driven by playwright-core, with axe-core injected into the page.
//
// Nothing here is a mock: the page under test is the one the binary
// serves. Failures carry the server's log tail and what the TTY printed.

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = process.env.RELAYGATE_BIN || path.join(ROOT, 'target', 'release', 'relaygate');
export const CHROMIUM = process.env.RELAYGATE_CHROMIUM || '/usr/bin/chromium';
export const PASSWORD = 'password123';
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// Every process started here, ended by its own id if the tests die.
const children = new Set();
process.on('exit', () => {
  for (const child of children) {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
  }
});

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// An error that ends a waitFor at once (a process it waits on is gone).
export function fatal(message) {
  const e = new Error(message);
  e.fatal = true;
  return e;
}

export async function waitFor(what, fn, { timeout = 30000, interval = 200 } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      if (e && e.fatal) throw e;
      last = e;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    }
    await sleep(interval);
  }
}

// The log without whisper.cpp's model-loading chatter.
function quiet(text) {
  return text.split('\n').filter((l) => !/whisper_rs::|whisper_init|whisper_model_load/.test(l)).join('\n');
}

function tail(text, lines = 40) {
  return text.split('\n').slice(-lines).join('\n');
}

// ---------------------------------------------------------------- ports

async function tcpFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function udpFree(port) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => { s.close(); resolve(false); });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

const taken = new Set();
// A port free for TCP and UDP on 127.0.0.1 (SIP listens on both), away
// from the RTP ranges, not handed out before in this process.
export async function freePort() {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + crypto.randomInt(9000);
    if (taken.has(port)) continue;
    if (await tcpFree(port) && await udpFree(port) && await tcpFree(port + 1)) {
      taken.add(port);
      taken.add(port + 1);
      return port;
    }
  }
  throw new Error('no free port found');
}

// ---------------------------------------------------------------- processes

function start(name, args, { env = {}, stdin = 'ignore', logFile } = {}) {
  const child = spawn(BIN, args, {
    env: { ...process.env, ...env },
    stdio: [stdin, 'pipe', 'pipe'],
  });
  children.add(child);
  const proc = { name, child, stdout: '', stderr: '', exited: null };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => { proc.stdout += d; });
  child.stderr.on('data', (d) => {
    proc.stderr += d;
    if (logFile) fs.appendFileSync(logFile, d);
  });
  child.on('exit', (code, signal) => {
    proc.exited = { code, signal };
    children.delete(child);
  });
  child.on('error', (e) => {
    proc.stderr += `\n[${name} could not start: ${e.message}]\n`;
    proc.exited = { code: -1, signal: null };
  });
  return proc;
}

async function stop(proc, { grace = 8000 } = {}) {
  if (!proc || proc.exited) return;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => { if (!proc.exited) proc.child.kill('SIGKILL'); }, grace);
  if (!proc.exited) await once(proc.child, 'exit').catch(() => {});
  clearTimeout(timer);
}

async function run(args, { input } = {}) {
  const proc = start(`relaygate ${args[0]}`, args, { stdin: 'pipe' });
  proc.child.stdin.end(input ?? '');
  if (!proc.exited) await once(proc.child, 'exit');
  if (proc.exited.code !== 0) {
    throw new Error(`relaygate ${args.join(' ')} exited with ${JSON.stringify(proc.exited)}:\n${tail(proc.stderr)}`);
  }
  return proc.stdout;
}

export async function requireBinary() {
  try {
    await fsp.access(BIN, fs.constants.X_OK);
  } catch {
    throw new Error(`${BIN} is missing: run cargo build --release first (scripts/browser-tests does)`);
  }
}

// ---------------------------------------------------------------- the server

// Starts `relaygate serve` with a console and the users alice (operator)
// and sam (supervisor), both with PASSWORD.
export async function startServer({ consoleExtra = '' } = {}) {
  await requireBinary();
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'relaygate-browser-'));
  const users = path.join(dir, 'users.toml');
  await run(['users', 'add', 'alice', '--role', 'operator', '--file', users], { input: `${PASSWORD}\n` });
  await run(['users', 'add', 'sam', '--role', 'supervisor', '--file', users], { input: `${PASSWORD}\n` });
  await run(['users', 'add', 'ada', '--role', 'admin', '--file', users], { input: `${PASSWORD}\n` });
  const sipPort = await freePort();
  const agentPort = await freePort();
  const metricsPort = await freePort();
  const consolePort = await freePort();
  const rtp = 30000 + 2 * crypto.randomInt(4500);
  const config = path.join(dir, 'relaygate.toml');
  await fsp.writeFile(config, [
    '[sip]',
    `listen = "127.0.0.1:${sipPort}"`,
    `rtp_ports = [${rtp}, ${rtp + 199}]`,
    '[[queue]]',
    'name = "support"',
    `uri = "sip:gw@127.0.0.1:${agentPort}"`,
    '[metrics]',
    `listen = "127.0.0.1:${metricsPort}"`,
    '[console]',
    `listen = "127.0.0.1:${consolePort}"`,
    `users = "${users}"`,
    consoleExtra,
    '',
  ].join('\n'));
  const logFile = path.join(dir, 'serve.log');
  const base = `http://127.0.0.1:${consolePort}`;
  const server = {
    dir, base, users, sipPort, agentPort, consolePort, metricsPort, logFile, proc: null,
    log: () => server.proc.stderr,
    explain: () => `--- relaygate serve log (last lines, ${logFile}) ---\n${tail(quiet(server.proc.stderr), 40)}`,
    async stop() {
      await stop(server.proc);
      if (!process.env.RELAYGATE_KEEP_TEST_FILES) await fsp.rm(dir, { recursive: true, force: true });
    },
    // Stops the server (SIGTERM) and starts it again on the same ports:
    // sessions live in its memory, so every session is gone.
    async restart() {
      await stop(server.proc);
      await launch();
    },
  };
  async function launch() {
    const proc = start('relaygate serve', ['serve', '--config', config], {
      env: { RELAYGATE_LOG: process.env.RELAYGATE_LOG || 'info,rsipstack=warn,whisper_rs=warn' },
      logFile,
    });
    server.proc = proc;
    await waitFor('the console to answer GET /sign-in', async () => {
      if (proc.exited) throw fatal(`relaygate serve exited: ${JSON.stringify(proc.exited)}`);
      const r = await request(base, '/sign-in');
      return r.status === 200;
    }, { timeout: 120000, interval: 300 });
  }
  try {
    await launch();
  } catch (e) {
    e.message += `\n${server.explain()}`;
    await server.stop();
    throw e;
  }
  return server;
}

// A plain HTTP request (no browser): { status, headers, body }.
export function request(base, pathname, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${pathname}`, { method, headers }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error(`${method} ${pathname}: no answer in 10 s`)));
    if (body) req.write(body);
    req.end();
  });
}

// A WebSocket upgrade request by hand: the status the server answers
// (101 when it upgrades), then the socket is closed.
export function upgradeStatus(base, pathname, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${pathname}`, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error('upgrade: no answer in 10 s')));
    req.end();
  });
}

// ---------------------------------------------------------------- a call

// Dials the server with the software TTY phone; the software agent phone
// answers the queue and says `agentText` `agentAfter` seconds after it
// answers. The TTY types `firstLine` as soon as it is connected (a TTY
// is recognised by its tones).
export async function startCall(server, {
  agentText = 'Thank you for calling. Your account number is ready. Please hold the line.',
  agentAfter = 25,
  firstLine = 'HELLO I NEED HELP WITH MY ACCOUNT GA',
  linger = 90,
} = {}) {
  const dir = server.dir;
  const say = path.join(dir, 'agent-says.wav');
  await run(['tts', 'say', '--voice', 'standard', '--output', say, agentText]);
  const agent = start('relaygate phone agent', [
    'phone', 'agent', '--listen', `127.0.0.1:${server.agentPort}`, '--say', say,
    '--after', String(agentAfter), '--record', path.join(dir, 'agent-heard.wav'), '--max-seconds', '300',
  ], { env: { RELAYGATE_LOG: 'warn' } });
  await sleep(500);
  const ttyPort = await freePort();
  const recording = path.join(dir, 'tty-heard.wav');
  const tty = start('relaygate phone tty', [
    'phone', 'tty', '--call', `sip:relay@127.0.0.1:${server.sipPort}`,
    '--listen', `127.0.0.1:${ttyPort}`, '--linger', String(linger), '--record', recording,
  ], { env: { RELAYGATE_LOG: 'warn' }, stdin: 'pipe' });
  const call = {
    agent, tty,
    // What the TTY heard, written when its phone hangs up.
    recording,
    output: () => tty.stdout,
    // What the TTY printed, upper case, runs of white space as one space.
    screen: () => tty.stdout.toUpperCase().replace(/\s+/g, ' '),
    type(line) {
      tty.child.stdin.write(`${line}\n`);
    },
    async waitForScreen(what, re, timeout = 60000) {
      return waitFor(`the TTY to print ${what} (${re})`, () => {
        if (tty.exited) throw fatal(`the TTY phone exited: ${JSON.stringify(tty.exited)}`);
        return re.test(call.screen());
      }, { timeout, interval: 250 });
    },
    // Waits until the TTY has printed nothing new for `quietMs`: a TTY
    // is half duplex, so its user types when the line is quiet.
    async waitQuiet(quietMs = 3000, timeout = 60000) {
      let last = tty.stdout.length;
      let since = Date.now();
      await waitFor('the TTY line to go quiet', () => {
        if (tty.stdout.length !== last) {
          last = tty.stdout.length;
          since = Date.now();
        }
        return Date.now() - since >= quietMs;
      }, { timeout, interval: 200 });
    },
    explain: () => [
      `--- what the TTY printed (stdout) ---\n${tail(tty.stdout, 30)}`,
      `--- TTY phone log ---\n${tail(tty.stderr, 15)}`,
      `--- agent phone log ---\n${tail(agent.stderr, 15)}`,
    ].join('\n'),
    // Ends the TTY's typing: it hangs up `linger` seconds later.
    async hangUp(timeout = 60000) {
      tty.child.stdin.end();
      await waitFor('the TTY phone to hang up', () => tty.exited, { timeout });
    },
    async stop() {
      try { tty.child.stdin.end(); } catch { /* closed */ }
      await Promise.all([stop(tty, { grace: 3000 }), stop(agent, { grace: 3000 })]);
    },
  };
  await sleep(1500);
  if (firstLine) call.type(firstLine);
  return call;
}

// What minimodem, a decoder independent of relaygate's, reads as TTY
// text (Baudot, 45.45 baud) in a recording; upper case, runs of white
// space as one space. The line's profile (devices/us-generic.toml) sends
// the standard 1.5 stop bits; minimodem's `tdd` mode expects 2 unless
// told.
export function minimodemDecode(wav) {
  const r = spawnSync('minimodem', ['--rx', 'tdd', '-q', '--stopbits', '1.5', '-f', wav], { encoding: 'utf8', timeout: 120000 });
  if (r.error) throw new Error(`minimodem: ${r.error.message} (apt-get install minimodem)`);
  if (r.status !== 0) throw new Error(`minimodem exited ${r.status}: ${r.stderr}`);
  return r.stdout.toUpperCase().replace(/\s+/g, ' ');
}

// ---------------------------------------------------------------- the browser

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A page that records console errors, CSP refusals and uncaught errors.
export async function newPage(browser, { width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => {
    const text = m.text();
    // A refused inline script or style, or any error the page logs.
    // (Chromium logs a failed resource as "Failed to load resource";
    // only the test's own 401 probes do that, so those are let through.)
    if ((m.type() === 'error' && !/Failed to load resource/.test(text)) || /Content Security Policy/.test(text)) {
      page.problems.push(`console ${m.type()}: ${text}`);
    }
  });
  page.on('pageerror', (e) => page.problems.push(`uncaught: ${e.message}`));
  return page;
}

// Signs in through the form (mouse-free but not keyboard-scripted).
export async function signIn(page, base, user = 'alice', password = PASSWORD) {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await Promise.all([
    page.waitForURL(`${base}/`, { timeout: 20000 }),
    page.getByLabel('Password').press('Enter'),
  ]);
}

// axe-core in the page (evaluated, so the page's CSP does not apply),
// with the WCAG 2.0-2.2 A and AA tags. Returns the violations.
export async function axe(page) {
  const loaded = await page.evaluate(() => typeof window.axe === 'object');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
    }));
  }, AXE_TAGS);
}

export function formatViolations(violations) {
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.join('\n  ')}`).join('\n');
}

// The focused element, and whether it shows a focus indicator.
export async function focusInfo(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    if (!a || a === document.body || a === document.documentElement) return { onBody: true };
    const cs = getComputedStyle(a);
    const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
    const shadow = cs.boxShadow && cs.boxShadow !== 'none';
    const r = a.getBoundingClientRect();
    const label = (a.labels && a.labels[0] && a.labels[0].textContent)
      || a.getAttribute('aria-label') || a.textContent || '';
    return {
      onBody: false,
      what: `<${a.tagName.toLowerCase()}${a.id ? ` id="${a.id}"` : ''}${a.type ? ` type="${a.type}"` : ''}> "${label.trim().replace(/\s+/g, ' ').slice(0, 80)}"`,
      id: a.id,
      label: label.trim().replace(/\s+/g, ' '),
      value: 'value' in a ? a.value : undefined,
      visible: outline || shadow,
      style: `outline: ${cs.outlineStyle} ${cs.outlineWidth} ${cs.outlineColor}; box-shadow: ${cs.boxShadow}`,
      inViewport: r.bottom > 0 && r.top < window.innerHeight && r.right > 0 && r.left < window.innerWidth,
    };
  });
}

// Asserts that focus is on an element (not <body>) that shows a focus
// indicator and is in view (2.4.7, 2.4.11); returns the focus info.
export async function assertFocus(page, step) {
  const f = await focusInfo(page);
  if (f.onBody) throw new Error(`after "${step}": focus is on <body>`);
  if (!f.visible) throw new Error(`after "${step}": ${f.what} has focus but no visible indicator (${f.style})`);
  if (!f.inViewport) throw new Error(`after "${step}": ${f.what} has focus but is out of view`);
  return f;
}

// Presses Tab (or Shift+Tab) until the focused element matches `want`
// ({ id } or { label: RegExp }), checking focus after every press.
export async function tabTo(page, want, { back = false, max = 80 } = {}) {
  const seen = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const f = await assertFocus(page, `${back ? 'Shift+Tab' : 'Tab'} #${i + 1} towards ${JSON.stringify(want.id || String(want.label))}`);
    seen.push(f.what);
    if ((want.id && f.id === want.id) || (want.label && want.label.test(f.label))) return f;
  }
  throw new Error(`${max} presses of Tab did not reach ${want.id || want.label}; focus went through:\n  ${seen.join('\n  ')}`);
}

// Buttons, fields and links that are shown and smaller than 24 x 24 CSS
// px (2.5.8). Visually hidden ones (1 px, clipped) are left out.
export async function smallTargets(page) {
  return page.evaluate(() => [...document.querySelectorAll('button, input, select, textarea, a[href], [role="button"]')]
    .filter((e) => {
      const r = e.getBoundingClientRect();
      if (r.width <= 1 || r.height <= 1) return false;
      if (getComputedStyle(e).visibility === 'hidden') return false;
      return r.width < 24 || r.height < 24;
    })
    .map((e) => {
      const r = e.getBoundingClientRect();
      return `<${e.tagName.toLowerCase()} id="${e.id}"> "${(e.textContent || e.value || '').trim().slice(0, 40)}" ${r.width.toFixed(1)}x${r.height.toFixed(1)}`;
    }));
}

// Whether the page scrolls sideways, and what sticks out if it does.
export async function horizontalOverflow(page) {
  return page.evaluate(() => {
    const doc = document.documentElement;
    const width = doc.clientWidth;
    const over = doc.scrollWidth > width + 1;
    const culprits = over
      ? [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > width + 1 && e.getClientRects().length)
        .slice(0, 10)
        .map((e) => `<${e.tagName.toLowerCase()} id="${e.id}" class="${e.className}"> right=${e.getBoundingClientRect().right.toFixed(0)}`)
      : [];
    return { over, scrollWidth: doc.scrollWidth, clientWidth: width, culprits };
  });
}

// Controls (buttons and fields) that are meant to be shown but are cut
// off: zero-sized, or outside the page's width.
export async function hiddenControls(page, selector = 'main button, main input, nav button, header button') {
  return page.evaluate((sel) => {
    const width = document.documentElement.clientWidth;
    return [...document.querySelectorAll(sel)]
      .filter((e) => !e.closest('[hidden]'))
      .filter((e) => {
        const r = e.getBoundingClientRect();
        return r.width < 1 || r.height < 1 || r.right > width + 1 || r.left < -1;
      })
      .map((e) => `<${e.tagName.toLowerCase()} id="${e.id}"> "${(e.textContent || '').trim().slice(0, 40)}"`);
  }, selector);
}

// Runs a test body; on failure adds what explains it (server log, TTY).
export function explained(sources, fn) {
  return async (t) => {
    try {
      await fn(t);
    } catch (e) {
      const parts = await Promise.all(sources().filter(Boolean).map(async (s) => {
        try {
          return await s.explain();
        } catch (err) {
          return `(could not explain: ${err.message})`;
        }
      }));
      const extra = parts.join('\n');
      if (e && typeof e === 'object') {
        try { e.message = `${e.message}\n${extra}`; } catch { /* read-only */ }
      }
      console.error(extra);
      throw e;
    }
  };
}

// What the page shows, for a failure's explanation.
export function pageExplainer(pageRef) {
  return {
    async explain() {
      const page = pageRef();
      if (!page || page.isClosed()) return '';
      const state = await page.evaluate(() => {
        const text = (sel) => [...document.querySelectorAll(sel)].map((e) => e.textContent.trim().replace(/\s+/g, ' '));
        return {
          url: location.href,
          connection: text('#connection').join(''),
          announcer: text('#announcer').join(''),
          calls: text('nav[aria-label="Calls"] button'),
          log: text('[role="log"] > *'),
          held: [...document.querySelectorAll('.held-item:not([hidden]) input')].map((e) => e.value),
          errors: text('.error-summary'),
        };
      }).catch((e) => ({ error: e.message }));
      return `--- the page ---\n${JSON.stringify(state, null, 1)}\nproblems: ${JSON.stringify(page.problems || [])}`;
    },
  };
}
