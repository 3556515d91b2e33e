// One real call through a real `relaygate serve`, followed and corrected
// in the console by keyboard alone: relaygate's software TTY phone dials
// in and types, its software agent phone answers the queue and speaks
// (whisper captions it), and an operator in Chromium opens the call,
// holds the captions, corrects one (a word becomes ZEBRA) and sends it,
// types to the caller, speaks to the agent and takes the call over. The
// TTY must then print the corrected caption and the operator's words,
// and minimodem, an independent decoder, must read them in the caller's
// recording. axe scans the call list and the open call with held captions.
//
// The tests of this file share one server, one call and one page, and
// run in order.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  minimodemDecode, startServer, startCall, launchBrowser, newPage, signIn, axe, formatViolations, assertFocus,
  tabTo, smallTargets, horizontalOverflow, hiddenControls, explained, pageExplainer, waitFor, sleep, PASSWORD,
} from './harness.mjs';

const AGENT_SAYS = 'Thank you for calling. Your account number is ready. Please hold the line.';
// Seconds after the agent phone answers before it speaks: time for the
// operator to sign in, open the call and turn caption review on.
const AGENT_AFTER = 25;

let server;
let call;
let browser;
let page;
let callId;
let corrected;
const step = explained.bind(null, () => [server, call, pageExplainer(() => page)]);

const logLines = () => page.evaluate(() => [...document.querySelectorAll('[role="log"] > .line')]
  .map((p) => ({
    who: /\bline-(caller|agent|operator-to-caller|operator-to-agent)\b/.exec(p.className)?.[1],
    relayed: !p.classList.contains('line-not-relayed'),
    text: p.querySelector('.text').textContent,
  })));

async function waitForLine(what, pred, timeout = 45000) {
  return waitFor(`a transcript line: ${what}`, async () => (await logLines()).find(pred), { timeout, interval: 300 });
}

async function heldInputs() {
  return page.evaluate(() => [...document.querySelectorAll('.held-item:not([hidden]) input')]
    .map((i) => ({ id: i.id, label: i.labels[0]?.textContent, value: i.value })));
}

before(async () => {
  server = await startServer();
  // The TTY hangs up 5 s after its typing ends (the last test ends it).
  call = await startCall(server, { agentText: AGENT_SAYS, agentAfter: AGENT_AFTER, linger: 5 });
  browser = await launchBrowser();
  page = await newPage(browser);
});

after(async () => {
  await browser?.close();
  await call?.stop();
  await server?.stop();
});

test('the operator signs in with the keyboard and the live call appears under Calls', { timeout: 90000 }, step(async () => {
  await page.goto(`${server.base}/sign-in`);
  await tabTo(page, { id: 'username' });
  await page.keyboard.type('alice');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await Promise.all([page.waitForURL(`${server.base}/`), page.keyboard.press('Enter')]);

  // The log is there, empty, before any call; record every change to it
  // that is not an addition (text changed or nodes removed).
  assert.equal(await page.getByRole('log', { name: 'Transcript' }).count(), 1);
  await page.evaluate(() => {
    const log = document.querySelector('[role="log"]');
    window.logEmptyAtLoad = log.childNodes.length === 0;
    window.logTamper = [];
    new MutationObserver((ms) => {
      for (const m of ms) {
        if (m.type !== 'childList' || m.removedNodes.length) {
          window.logTamper.push(`${m.type} on ${m.target.nodeName}, ${m.removedNodes.length} removed`);
        }
      }
    }).observe(log, { childList: true, subtree: true, characterData: true });
    window.theLog = log;
  });
  assert.ok(await page.evaluate(() => window.logEmptyAtLoad), 'the log is empty at page load');

  const nav = page.getByRole('navigation', { name: 'Calls' });
  const button = nav.getByRole('button', { name: /^Call \d+, line relay, / });
  await button.first().waitFor({ timeout: 60000 });
  const name = await button.first().getAttribute('aria-label');
  callId = Number(/Call (\d+)/.exec(name)[1]);
  assert.match(name.replace(/\s+/g, ' '), /^Call \d+, line relay, (less than a minute|\d+ minutes?), (waiting for the agent|relaying), not handled/);

  const v = await axe(page);
  assert.equal(v.length, 0, `axe on the call list:\n${formatViolations(v)}`);
  assert.deepEqual(await smallTargets(page), [], 'targets under 24x24 px on the call list');
}));

