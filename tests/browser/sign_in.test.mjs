// The console's front door against a real `relaygate serve` (no call):
// the sign-in page passes axe, reflows and has large targets; a wrong
// password gets the error summary; nothing but the sign-in page and the
// style sheet is served without a session; sign-in and sign-out by
// keyboard alone.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, newPage, signIn, axe, formatViolations, assertFocus, tabTo,
  smallTargets, horizontalOverflow, hiddenControls, request, upgradeStatus, explained,
  pageExplainer, waitFor, PASSWORD,
} from './harness.mjs';

let server;
let browser;
let page;
const t0 = explained.bind(null, () => [server, pageExplainer(() => page)]);

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the sign-in page passes axe (WCAG 2.2 AA), reflows at 320 px and at 200 % text', t0(async () => {
  page = await newPage(browser);
  const r = await page.goto(`${server.base}/sign-in`);
  assert.equal(r.status(), 200);
  const csp = r.headers()['content-security-policy'] || '';
  assert.match(csp, /default-src 'self'/, 'the sign-in page carries the CSP');
  assert.match(csp, /frame-ancestors 'none'/);
  const v = await axe(page);
  assert.equal(v.length, 0, `axe on /sign-in:\n${formatViolations(v)}`);

  const username = page.getByLabel('Username');
  assert.equal(await username.getAttribute('autocomplete'), 'username');
  assert.equal(await username.getAttribute('name'), 'username');
  assert.equal(await username.inputValue(), '', 'the __USERNAME__ marker is replaced');
  const password = page.getByLabel('Password');
  assert.equal(await password.getAttribute('type'), 'password');
  assert.equal(await password.getAttribute('autocomplete'), 'current-password');
  assert.equal(await page.locator('form[method="post"][action="/sign-in"]').count(), 1);
  assert.ok(!(await page.content()).includes('<!--ERROR-->'), 'the ERROR marker is replaced');

  assert.deepEqual(await smallTargets(page), [], 'targets under 24x24 px');
  await page.setViewportSize({ width: 320, height: 700 });
  const o = await horizontalOverflow(page);
  assert.ok(!o.over, `horizontal scroll at 320 px: ${JSON.stringify(o)}`);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.evaluate(() => { document.documentElement.style.fontSize = '200%'; });
  const o2 = await horizontalOverflow(page);
  assert.ok(!o2.over, `horizontal scroll at 200 % text: ${JSON.stringify(o2)}`);
  assert.deepEqual(await hiddenControls(page, 'main input, main button'), [], 'controls cut off at 200 % text');
  assert.deepEqual(page.problems, []);
  await page.close();
}));

