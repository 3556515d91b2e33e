// The admin's Users page against a real `relaygate serve`: it passes axe
// (WCAG 2.2 AA) in each of its states, reflows at 320 px and 200 % text,
// and an admin adds and removes a user by keyboard alone, fixing a
// refused form through its error summary. Only an admin sees the page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import {
  startServer, launchBrowser, newPage, signIn, axe, formatViolations, assertFocus, tabTo,
  smallTargets, horizontalOverflow, hiddenControls, explained, pageExplainer, waitFor,
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

async function noViolations(what) {
  const v = await axe(page);
  assert.equal(v.length, 0, `axe on ${what}:\n${formatViolations(v)}`);
}

async function focusedIs(what, test) {
  await waitFor(what, () => page.evaluate(test), { timeout: 10000 });
  return assertFocus(page, what);
}

test('only an admin is offered the Users page, and it passes axe at 320 px and 200 % text', t0(async () => {
  page = await newPage(browser);
  await signIn(page, server.base, 'alice');
  await page.getByText(/Signed in as alice/).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0, 'an operator has no Users link');
  const refused = await page.goto(`${server.base}/users`);
  assert.equal(refused.status(), 403);
  await page.getByText('Only an admin manages').waitFor();
  await noViolations('the refused Users page');
  await page.close();

  page = await newPage(browser);
  await signIn(page, server.base, 'ada');
  const link = page.getByRole('link', { name: 'Users' });
  await link.waitFor();
  await Promise.all([page.waitForURL(`${server.base}/users`), link.click()]);
  await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
  for (const name of ['alice', 'sam', 'ada']) {
    assert.equal(await page.getByRole('heading', { level: 3, name }).count(), 1, `${name} is listed`);
  }
  assert.equal(await page.getByLabel('Role of alice').inputValue(), 'operator');
  assert.equal(await page.getByLabel('Role of sam').inputValue(), 'supervisor');
  assert.equal(await page.getByLabel('Role of ada').count(), 0, 'no role change for oneself');
  assert.equal(await page.getByRole('button', { name: 'Remove alice' }).count(), 1);
  assert.equal(await page.getByRole('button', { name: 'Save role of alice' }).count(), 1);
  await noViolations('the Users page');
  assert.deepEqual(await smallTargets(page), [], 'targets under 24x24 px');
  await page.setViewportSize({ width: 320, height: 700 });
  const o = await horizontalOverflow(page);
  assert.ok(!o.over, `horizontal scroll at 320 px: ${JSON.stringify(o)}`);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.evaluate(() => { document.documentElement.style.fontSize = '200%'; });
  const o2 = await horizontalOverflow(page);
  assert.ok(!o2.over, `horizontal scroll at 200 % text: ${JSON.stringify(o2)}`);
  assert.deepEqual(await hiddenControls(page, 'main button, main input:not([type="hidden"]), main select'), [], 'controls cut off at 200 % text');
  assert.deepEqual(page.problems, []);
  await page.close();
}));

test('keyboard alone: an admin adds a user, fixing a refused form, then removes them after confirming', t0(async () => {
  page = await newPage(browser);
  await signIn(page, server.base, 'ada');
  await page.goto(`${server.base}/users`);

  // A password too short: the form comes back with the problem focused.
  await tabTo(page, { id: 'add-username' });
  await page.keyboard.type('dora');
  await page.keyboard.press('Tab');
  let f = await assertFocus(page, 'Tab to Role');
  assert.equal(f.id, 'add-role');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.locator('#add-role').inputValue(), 'operator', 'ArrowDown chose the first role');
  await page.keyboard.press('Tab');
  f = await assertFocus(page, 'Tab to New password');
  assert.equal(f.id, 'add-password');
  await page.keyboard.type('short');
  await page.keyboard.press('Tab');
  await page.keyboard.type('short');
  await Promise.all([page.waitForLoadState('load'), page.keyboard.press('Enter')]);
  await focusedIs('the error summary to take focus', () => document.activeElement?.classList.contains('error-summary'));
  const summary = page.getByRole('alert');
  assert.match(await summary.textContent(), /must be 8 to 256 characters/);
  assert.equal(await page.getByLabel('Username').inputValue(), 'dora', 'the name typed is kept');
  assert.equal(await page.getByLabel('Role', { exact: true }).inputValue(), 'operator', 'the role is kept');
  assert.equal(await page.locator('#add-password').inputValue(), '', 'passwords are not sent back');
  assert.equal(await page.locator('#add-password').getAttribute('aria-invalid'), 'true');
  await noViolations('the Users page with a refused form');

  // The summary's link takes the keyboard to the field to fix.
  await page.keyboard.press('Tab');
  f = await assertFocus(page, 'Tab into the error summary');
  assert.match(f.what, /<a/);
  await page.keyboard.press('Enter');
  await focusedIs('the link to focus the password field', () => document.activeElement?.id === 'add-password');
  await page.keyboard.type('dora password');
  await page.keyboard.press('Tab');
  await page.keyboard.type('dora password');
  await Promise.all([page.waitForURL(`${server.base}/users`), page.keyboard.press('Enter')]);
  await focusedIs('the notice to take focus', () => document.activeElement?.classList.contains('notice'));
  assert.match(await page.getByRole('status').textContent(), /Added dora as an operator\./);
  assert.equal(await page.getByRole('heading', { level: 3, name: 'dora' }).count(), 1);
  await noViolations('the Users page with a notice');
  const file = await fsp.readFile(server.users, 'utf8');
  assert.match(file, /name = "dora"\nrole = "operator"\npassword_hash = "\$argon2id\$/, 'dora is in the users file');
  assert.ok(!file.includes('dora password'), 'the password is stored only as a hash');

  // Removing asks first; the confirmation's button has focus.
  await tabTo(page, { label: /^Remove dora$/ });
  await Promise.all([page.waitForLoadState('load'), page.keyboard.press('Enter')]);
  await page.getByRole('heading', { level: 1, name: 'Remove dora?' }).waitFor();
  f = await focusedIs('the confirmation button to take focus', () => document.activeElement?.textContent === 'Remove dora');
  await noViolations('the confirmation page');
  assert.deepEqual(await smallTargets(page), [], 'targets under 24x24 px on the confirmation page');
  await Promise.all([page.waitForURL(`${server.base}/users`), page.keyboard.press('Enter')]);
  await focusedIs('the notice to take focus', () => document.activeElement?.classList.contains('notice'));
  assert.match(await page.getByRole('status').textContent(), /Removed dora\./);
  assert.equal(await page.getByRole('heading', { level: 3, name: 'dora' }).count(), 0);
  assert.ok(!(await fsp.readFile(server.users, 'utf8')).includes('"dora"'), 'dora left the users file');
  assert.deepEqual(page.problems, []);
  await page.close();
}));