test('keyboard alone: open the call and hold its captions for review', { timeout: 60000 }, step(async () => {
  await tabTo(page, { label: new RegExp(`^Call ${callId}\\b`) });
  await page.keyboard.press('Enter');
  await assertFocus(page, 'Enter on the call');
  await page.getByRole('heading', { name: `Call ${callId}` }).waitFor();
  await waitFor('the call to be handled by alice', async () => /handled by alice/.test(
    await page.getByRole('navigation', { name: 'Calls' }).textContent(),
  ), { timeout: 15000 });

  await tabTo(page, { id: 'review' });
  await page.keyboard.press('Space');
  await assertFocus(page, 'Space on Hold captions for review');
  assert.ok(await page.getByLabel('Hold captions for review').isChecked());
  await waitFor('the server to hold captions (the call list says so)', async () => /captions held for review/.test(
    await page.getByRole('navigation', { name: 'Calls' }).textContent(),
  ), { timeout: 15000 });
  const agentLines = (await logLines()).filter((l) => l.who === 'agent' && l.relayed);
  assert.deepEqual(agentLines, [], 'review was on before the agent spoke (raise AGENT_AFTER if not)');
}));

test('the transcript grows as the caller types, and only the open call is live', { timeout: 60000 }, step(async () => {
  // (Baudot over a loaded machine may garble a letter: match loosely.)
  await waitForLine('the caller\'s first line', (l) => l.who === 'caller' && /HEL|ACC|NEED/i.test(l.text));
  // A TTY is half duplex: its user types once the relay's turn (here
  // its greeting, which starts as the first line is committed) is over.
  await call.waitQuiet(3000);
  call.type('MY NAME IS PAT GA');
  await waitForLine('the caller\'s second line', (l) => l.who === 'caller' && /NAME|PAT/i.test(l.text));
  assert.equal(await page.locator('[role="log"]').count(), 1, 'one live log');
  assert.ok(await page.evaluate(() => document.querySelector('[role="log"]') === window.theLog),
    'the log present at page load is the one that grew');
  assert.equal(await page.locator('[role="log"] #tentative, [role="log"] #typing').count(), 0,
    'uncommitted words are outside the log');
}));

test('the agent\'s caption is held; the open call with held captions passes axe, reflows and has large targets', { timeout: 120000 }, step(async () => {
  await page.locator('.held-item:not([hidden]) input').first().waitFor({ timeout: 90000 });
  // Let the agent finish, so more than one caption may be held.
  await sleep(4000);
  const held = await heldInputs();
  assert.ok(held.length >= 1);
  assert.match(held[0].label, /^Held caption \d+$/);
  // Held: in the transcript only as not sent, and not on the TTY.
  assert.deepEqual((await logLines()).filter((l) => l.who === 'agent' && l.relayed), [],
    'no agent line is marked as sent to the caller while it is held');
  const heldWords = held[0].value.toUpperCase().replace(/[^A-Z ]/g, '').trim();
  if (heldWords.split(/\s+/).length >= 2) {
    assert.ok(!call.screen().includes(heldWords), `the held caption "${held[0].value}" is not on the TTY yet`);
  }

  const v = await axe(page);
  assert.equal(v.length, 0, `axe on an open call with held captions:\n${formatViolations(v)}`);
  assert.deepEqual(await smallTargets(page), [], 'targets under 24x24 px');

  await page.setViewportSize({ width: 320, height: 800 });
  const narrow = await horizontalOverflow(page);
  assert.ok(!narrow.over, `horizontal scroll at 320 px: ${JSON.stringify(narrow)}`);
  assert.deepEqual(await hiddenControls(page), [], 'controls cut off at 320 px');
  await page.setViewportSize({ width: 1280, height: 900 });

  await page.evaluate(() => { document.documentElement.style.fontSize = '200%'; });
  const big = await horizontalOverflow(page);
  assert.ok(!big.over, `horizontal scroll at 200 % text: ${JSON.stringify(big)}`);
  assert.deepEqual(await hiddenControls(page), [], 'controls cut off at 200 % text');
  assert.deepEqual(await smallTargets(page), [], 'targets under 24x24 px at 200 % text');
  await page.evaluate(() => { document.documentElement.style.fontSize = ''; });
}));