test('a wrong password shows the error summary, focused, with the name kept', t0(async () => {
  page = await newPage(browser);
  await page.goto(`${server.base}/sign-in`);
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('not the password');
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${server.base}/sign-in` && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  assert.equal(resp.status(), 401, 'a refused sign-in answers 401');
  const summary = page.locator('.error-summary');
  await summary.waitFor({ state: 'visible' });
  assert.equal(await summary.getAttribute('role'), 'alert');
  assert.match(await summary.textContent(), /There is a problem/);
  assert.equal(await summary.locator('a[href="#password"]').count(), 1, 'the summary links to the password field');
  await waitFor('the error summary to take focus', () => page.evaluate(
    () => document.activeElement && document.activeElement.classList.contains('error-summary'),
  ), { timeout: 5000 });
  await assertFocus(page, 'a refused sign-in');
  assert.equal(await page.getByLabel('Username').inputValue(), 'alice', 'the name typed is kept');
  assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not');
  assert.equal(page.url(), `${server.base}/sign-in`);
  const v = await axe(page);
  assert.equal(v.length, 0, `axe on the refused sign-in:\n${formatViolations(v)}`);
  assert.deepEqual(await smallTargets(page), [], 'targets under 24x24 px');
  await page.setViewportSize({ width: 320, height: 700 });
  const o = await horizontalOverflow(page);
  assert.ok(!o.over, `horizontal scroll at 320 px: ${JSON.stringify(o)}`);
  // The summary's link takes the keyboard to the field.
  await page.keyboard.press('Tab');
  const f = await assertFocus(page, 'Tab from the error summary');
  assert.match(f.what, /<a/);
  await page.keyboard.press('Enter');
  await waitFor('the link to focus the password field', () => page.evaluate(() => document.activeElement?.id === 'password'), { timeout: 5000 });
  await assertFocus(page, 'Enter on the summary link');
  await page.close();
}));

test('without a session only the sign-in page and the style sheet are served', t0(async () => {
  const api = await request(server.base, '/api/calls');
  assert.equal(api.status, 401, 'GET /api/calls without a session');
  assert.equal((await request(server.base, '/api/me')).status, 401, 'GET /api/me without a session');
  const root = await request(server.base, '/');
  assert.ok([302, 303, 307].includes(root.status), `GET / without a session answers ${root.status}, not a redirect`);
  assert.match(root.headers.location || '', /\/sign-in$/, 'GET / redirects to /sign-in');
  assert.equal((await request(server.base, '/console.js')).status, 401, 'GET /console.js without a session');
  assert.equal((await request(server.base, '/console.css')).status, 200, 'GET /console.css without a session');
  assert.equal((await request(server.base, '/sign-out', { method: 'POST' })).status, 401, 'POST /sign-out without a session');
  assert.equal(await upgradeStatus(server.base, '/live', { Origin: server.base }), 401, '/live without a session');
}));

test('keyboard alone: sign in, reach the calls, sign out; the session then ends', t0(async () => {
  page = await newPage(browser);
  await page.goto(`${server.base}/sign-in`);
  await tabTo(page, { id: 'username' });
  await page.keyboard.type('alice');
  await page.keyboard.press('Tab');
  let f = await assertFocus(page, 'Tab to Password');
  assert.equal(f.id, 'password');
  await page.keyboard.type(PASSWORD);
  await Promise.all([page.waitForURL(`${server.base}/`), page.keyboard.press('Enter')]);
  const app = await page.reload();
  const csp = app.headers()['content-security-policy'] || '';
  assert.match(csp, /default-src 'self'/, 'the console page carries the CSP');
  await page.getByText('No live calls.').waitFor();
  await waitFor('the live channel to say hello', async () => /alice/.test(await page.locator('#who-am-i').textContent()));
  const nav = page.getByRole('navigation', { name: 'Calls' });
  assert.equal(await nav.count(), 1, 'a navigation landmark named Calls');
  assert.equal(await page.getByRole('log').count(), 1, 'one log, present at page load');
  assert.equal(await page.getByRole('log').textContent(), '', 'the log is empty at page load');
  const v = await axe(page);
  assert.equal(v.length, 0, `axe on the console with no call:\n${formatViolations(v)}`);
  assert.equal(await page.getByRole('region', { name: 'Operator queue' }).count(), 0, 'an operator sees no operator queue');

  // The live channel refuses a foreign Origin, with the session.
  const cookies = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  assert.equal(await upgradeStatus(server.base, '/live', { Cookie: cookies, Origin: 'http://evil.example' }), 403,
    '/live with a session but a foreign Origin');
  assert.equal((await request(server.base, '/api/me', { headers: { Cookie: cookies } })).status, 200);

  // Sign out is reached and pressed with the keyboard.
  await tabTo(page, { label: /^Sign out$/ });
  await Promise.all([page.waitForURL(`${server.base}/sign-in`), page.keyboard.press('Enter')]);
  assert.equal((await request(server.base, '/api/me', { headers: { Cookie: cookies } })).status, 401,
    'the old session cookie is dead after sign-out');
  assert.deepEqual(page.problems, []);
  await page.close();
}));

test('a supervisor sees the operator queue', t0(async () => {
  page = await newPage(browser);
  await signIn(page, server.base, 'sam');
  const queue = page.getByRole('region', { name: 'Operator queue' });
  await queue.waitFor({ timeout: 10000 });
  assert.match(await queue.textContent(), /Nobody is waiting/);
  const v = await axe(page);
  assert.equal(v.length, 0, `axe on the supervisor's console:\n${formatViolations(v)}`);
  await page.close();
}));

test('when the session is gone the page reconnects, is refused and goes to the sign-in page', { timeout: 120000 }, t0(async () => {
  page = await newPage(browser);
  await signIn(page, server.base, 'alice');
  await waitFor('the live channel to connect', async () => /^Connected/.test(await page.locator('#connection').textContent()));
  // A restart drops every session (they live in the server's memory).
  await server.restart();
  await page.waitForURL(`${server.base}/sign-in`, { timeout: 90000 });
  await page.getByLabel('Username').waitFor();
  await page.close();
}));

test('signing out in one tab sends the other tabs of the session to the sign-in page', { timeout: 60000 }, t0(async () => {
  page = await newPage(browser);
  await signIn(page, server.base, 'alice');
  const other = await page.context().newPage();
  try {
    await other.goto(`${server.base}/`);
    await waitFor('the other tab to connect', async () => /^Connected/.test(await other.locator('#connection').textContent()));
    await Promise.all([page.waitForURL(`${server.base}/sign-in`), page.getByRole('button', { name: 'Sign out' }).click()]);
    await other.waitForURL(`${server.base}/sign-in`, { timeout: 40000 });
  } finally {
    await page.context().close();
  }
}));
