// One real call through a real `relaygate serve`, followed and corrected
// in the console by keyboard alone: relaygate's software TTY phone dials
// in and types, its software agent phone answers the queue and speaks
// (whisper captions it), and an operator in Chromium opens the call,
// holds the captions, corrects one (a word becomes ZEBRA) and sends it,
// types to the caller, speaks to the agent and takes the call over. The
// TTY must then print the corrected caption and the operator's words,
// and minimodem, an independent decoder, must read them in the caller's
// recording. axe scans the call list, the open call with held captions
// and its open menu of sound tags and messages. When the call ends its
// text leaves the page, and the server's log holds none of it.
//
// The tests of this file share one server, one call and one page, and
// run in order.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  minimodemDecode, startServer, startCall, launchBrowser, newPage, signIn, axe, formatViolations, assertFocus,
  tabTo, focusInfo, smallTargets, horizontalOverflow, hiddenControls, explained, pageExplainer, waitFor, sleep, PASSWORD,
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
// Text of the conversation the test saw (captions, held captions, what
// each side typed or said): none of it may outlive the call in the page,
// nor ever reach the server's log.
const conversation = new Set();
const step = explained.bind(null, () => [server, call, pageExplainer(() => page)]);

const OPERATOR_TO_CALLER = 'OPERATOR HERE';
const TO_AGENT = 'One moment please.';
const TO_AGENT_WITH_TAG = 'that was funny';
const CALLER_SECOND_LINE = 'MY NAME IS PAT GA';
const HOLD_MESSAGE = 'The caller is typing, please hold.';
const RELAY_MESSAGE = 'This is a relay call. The caller reads your words as text, so there may be a short delay.';
const TAGS = [['L', '(LAUGHS)'], ['M', '(MUSIC ON HOLD)'], ['R', '(RECORDED MESSAGE)'], ['U', '(UNCLEAR)']];
const escapeRe = (t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const logLines = () => page.evaluate(() => [...document.querySelectorAll('[role="log"] > .line')]
  .map((p) => ({
    who: /\bline-(caller|agent|operator-to-caller|operator-to-agent)\b/.exec(p.className)?.[1],
    relayed: !p.classList.contains('line-not-relayed'),
    text: p.querySelector('.text').textContent,
  })));

async function waitForLine(what, pred, timeout = 45000) {
  return waitFor(`a transcript line: ${what}`, async () => (await logLines()).find(pred), { timeout, interval: 300 });
}

// Lines of the operator to the agent whose text matches `re`.
async function toAgent(re) {
  return (await logLines()).filter((l) => l.who === 'operator-to-agent' && re.test(l.text)).length;
}

// Everything of the page a person or a screen reader could get at: its
// text (shown or not), the fields' values, attributes.
function pageText() {
  return page.evaluate(() => [
    document.documentElement.outerHTML,
    document.body.innerText,
    ...[...document.querySelectorAll('input, textarea')].map((i) => i.value),
  ].join('\n'));
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
  call.type(CALLER_SECOND_LINE);
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
  for (const h of held) conversation.add(h.value);
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

// (After the TTY has printed what the tests before check: the messages
// here are voiced to the agent, which keeps a loaded machine busy.)
test('keyboard alone: every sound tag and message by its shortcut and from the menu; the open menu passes axe and has large targets', { timeout: 150000 }, step(async () => {
  const relayMessage = new RegExp(`^${escapeRe(RELAY_MESSAGE)}$`);
  const holdMessage = new RegExp(`^${escapeRe(HOLD_MESSAGE)}$`);
  const expanded = () => page.locator('#insert-button').getAttribute('aria-expanded');

  // Each tag's shortcut puts its tag into the field last typed in (here
  // Speak to agent), even when focus is elsewhere, and focus goes there;
  // nothing leaves before Enter.
  await page.keyboard.press('Alt+Shift+KeyS');
  let f = await assertFocus(page, 'Alt+Shift+S (Speak to agent)');
  assert.equal(f.label, 'Speak to agent');
  assert.equal(f.value, '');
  await page.keyboard.press('Shift+Tab');
  f = await assertFocus(page, 'Shift+Tab from Speak to agent');
  assert.notEqual(f.label, 'Speak to agent');
  const agentLines = await toAgent(/./);
  let want = '';
  for (const [key, tag] of TAGS) {
    await page.keyboard.press(`Alt+Shift+Key${key}`);
    f = await assertFocus(page, `Alt+Shift+${key} (${tag})`);
    assert.equal(f.label, 'Speak to agent', `Alt+Shift+${key} puts ${tag} into the field last typed in`);
    want += `${tag} `;
    assert.equal(f.value, want, `Alt+Shift+${key} inserts ${tag}`);
  }
  assert.equal(await page.getByLabel('Type to caller').inputValue(), '', 'nothing went into Type to caller');

  // A message's shortcut speaks it to the agent at once; the field and
  // focus stay as they were.
  assert.equal(await toAgent(relayMessage), 0);
  await page.keyboard.press('Alt+Shift+KeyE');
  f = await assertFocus(page, 'Alt+Shift+E (this is a relay call)');
  assert.equal(f.label, 'Speak to agent');
  assert.equal(f.value, want, 'a message does not go through the field');
  await waitFor('the relay call message to the agent', async () => (await toAgent(relayMessage)) === 1,
    { timeout: 45000, interval: 300 });
  await waitFor('the status to say the message was said', async () => (
    await page.locator('#announcer').textContent()).startsWith(`Said to the agent: ${RELAY_MESSAGE}`), { timeout: 5000 });
  assert.equal(await toAgent(/./), agentLines + 1, 'the tags in the field were not sent');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  f = await assertFocus(page, 'clearing Speak to agent');
  assert.equal(f.value, '');

  // The menu, open: axe and the 24 x 24 px targets.
  await tabTo(page, { label: /^Sound tags and messages$/ });
  await page.keyboard.press('Enter');
  await assertFocus(page, 'Enter on Sound tags and messages');
  assert.equal(await expanded(), 'true');
  assert.ok(await page.getByRole('button', { name: 'Say to agent: This is a relay call' }).isVisible());
  const v = await axe(page);
  assert.equal(v.length, 0, `axe with the menu of sound tags and messages open:\n${formatViolations(v)}`);
  assert.deepEqual(await smallTargets(page), [], 'targets under 24x24 px with the menu open');
  // Escape closes it and gives focus back to its button.
  await tabTo(page, { label: /^\(LAUGHS\)$/ });
  await page.keyboard.press('Escape');
  f = await assertFocus(page, 'Escape in the menu');
  assert.equal(f.label, 'Sound tags and messages');
  assert.equal(await expanded(), 'false');
  assert.ok(!(await page.getByRole('button', { name: '(LAUGHS)' }).isVisible()), 'the menu is closed');

  // Each tag from the menu goes into the field last typed in; focus goes back there.
  const fromMenu = async (name) => {
    if ((await focusInfo(page)).label !== 'Sound tags and messages') await tabTo(page, { label: /^Sound tags and messages$/ });
    await page.keyboard.press('Enter');
    assert.equal(await expanded(), 'true');
    await tabTo(page, { label: new RegExp(`^${escapeRe(name)}$`) });
    await page.keyboard.press('Enter');
    const after = await assertFocus(page, `Enter on ${name} in the menu`);
    assert.equal(await expanded(), 'false', `the menu closes after ${name}`);
    return after;
  };
  want = '';
  for (const [, tag] of TAGS) {
    f = await fromMenu(tag);
    assert.equal(f.label, 'Speak to agent', `${tag} from the menu goes into the field last typed in`);
    want += `${tag} `;
    assert.equal(f.value, want, `${tag} from the menu is inserted`);
  }

  // Each message from the menu is spoken to the agent; focus goes back to
  // the field, which keeps what it held.
  for (const [name, re, said] of [
    ['Say to agent: The caller is typing, please hold', holdMessage, HOLD_MESSAGE],
    ['Say to agent: This is a relay call', relayMessage, RELAY_MESSAGE],
  ]) {
    const n = await toAgent(re);
    f = await fromMenu(name);
    assert.equal(f.label, 'Speak to agent', `after ${name}, focus goes back to the field last typed in`);
    assert.equal(f.value, want, `${name} leaves the field as it was`);
    await waitFor(`"${name}" to reach the agent`, async () => (await toAgent(re)) === n + 1,
      { timeout: 45000, interval: 300 });
    await waitFor('the status to say the message was said', async () => (
      await page.locator('#announcer').textContent()).startsWith(`Said to the agent: ${said}`), { timeout: 5000 });
  }
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  f = await assertFocus(page, 'clearing Speak to agent');
  assert.equal(f.value, '');
  assert.deepEqual(page.problems, [], 'no script error, no CSP refusal');
  // Back to Take over, pressed, for the next test.
  await tabTo(page, { id: 'take-over' }, { back: true });
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
    // Its waiting time shows from the first second, as a clock ("0:07"),
    // and grows.
    const queued = new RegExp(`Call ${callId}, waiting (\\d+):(\\d\\d)`);
    const waited = (m) => Number(m[1]) * 60 + Number(m[2]);
    const first = await waitFor('the call in the operator queue, with its waiting time',
      async () => queued.exec(await queue.textContent()), { timeout: 40000 });
    assert.ok(waited(first) < 60, `a call that has just asked shows its waiting time in seconds: ${first[0]}`);
    // A screen reader hears it in words, and is not told of every second:
    // the queue is not a live region, and the status stays quiet.
    const item = queue.getByRole('listitem').filter({ hasText: `Call ${callId},` });
    assert.equal(await item.evaluate((e) => e.closest('[aria-live], [role="status"], [role="log"], [role="alert"], [role="timer"], [role="marquee"]') === null), true,
      'the queue is not a live region');
    await sleep(500);
    await sup.evaluate(() => {
      const a = document.getElementById('announcer');
      window.announced = [];
      new MutationObserver(() => window.announced.push(a.textContent))
        .observe(a, { childList: true, subtree: true, characterData: true });
    });
    const later = await waitFor('the waiting time to grow', async () => {
      const m = queued.exec(await queue.textContent());
      return m && waited(m) >= waited(first) + 3 ? m : null;
    }, { timeout: 10000, interval: 250 });
    assert.ok(waited(later) < waited(first) + 15, `the waiting time follows the clock: ${first[0]}, then ${later[0]}`);
    const heard = await item.ariaSnapshot();
    assert.match(heard, new RegExp(`Call ${callId}, waiting (\\d+ (hours?|minutes?|seconds?) ?)+`),
      `the waiting time read out in words:\n${heard}`);
    assert.doesNotMatch(heard, /\d:\d\d/, `the clock's digits are not read out:\n${heard}`);
    assert.deepEqual(await sup.evaluate(() => window.announced), [], 'the status said nothing while the time grew');
    const v = await axe(sup);
    assert.equal(v.length, 0, `axe on the supervisor's console with a queued call:\n${formatViolations(v)}`);
    assert.deepEqual(sup.problems, []);
  } finally {
    await sup.context().close();
  }
}));

test('the caller hangs up: the call\'s text leaves the page, the status says so, focus stays on the page', { timeout: 60000 }, step(async () => {
  await assertFocus(page, 'before the call ends');
  assert.deepEqual(await page.evaluate(() => window.logTamper), [], 'while the call was live, the log was only ever appended to');
  // What the page holds of the conversation now, to check that it goes.
  const lines = await logLines();
  assert.ok(lines.length > 0);
  for (const l of lines) conversation.add(l.text);
  for (const t of [corrected, OPERATOR_TO_CALLER, TO_AGENT, TO_AGENT_WITH_TAG, CALLER_SECOND_LINE]) conversation.add(t);
  conversation.add(await page.locator('#tentative').textContent());
  conversation.add(await page.locator('#typing').textContent());
  // (The tags and messages are the page's own words too: not looked for here.)
  const pageOwn = new Set([HOLD_MESSAGE, RELAY_MESSAGE, ...TAGS.map(([, t]) => t), 'Nothing', '(new line)']);
  // A short caption can be a piece of the page's own words ("line." of
  // "Enter ends the line."): the page as served and its module are the
  // page's own, so a fragment found in them says nothing.
  const ownText = await page.evaluate(async () => {
    const html = await (await fetch(location.pathname)).text();
    const module = document.querySelector('script[type="module"]').src;
    return new DOMParser().parseFromString(html, 'text/html').body.textContent
      + '\n' + await (await fetch(module)).text();
  });
  const lookFor = [...conversation].map((t) => t.trim())
    .filter((t) => t.length >= 4 && !pageOwn.has(t) && !ownText.includes(t));
  assert.ok(lookFor.includes(corrected.trim()) && lookFor.includes(OPERATOR_TO_CALLER.trim()),
    `the call's own words are looked for: ${JSON.stringify(lookFor)}`);
  // Something unsent in the fields goes as well.
  await page.getByLabel('Speak to agent').fill('UNSENT WORDS FOR THE AGENT');

  await call.hangUp();
  const status = page.getByRole('status');
  await waitFor('the end of the call to be announced', async () => new RegExp(
    `^Call ${callId} has ended\\. Its text has been cleared\\.$`,
  ).test(await status.textContent()), { timeout: 30000 });
  assert.equal(await status.getAttribute('aria-live'), 'polite');
  assert.equal(await status.evaluate((e) => e.closest('[role="log"]') === null && !e.querySelector('[role="log"]')), true,
    'the status is not the transcript');
  await page.getByRole('heading', { name: `Call ${callId} ended` }).waitFor();
  const f = await assertFocus(page, 'the call ended');
  assert.equal(f.id, 'call-heading', 'focus, which was in the call\'s view, is on its heading');
  await page.getByText('No live calls.').waitFor({ timeout: 10000 });
  assert.match(await page.locator('#call-summary').textContent(), /The call has ended\. Its text has been cleared\./);

  // Nothing of the conversation is left on the page.
  const left = await pageText();
  const kept = lookFor.filter((t) => left.includes(t));
  assert.deepEqual(kept, [], 'text of the ended call still on the page');
  assert.ok(!/ZEBRA|UNSENT WORDS/.test(left), 'the corrected caption and the unsent field are gone');
  assert.equal(await page.getByRole('log', { name: 'Transcript' }).count(), 1, 'a log is still there');
  assert.equal(await page.getByRole('log', { name: 'Transcript' }).textContent(), '', 'and empty');
  // The call's log was taken out whole, not rewritten while it was live.
  assert.equal(await page.evaluate(() => window.theLog.isConnected), false, 'the call\'s log left the page');
  assert.equal(await page.evaluate(() => window.theLog.textContent), '', 'and holds nothing');
  for (const region of ['Held captions', 'Type and speak', 'Not in the transcript yet']) {
    assert.equal(await page.getByRole('region', { name: region }).count(), 0, `${region} is not shown`);
  }
  assert.equal(await page.getByRole('button', { name: 'Take over' }).count(), 0, 'no controls of the ended call');
  const v = await axe(page);
  assert.equal(v.length, 0, `axe after the call ended:\n${formatViolations(v)}`);

  // Another call chosen later would replace the notice; here, the Calls
  // navigation is one shortcut away.
  await page.keyboard.press('Alt+Shift+KeyK');
  const k = await assertFocus(page, 'Alt+Shift+K (the list of calls) after the call ended');
  assert.equal(k.id, 'calls-heading');
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

test('the server\'s log holds metadata only: no word of the conversation', { timeout: 30000 }, step(async () => {
  const log = fs.readFileSync(server.logFile, 'utf8');
  // It is the log of this call (who took it, over and back, when).
  assert.match(log, /signed in/, `the log has the console's events:\n${log.slice(-2000)}`);
  assert.match(log, new RegExp(`call=${callId}\\b[^\\n]*took the call|took the call[^\\n]*call=${callId}\\b`),
    `the log says who took call ${callId}`);
  const said = [
    ...conversation,
    corrected,
    OPERATOR_TO_CALLER,
    TO_AGENT,
    TO_AGENT_WITH_TAG,
    HOLD_MESSAGE,
    RELAY_MESSAGE,
    CALLER_SECOND_LINE,
    AGENT_SAYS,
    ...AGENT_SAYS.split(/(?<=\.) /),
    ...TAGS.map(([, t]) => t),
    'UNSENT WORDS FOR THE AGENT',
  ].map((t) => t.trim()).filter((t) => t.length >= 4 && t !== 'Nothing' && t !== '(new line)');
  const found = [...new Set(said)].filter((t) => log.toLowerCase().includes(t.toLowerCase()));
  assert.deepEqual(found, [], 'conversation text in the server\'s log');
  // Single words that only the conversation has.
  for (const word of [/\bZEBRA\b/i, /\bPAT\b/, /\bHERE\b/, /\bfunny\b/i, /\bmoment\b/i, /\bUNCLEAR\b/i, /\bLAUGHS\b/i]) {
    assert.doesNotMatch(log, word, `the server's log holds ${word}`);
  }
}));