test('keyboard alone: correct a held caption and send it; focus moves on', { timeout: 60000 }, step(async () => {
  await page.keyboard.press('Alt+Shift+KeyN');
  const f = await assertFocus(page, 'Alt+Shift+N (next held caption)');
  assert.match(f.label, /^Held caption \d+$/);
  const words = f.value.trim().split(/\s+/);
  let longest = 0;
  words.forEach((w, i) => { if (w.replace(/\W/g, '').length > words[longest].replace(/\W/g, '').length) longest = i; });
  words[longest] = words[longest].replace(/[A-Za-z']+/, 'ZEBRA');
  if (!/ZEBRA/.test(words[longest])) words[longest] = 'ZEBRA';
  corrected = words.join(' ');
  await page.keyboard.press('Control+A');
  await page.keyboard.type(corrected);
  await assertFocus(page, 'typing the correction');
  const before = (await heldInputs()).length;
  await page.keyboard.press('Enter');
  const after = await assertFocus(page, 'Enter on the corrected caption');
  if (before > 1) assert.match(after.label, /^Held caption \d+$/, 'focus goes to the next held caption');
  else assert.equal(after.id, 'held-heading', 'with none left, focus goes to the held captions heading');
  await waitForLine('the corrected caption, sent', (l) => l.who === 'agent' && l.relayed && /ZEBRA/.test(l.text));

  // Any other held caption: discard it with the keyboard.
  const rest = await heldInputs();
  if (rest.length) {
    await page.keyboard.press('Alt+Shift+KeyN');
    await tabTo(page, { label: /^Discard$/ });
    await page.keyboard.press('Enter');
    await assertFocus(page, 'Enter on Discard');
  }
  // Review off (its shortcut): what is held from now goes straight on.
  await page.keyboard.press('Alt+Shift+KeyV');
  await assertFocus(page, 'Alt+Shift+V (review off)');
  await waitFor('review to be off', async () => !(await page.getByLabel('Hold captions for review').isChecked()));
}));

test('keyboard alone: type to the caller word by word, speak to the agent, sound tags and the hold message', { timeout: 90000 }, step(async () => {
  await page.keyboard.press('Alt+Shift+KeyC');
  let f = await assertFocus(page, 'Alt+Shift+C (Type to caller)');
  assert.equal(f.label, 'Type to caller');
  await page.keyboard.type('OPERATOR HER');
  f = await assertFocus(page, 'typing to the caller');
  assert.equal(f.value, 'HER', 'a finished word leaves the field when the space is typed');
  await page.keyboard.type('E');
  await page.keyboard.press('Enter');
  f = await assertFocus(page, 'Enter in Type to caller');
  assert.equal(f.value, '');
  // Word by word, in order. (An agent caption committed while the
  // operator types comes between them in the transcript, which is in the
  // order things were said; the TTY prints the operator's line whole.)
  await waitFor('the operator\'s words to the caller in the transcript', async () => /OPERATOR\s+HERE/i.test(
    (await logLines()).filter((l) => l.who === 'operator-to-caller').map((l) => l.text).join(' '),
  ), { timeout: 45000, interval: 300 });

  // A sound tag from its shortcut goes into the field last used.
  await page.keyboard.press('Alt+Shift+KeyU');
  f = await assertFocus(page, 'Alt+Shift+U (UNCLEAR)');
  assert.equal(f.label, 'Type to caller');
  await page.keyboard.press('Enter');

  await page.keyboard.press('Alt+Shift+KeyS');
  f = await assertFocus(page, 'Alt+Shift+S (Speak to agent)');
  assert.equal(f.label, 'Speak to agent');
  await page.keyboard.type('One moment please.');
  await page.keyboard.press('Enter');
  f = await assertFocus(page, 'Enter in Speak to agent');
  assert.equal(f.value, '');
  await waitForLine('the operator\'s words to the agent', (l) => l.who === 'operator-to-agent' && /moment/i.test(l.text));
  await page.keyboard.press('Alt+Shift+KeyH');
  await assertFocus(page, 'Alt+Shift+H (please hold)');
  await waitForLine('the hold message to the agent', (l) => l.who === 'operator-to-agent' && /typing, please hold/i.test(l.text));

  // The menu of sound tags: a tag goes into the field last typed in.
  await page.keyboard.press('Alt+Shift+KeyS');
  await tabTo(page, { label: /^Sound tags and messages$/ });
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('#insert-button').getAttribute('aria-expanded'), 'true');
  await tabTo(page, { label: /^\(LAUGHS\)$/ });
  await page.keyboard.press('Enter');
  f = await assertFocus(page, 'Enter on (LAUGHS)');
  assert.equal(f.label, 'Speak to agent', 'focus goes back to the field');
  assert.match(f.value, /^\(LAUGHS\) $/);
  assert.equal(await page.locator('#insert-button').getAttribute('aria-expanded'), 'false');
  await page.keyboard.type('that was funny');
  await page.keyboard.press('Enter');
  await waitForLine('the tag spoken to the agent', (l) => l.who === 'operator-to-agent' && /\(LAUGHS\) that was funny/.test(l.text));

  // Pausing the transcript's scrolling (2.2.2), by its shortcut.
  await page.keyboard.press('Alt+Shift+KeyP');
  await assertFocus(page, 'Alt+Shift+P (pause scrolling)');
  assert.equal(await page.getByRole('button', { name: 'Pause scrolling' }).getAttribute('aria-pressed'), 'true');
  await page.keyboard.press('Alt+Shift+KeyP');
  assert.equal(await page.getByRole('button', { name: 'Pause scrolling' }).getAttribute('aria-pressed'), 'false');
}));

test('keyboard alone: take the call over', { timeout: 30000 }, step(async () => {
  await tabTo(page, { id: 'take-over' }, { back: true });
  await page.keyboard.press('Enter');
  await assertFocus(page, 'Enter on Take over');
  assert.equal(await page.getByRole('button', { name: 'Take over' }).getAttribute('aria-pressed'), 'true');
  await waitFor('the server to say the call is taken over', async () => /taken over/.test(
    await page.getByRole('navigation', { name: 'Calls' }).textContent(),
  ), { timeout: 15000 });
}));

test('the TTY prints the corrected caption and the operator\'s words', { timeout: 120000 }, step(async () => {
  await call.waitForScreen('the corrected caption', /ZEBRA/, 90000);
  await call.waitForScreen('the operator\'s words', /OPERATOR HERE/, 60000);
  await call.waitForScreen('the sound tag', /UNCLEAR/, 30000);
  const screen = call.screen();
  const want = corrected.toUpperCase().replace(/[^A-Z ]/g, '').split(/\s+/).filter(Boolean);
  for (const w of want) assert.ok(screen.includes(w), `the TTY printed ${w} of the corrected caption "${corrected}"`);
  assert.deepEqual(await page.evaluate(() => window.logTamper), [], 'the log was only ever appended to');
  assert.deepEqual(page.problems, [], 'no script error, no CSP refusal');
}));

test('release and hand back by keyboard; a supervisor sees the call in the operator queue once the caller asks for one', { timeout: 90000 }, step(async () => {
  // The operator releases the call and hands it back (keyboard), then
  // the caller types the operator word.
  await page.keyboard.press('Enter');
  await assertFocus(page, 'Enter on Take over again (release)');
  assert.equal(await page.getByRole('button', { name: 'Take over' }).getAttribute('aria-pressed'), 'false');
  await waitFor('the server to say the call is not taken over', async () => !/taken over/.test(
    await page.getByRole('navigation', { name: 'Calls' }).textContent(),
  ), { timeout: 15000 });
  await tabTo(page, { id: 'leave' });
  await page.keyboard.press('Enter');
  await assertFocus(page, 'Enter on Hand back');
  await waitFor('nobody to handle the call', async () => /not handled/.test(
    await page.getByRole('navigation', { name: 'Calls' }).textContent(),
  ), { timeout: 15000 });
  const sup = await newPage(browser);
  try {
    await signIn(sup, server.base, 'sam');
    const queue = sup.getByRole('region', { name: 'Operator queue' });
    await queue.waitFor({ timeout: 10000 });
    await call.waitQuiet(3000);
    call.type('OPR GA');
    await waitFor('the call in the operator queue', async () => new RegExp(`Call ${callId}, waiting`).test(await queue.textContent()), { timeout: 40000 });
    const v = await axe(sup);
    assert.equal(v.length, 0, `axe on the supervisor's console with a queued call:\n${formatViolations(v)}`);
    assert.deepEqual(sup.problems, []);
  } finally {
    await sup.context().close();
  }
}));

test('the caller hangs up: the end is announced, focus stays on the page, the call closes by keyboard', { timeout: 60000 }, step(async () => {
  await assertFocus(page, 'before the call ends');
  await call.hangUp();
  await waitFor('the end of the call to be announced', async () => new RegExp(`Call ${callId} ended`).test(
    await page.locator('[role="status"]').textContent(),
  ), { timeout: 30000 });
  await page.getByRole('heading', { name: `Call ${callId} (ended)` }).waitFor();
  await assertFocus(page, 'the call ended');
  await page.getByText('No live calls.').waitFor({ timeout: 10000 });
  assert.ok((await logLines()).length > 0, 'the ended call\'s transcript stays until it is closed');
  await tabTo(page, { id: 'close-call' });
  await page.keyboard.press('Enter');
  const f = await assertFocus(page, 'Enter on Close call');
  assert.equal(f.id, 'call-heading');
  await page.getByRole('heading', { name: 'No call open' }).waitFor();
  assert.equal(await page.getByRole('log', { name: 'Transcript' }).count(), 1, 'a log is still there');
  assert.equal(await page.getByRole('log', { name: 'Transcript' }).textContent(), '', 'and empty: the call\'s text is gone');
  const v = await axe(page);
  assert.equal(v.length, 0, `axe after the call ended:\n${formatViolations(v)}`);
  assert.deepEqual(page.problems, [], 'no script error, no CSP refusal');
}));

test('the caller\'s recording, decoded by minimodem, holds the corrected caption and the operator\'s words', { timeout: 60000 }, step(async () => {
  // The TTY phone hung up in the test before and wrote what it heard.
  await waitFor('the TTY phone\'s recording', () => fs.existsSync(call.recording) && fs.statSync(call.recording).size > 44, { timeout: 20000 });
  const heard = minimodemDecode(call.recording);
  assert.match(heard, /ZEBRA/, `minimodem did not read the correction in the recording:\n${heard}`);
  assert.match(heard, /OPERATOR HERE/, `minimodem did not read the operator's words:\n${heard}`);
  const want = corrected.toUpperCase().replace(/[^A-Z ]/g, '').split(/\s+/).filter(Boolean);
  const missing = want.filter((w) => !heard.includes(w));
  assert.deepEqual(missing, [], `words of the corrected caption "${corrected}" minimodem did not read:\n${heard}`);
}));
