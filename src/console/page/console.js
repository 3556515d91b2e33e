// relaygate operator console: the page's one module. It speaks the live
// channel of docs/console.md ("The live channel") over a WebSocket at
// /live on the page's own host, and keeps the page usable by keyboard
// alone and with a screen reader (WCAG 2.2 AA):
//
// - the transcript of the selected call is the one element with
//   role="log"; while the call is live, lines are only ever appended to
//   it (appendChild), never rewritten; a call chosen after another gets
//   a log of its own;
// - the agent's uncommitted words and the caller's unfinished typing are
//   shown outside the log;
// - nothing of a conversation outlives its call on the page: when the
//   call shown ends, its log is taken out whole (and emptied), its held
//   captions, pending words and unsent fields go, and the status says so;
// - focus is moved by hand wherever an action removes the focused
//   element (a held caption sent, a call gone), never left on <body>;
// - one polite status region announces what matters, sparingly.

const TAGS = ['(LAUGHS)', '(MUSIC ON HOLD)', '(RECORDED MESSAGE)', '(UNCLEAR)'];
const TITLE = document.title;

const el = (id) => document.getElementById(id);
const els = {
  whoAmI: el('who-am-i'),
  usersLink: el('users-link'),
  connection: el('connection'),
  announcer: el('announcer'),
  callsHeading: el('calls-heading'),
  callList: el('call-list'),
  noCalls: el('no-calls'),
  queue: el('queue'),
  queueHeading: el('queue-heading'),
  queueList: el('queue-list'),
  queueEmpty: el('queue-empty'),
  callHeading: el('call-heading'),
  callSummary: el('call-summary'),
  callTurn: el('call-turn'),
  controls: el('call-controls'),
  takeOver: el('take-over'),
  review: el('review'),
  leave: el('leave'),
  closeCall: el('close-call'),
  assignForm: el('assign-form'),
  assignUser: el('assign-user'),
  pauseScroll: el('pause-scroll'),
  scrollNote: el('scroll-note'),
  logs: el('logs'),
  pending: el('pending'),
  tentative: el('tentative'),
  typing: el('typing'),
  held: el('held'),
  heldHeading: el('held-heading'),
  heldLists: el('held-lists'),
  heldEmpty: el('held-empty'),
  compose: el('compose'),
  callerForm: el('caller-form'),
  callerInput: el('type-to-caller'),
  agentForm: el('agent-form'),
  agentInput: el('speak-to-agent'),
  insertButton: el('insert-button'),
  insertMenu: el('insert-menu'),
};

const app = {
  name: null,
  role: null,
  calls: new Map(), // key -> the call's metadata from the last `calls`
  nav: new Map(), // key -> { li, button }
  queue: new Map(), // key -> { li, text }
  queueSeen: new Set(),
  open: new Map(), // key -> OpenCall
  selected: null, // key of the call shown
  ws: null,
  refs: 0,
  pending: new Map(), // ref -> { what, onError }
  backoff: 1000,
  wasConnected: false,
  lostAnnounced: false,
  lastField: els.callerInput,
  scrollPaused: false,
  placeholderLog: el('log-0'),
  clockLearnt: false,
  endedCall: null, // id of the call shown when it ended (its text is gone)
  clockOffset: 0, // server clock minus this browser's, when they differ
};

const keyOf = (id) => String(id);

// ---------------------------------------------------------------- helpers

let announceTimer = null;
function announce(text) {
  clearTimeout(announceTimer);
  els.announcer.textContent = '';
  announceTimer = setTimeout(() => {
    els.announcer.textContent = text;
  }, 100);
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// Now by the server's clock (the calls' times are the server's).
function serverNow() {
  return Date.now() + app.clockOffset;
}

function since(ms) {
  if (typeof ms !== 'number') return '';
  const minutes = Math.max(0, Math.floor((serverNow() - ms) / 60000));
  return minutes === 0 ? 'less than a minute' : plural(minutes, 'minute');
}

// Whole seconds since `ms`, by the server's clock.
function secondsSince(ms) {
  if (typeof ms !== 'number') return 0;
  return Math.max(0, Math.floor((serverNow() - ms) / 1000));
}

// A duration as a clock to look at ("0:42", "12:05", "1:02:03") ...
function clockDuration(secs) {
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = String(secs % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

// ... and in words to hear ("42 seconds", "1 minute 5 seconds").
function spokenDuration(secs) {
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = secs % 60;
  const parts = [];
  if (h) parts.push(plural(h, 'hour'));
  if (m) parts.push(plural(m, 'minute'));
  if (s || !parts.length) parts.push(plural(s, 'second'));
  return parts.join(' ');
}

// The calls' times are the server's: learn how far this browser's clock
// is from it (the Date header, to the second), so that waiting times are
// right from the first second even on a machine whose clock is off.
async function learnClockOffset() {
  try {
    const sent = Date.now();
    const r = await fetch('/api/me', { cache: 'no-store', credentials: 'same-origin' });
    const date = Date.parse(r.headers.get('Date') || '');
    if (Number.isNaN(date)) return;
    const offset = date + 500 - (sent + Date.now()) / 2;
    // Within the header's one-second grain the clocks agree.
    app.clockOffset = Math.abs(offset) > 2000 ? Math.round(offset) : 0;
  } catch { /* keep the browser's clock */ }
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function stateWords(s) {
  switch (s) {
    case 'waiting-agent': return 'waiting for the agent';
    case 'relaying': return 'relaying';
    case 'ending': return 'ending';
    default: return s ? String(s) : '';
  }
}

function isSupervisor() {
  return app.role === 'supervisor' || app.role === 'admin';
}

// Moves focus to `target` if it is inside `from`, which is about to be
// hidden or removed: focus never falls back to <body>.
function rescueFocus(from, target) {
  if (from && from.contains(document.activeElement)) (target || els.callHeading).focus();
}

function focusEnd(input) {
  input.focus();
  const n = input.value.length;
  try { input.setSelectionRange(n, n); } catch { /* not a text field */ }
}

// ---------------------------------------------------------------- channel

function connect() {
  els.connection.textContent = 'Connecting to the live channel.';
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  let ws;
  try {
    ws = new WebSocket(`${scheme}//${location.host}/live`);
  } catch {
    retry();
    return;
  }
  app.ws = ws;
  ws.addEventListener('open', () => {
    app.backoff = 1000;
    els.connection.textContent = 'Connected to the live channel.';
    if (app.lostAnnounced) announce('Connected again.');
    app.lostAnnounced = false;
    app.wasConnected = true;
    // Follow again the call shown: `opened` brings what was missed.
    const oc = selectedCall();
    if (oc && !oc.ended) send('open', { call: oc.id }, { what: `Opening call ${oc.id}` });
  });
  ws.addEventListener('message', (ev) => {
    if (typeof ev.data !== 'string') return;
    let m;
    try {
      m = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (m && typeof m === 'object') handle(m);
  });
  ws.addEventListener('close', (ev) => {
    if (app.ws === ws) app.ws = null;
    for (const p of app.pending.values()) if (p.onError) p.onError();
    app.pending.clear();
    // 4401: the session ended (signed out, expired).
    if (ev.code === 4401) {
      location.assign('/sign-in');
      return;
    }
    retry();
  });
}

async function retry() {
  // A closed channel is either a network hiccup or an expired session:
  // the upgrade's 401 cannot be read from a WebSocket, /api/me tells.
  try {
    const r = await fetch('/api/me', { cache: 'no-store', credentials: 'same-origin' });
    if (r.status === 401) {
      location.assign('/sign-in');
      return;
    }
  } catch { /* the server is away: try again later */ }
  const delay = Math.round(app.backoff * (0.8 + Math.random() * 0.4));
  app.backoff = Math.min(app.backoff * 2, 30000);
  els.connection.textContent = `Connection lost. Trying again in ${plural(Math.max(1, Math.round(delay / 1000)), 'second')}.`;
  if (app.wasConnected && !app.lostAnnounced) {
    announce('Connection lost. Trying again.');
    app.lostAnnounced = true;
  }
  setTimeout(connect, delay);
}

function send(cmd, fields, { what = cmd, onError = null } = {}) {
  const ws = app.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) {
    announce(`Not connected: ${what} did not go.`);
    if (onError) onError();
    return false;
  }
  const ref = ++app.refs;
  app.pending.set(ref, { what, onError });
  ws.send(JSON.stringify({ cmd, ...fields, ref }));
  return true;
}

function sendToSelected(cmd, fields, opts) {
  const oc = selectedCall();
  if (!oc || oc.ended) {
    announce(oc ? 'This call has ended.' : 'Open a call first.');
    return false;
  }
  return send(cmd, { call: oc.id, ...fields }, opts);
}

function handle(m) {
  const oc = m.call !== undefined ? app.open.get(keyOf(m.call)) : undefined;
  switch (m.type) {
    case 'hello': onHello(m); break;
    case 'calls': onCalls(Array.isArray(m.calls) ? m.calls : []); break;
    case 'opened': onOpened(m); break;
    case 'line': if (oc) appendLine(oc, m); break;
    case 'tentative': if (oc) { oc.tentative = m.text || ''; renderPending(); } break;
    case 'typing': if (oc) { oc.typing = m.text || ''; renderPending(); } break;
    case 'state': if (oc) applyState(oc, m.state); break;
    case 'held': if (oc) addHeld(oc, m); break;
    case 'unheld': if (oc) removeHeld(oc, keyOf(m.id), m.how); break;
    case 'ended': onEnded(keyOf(m.call)); break;
    case 'ok': app.pending.delete(m.ref); break;
    case 'error': onError(m); break;
    default: break;
  }
}

function onError(m) {
  const p = m.ref !== undefined ? app.pending.get(m.ref) : undefined;
  if (p) app.pending.delete(m.ref);
  const what = p ? p.what : 'The server';
  announce(`${what} failed: ${m.message || m.code || 'error'}.`);
  if (p && p.onError) p.onError(m);
}

// ---------------------------------------------------------------- hello, calls

function onHello(m) {
  app.name = m.name;
  app.role = m.role;
  els.whoAmI.textContent = `Signed in as ${m.name}, ${m.role}`;
  els.queue.hidden = !isSupervisor();
  els.assignForm.hidden = !isSupervisor();
  els.usersLink.hidden = m.role !== 'admin';
  if (!app.clockLearnt) {
    app.clockLearnt = true;
    learnClockOffset().then(renderQueue);
  }
}

function describe(c) {
  const parts = [`line ${c.line}`, since(c.started_ms), stateWords(c.state),
    c.handler ? `handled by ${c.handler}` : 'not handled'];
  if (c.taken_over) parts.push('taken over');
  if (c.review) parts.push('captions held for review');
  if (c.operator_requested_ms && !c.handler) parts.push('operator requested');
  return parts.filter(Boolean).join(', ');
}

// The call's number on one line, the rest below; the name read out is
// the same words as one phrase ("Call 3, line relay, 2 minutes, ...").
function fillCallButton(button, c) {
  const meta = describe(c);
  const name = `Call ${c.id}, ${meta}`;
  if (button.getAttribute('aria-label') === name) return;
  button.setAttribute('aria-label', name);
  button.textContent = '';
  const title = document.createElement('span');
  title.className = 'call-title';
  title.textContent = `Call ${c.id}`;
  const rest = document.createElement('span');
  rest.className = 'call-meta';
  rest.textContent = meta;
  button.append(title, ' ', rest);
}

function onCalls(list) {
  const active = document.activeElement;
  const keys = [];
  for (const c of list) {
    if (!c || c.id === undefined) continue;
    const key = keyOf(c.id);
    keys.push(key);
    app.calls.set(key, c);
    let item = app.nav.get(key);
    if (!item) {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'call-button';
      button.addEventListener('click', () => selectCall(key));
      li.append(button);
      item = { li, button };
      app.nav.set(key, item);
    }
    fillCallButton(item.button, c);
  }
  // Calls gone: drop their buttons, moving focus to a neighbour first.
  for (const [key, item] of app.nav) {
    if (keys.includes(key)) continue;
    if (item.li.contains(document.activeElement)) {
      const next = neighbourButton(item.li);
      (next || els.callsHeading).focus();
    }
    item.li.remove();
    app.nav.delete(key);
    app.calls.delete(key);
  }
  // Keep the list in the server's order, moving only what is out of place.
  let before = els.callList.firstChild;
  for (const key of keys) {
    const li = app.nav.get(key).li;
    if (li !== before) els.callList.insertBefore(li, before);
    else before = before.nextSibling;
  }
  if (active && active.isConnected && document.activeElement !== active) active.focus();
  markSelected();
  els.noCalls.hidden = keys.length > 0;
  renderQueue();
  const oc = selectedCall();
  // A call gone from the list has ended, even if its `ended` was missed.
  if (oc && !oc.ended && !keys.includes(oc.key)) onEnded(oc.key);
  else if (oc) renderSummary(oc);
}

function neighbourButton(li) {
  const sib = li.nextElementSibling || li.previousElementSibling;
  return sib ? sib.querySelector('button') : null;
}

function markSelected() {
  for (const [key, item] of app.nav) {
    if (key === app.selected) item.button.setAttribute('aria-current', 'true');
    else item.button.removeAttribute('aria-current');
  }
}

function renderQueue() {
  if (!isSupervisor()) return;
  const waiting = [...app.calls.values()].filter((c) => c.operator_requested_ms && !c.handler);
  const keys = new Set(waiting.map((c) => keyOf(c.id)));
  for (const [key, item] of app.queue) {
    if (keys.has(key)) continue;
    if (item.li.contains(document.activeElement)) {
      const sib = item.li.nextElementSibling || item.li.previousElementSibling;
      (sib ? sib.querySelector('button') : els.queueHeading).focus();
    }
    item.li.remove();
    app.queue.delete(key);
  }
  const fresh = [];
  for (const c of waiting) {
    const key = keyOf(c.id);
    let item = app.queue.get(key);
    if (!item) {
      const li = document.createElement('li');
      li.className = 'queue-item';
      // "Call 3, waiting 0:42" to look at, "Call 3, waiting 42 seconds"
      // to hear; not a live region: it changes every second, and the
      // status announces a new waiting call once.
      const text = document.createElement('p');
      const clockText = document.createElement('span');
      clockText.className = 'wait-clock';
      clockText.setAttribute('aria-hidden', 'true');
      const spoken = document.createElement('span');
      spoken.className = 'visually-hidden';
      text.append(`Call ${c.id}, waiting `, clockText, spoken);
      const actions = document.createElement('div');
      actions.className = 'actions';
      const open = document.createElement('button');
      open.type = 'button';
      open.textContent = `Open call ${c.id}`;
      open.addEventListener('click', () => selectCall(key));
      const take = document.createElement('button');
      take.type = 'button';
      take.textContent = `Assign call ${c.id} to me`;
      take.addEventListener('click', () => {
        send('assign', { call: c.id, user: app.name }, { what: `Assigning call ${c.id}` });
        selectCall(key);
      });
      actions.append(open, take);
      li.append(text, actions);
      els.queueList.append(li);
      item = { li, text, clockText, spoken, since: null };
      app.queue.set(key, item);
      if (!app.queueSeen.has(key)) fresh.push(c.id);
    }
    app.queueSeen.add(key);
    item.since = c.operator_requested_ms;
    renderWait(item);
  }
  els.queueEmpty.hidden = waiting.length > 0;
  if (fresh.length === 1) announce(`Call ${fresh[0]} is waiting for an operator.`);
  else if (fresh.length > 1) announce(`${fresh.length} calls are waiting for an operator.`);
}

// Writes how long a queued call has waited, touching only what changed.
function renderWait(item) {
  const secs = secondsSince(item.since);
  const shown = clockDuration(secs);
  if (item.clockText.textContent !== shown) item.clockText.textContent = shown;
  const heard = spokenDuration(secs);
  if (item.spoken.textContent !== heard) item.spoken.textContent = heard;
}

// ---------------------------------------------------------------- open calls

function newLog() {
  const log = document.createElement('div');
  log.className = 'log';
  els.logs.append(log);
  return log;
}

function showLog(log) {
  for (const child of els.logs.children) {
    if (child === log) {
      child.hidden = false;
      child.setAttribute('role', 'log');
      child.setAttribute('aria-label', 'Transcript');
      child.tabIndex = 0;
    } else {
      // Other calls' logs: not shown, not live, not focusable.
      child.hidden = true;
      child.removeAttribute('role');
      child.removeAttribute('aria-label');
      child.removeAttribute('tabindex');
    }
  }
}

function claimLog() {
  if (app.placeholderLog) {
    const log = app.placeholderLog;
    app.placeholderLog = null;
    return log;
  }
  return newLog();
}

function openCall(key) {
  let oc = app.open.get(key);
  if (oc) return oc;
  const meta = app.calls.get(key);
  const heldList = document.createElement('ol');
  heldList.className = 'held-list';
  heldList.hidden = true;
  els.heldLists.append(heldList);
  oc = {
    key,
    id: meta ? meta.id : Number(key),
    log: claimLog(),
    lastSeq: -Infinity,
    typedLine: null, // the .text of the operator's line to the caller not ended yet
    heldList,
    held: new Map(),
    tentative: '',
    typing: '',
    st: {},
    callState: meta ? meta.state : null,
    lastTurn: undefined,
    ended: false,
  };
  app.open.set(key, oc);
  send('open', { call: oc.id }, {
    what: `Opening call ${oc.id}`,
    onError: (m) => {
      if (m && (m.code === 'forbidden' || m.code === 'not-found')) dropCall(key);
    },
  });
  return oc;
}

function selectedCall() {
  return app.selected !== null ? app.open.get(app.selected) : undefined;
}

// A tab follows one call at a time (the server's live channel does):
// choosing another stops following the one shown, and its log goes.
function selectCall(key) {
  const prev = selectedCall();
  if (prev && prev.key !== key) dropCall(prev.key);
  app.endedCall = null;
  const oc = openCall(key);
  app.selected = key;
  markSelected();
  renderSelected();
  if (!app.scrollPaused) oc.log.scrollTop = oc.log.scrollHeight;
}

function renderSelected() {
  const oc = selectedCall();
  if (!oc) {
    if (!app.placeholderLog) app.placeholderLog = newLog();
    showLog(app.placeholderLog);
    for (const list of els.heldLists.children) list.hidden = true;
    setMenu(false);
    if (app.endedCall !== null) {
      els.callHeading.textContent = `Call ${app.endedCall} ended`;
      document.title = `${els.callHeading.textContent} - ${TITLE}`;
      els.callSummary.textContent = 'The call has ended. Its text has been cleared. Choose a call from the list of calls.';
    } else {
      els.callHeading.textContent = 'No call open';
      document.title = TITLE;
      els.callSummary.textContent = 'Choose a call from the list of calls.';
    }
    for (const e of [els.callTurn, els.controls, els.pending, els.held, els.compose]) e.hidden = true;
    return;
  }
  showLog(oc.log);
  for (const list of els.heldLists.children) list.hidden = list !== oc.heldList;
  els.callHeading.textContent = `Call ${oc.id}`;
  document.title = `${els.callHeading.textContent} - ${TITLE}`;
  renderSummary(oc);
  for (const e of [els.controls, els.takeOver, els.review.parentElement, els.leave, els.pending, els.held,
    els.compose, els.callTurn]) e.hidden = false;
  els.assignForm.hidden = !isSupervisor();
  renderState(oc);
  renderPending();
  renderHeldEmpty(oc);
}

function renderSummary(oc) {
  const meta = app.calls.get(oc.key);
  els.callSummary.textContent = meta ? `${describe(meta)}.` : '';
}

function renderState(oc) {
  const s = oc.st;
  els.review.checked = !!s.review;
  els.takeOver.setAttribute('aria-pressed', s.taken_over ? 'true' : 'false');
  const bits = [];
  if (s.turn === 'caller') bits.push("Caller's turn.");
  else if (s.turn === 'agent') bits.push("Agent's turn.");
  if (s.caller_typing) bits.push('The caller is typing.');
  if (s.agent_speaking) bits.push('The agent is speaking.');
  if (typeof s.backlog_chars === 'number') {
    const secs = typeof s.backlog_seconds === 'number' ? `, ${s.backlog_seconds.toFixed(1)} seconds` : '';
    bits.push(`Waiting for the TTY: ${plural(s.backlog_chars, 'character')}${secs}.`);
  }
  if (s.taken_over) bits.push('Taken over: automatic captions and voice are off.');
  els.callTurn.textContent = bits.join(' ');
}

function renderPending() {
  const oc = selectedCall();
  if (!oc) return;
  setPendingText(els.tentative, oc.tentative);
  setPendingText(els.typing, oc.typing);
}

function setPendingText(dd, text) {
  const t = (text || '').trim();
  dd.textContent = t || 'Nothing';
  dd.classList.toggle('nothing', !t);
}

function onOpened(m) {
  const key = keyOf(m.call);
  const oc = app.open.get(key);
  if (!oc) return;
  for (const l of Array.isArray(m.lines) ? m.lines : []) appendLine(oc, l);
  const held = Array.isArray(m.held) ? m.held : [];
  const ids = new Set(held.map((h) => keyOf(h.id)));
  for (const id of [...oc.held.keys()]) if (!ids.has(id)) removeHeld(oc, id, null);
  for (const h of held) addHeld(oc, h);
  oc.tentative = m.tentative || '';
  oc.typing = m.typing || '';
  if (m.state && typeof m.state === 'object') {
    Object.assign(oc.st, m.state);
    oc.lastTurn = oc.st.turn;
  } else if (typeof m.state === 'string') {
    oc.callState = m.state;
  }
  if (app.selected === key) renderSelected();
}

const WHO = {
  caller: 'Caller',
  agent: 'Agent',
  'operator-to-caller': 'Operator to caller',
  'operator-to-agent': 'Operator to agent',
};

const NOT_RELAYED = {
  caller: 'not voiced to the agent',
  agent: 'not sent to the caller',
};

function appendLine(oc, l) {
  if (typeof l.seq === 'number') {
    if (l.seq <= oc.lastSeq) return;
    oc.lastSeq = l.seq;
  }
  const body = l.text || '';
  // The operator's words to the caller come a word at a time: they join
  // the line being typed (appended, so a screen reader reads only the
  // new word) until a line end closes it.
  const open = oc.typedLine;
  if (l.who === 'operator-to-caller' && open && open.isConnected) {
    if (/\S/.test(body)) open.appendChild(document.createTextNode(body));
    if (body.endsWith('\n')) oc.typedLine = null;
    scrollLog(oc);
    return;
  }
  const p = document.createElement('p');
  p.className = `line line-${String(l.who || 'other').replace(/[^a-z-]/g, '')}`;
  // A line the relay did not pass on by itself: what the agent said and
  // the caller typed while the call was taken over. What the operator
  // sends on comes as a line of its own.
  const held = l.relayed === false;
  if (held) p.classList.add('line-not-relayed');
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = `${WHO[l.who] || l.who || 'Line'}${held ? `, ${NOT_RELAYED[l.who] || 'not relayed'}` : ''}: `;
  const text = document.createElement('span');
  text.className = 'text';
  // A line end on its own (the operator pressed Enter) is named.
  text.textContent = /\S/.test(body) ? body : '(new line)';
  p.append(who, text);
  oc.log.appendChild(p);
  oc.typedLine = l.who === 'operator-to-caller' && /\S/.test(body) && !body.endsWith('\n') ? text : null;
  scrollLog(oc);
}

function scrollLog(oc) {
  if (app.selected === oc.key && !app.scrollPaused) oc.log.scrollTop = oc.log.scrollHeight;
}

function applyState(oc, s) {
  if (typeof s === 'string') {
    oc.callState = s;
    return;
  }
  if (!s || typeof s !== 'object') return;
  const before = { ...oc.st };
  Object.assign(oc.st, s);
  if (app.selected !== oc.key) return;
  renderState(oc);
  if (s.turn !== undefined && s.turn !== oc.lastTurn) {
    oc.lastTurn = s.turn;
    if (s.turn === 'caller') announce("Caller's turn.");
    else if (s.turn === 'agent') announce("Agent's turn.");
  }
  if (s.handler !== undefined && s.handler !== before.handler && before.handler === app.name && s.handler !== app.name) {
    announce(s.handler ? `Call ${oc.id} is now handled by ${s.handler}.` : `You no longer handle call ${oc.id}.`);
  }
}

// The call is over: nothing of it is kept (the server has dropped its
// text too). The call's view goes whole, the status says so, and focus,
// if it was in the view, goes to the call's heading.
function onEnded(key) {
  const oc = app.open.get(key);
  if (!oc) return;
  oc.ended = true;
  const shown = app.selected === key;
  dropCall(key, { ended: true });
  if (shown) announce(`Call ${oc.id} has ended. Its text has been cleared.`);
}

// Forgets a call on this page: its log, held captions, pending words and
// what was typed for it and not sent all go.
function dropCall(key, { ended = false } = {}) {
  const oc = app.open.get(key);
  if (!oc) return;
  app.open.delete(key);
  if (app.selected === key) {
    // What had focus in the call's panel is about to be hidden.
    rescueFocus(els.callHeading.parentElement, els.callHeading);
    app.selected = null;
    app.endedCall = ended ? oc.id : null;
    for (const input of [els.callerInput, els.agentInput]) input.value = '';
    setPendingText(els.tentative, '');
    setPendingText(els.typing, '');
    markSelected();
    renderSelected();
  }
  // Out of the page first (a screen reader hears no removal from a live
  // log), then emptied, so that nothing holds the text on.
  oc.log.remove();
  oc.log.replaceChildren();
  oc.heldList.remove();
  oc.heldList.replaceChildren();
  oc.held.clear();
  oc.typedLine = null;
  oc.tentative = '';
  oc.typing = '';
}

function closeSelected() {
  const oc = selectedCall();
  if (!oc) return;
  if (!oc.ended) send('close', { call: oc.id }, { what: `Closing call ${oc.id}` });
  els.callHeading.focus();
  dropCall(oc.key);
}

// ---------------------------------------------------------------- held captions

function renderHeldEmpty(oc) {
  const shown = [...oc.held.values()].some((h) => !h.gone);
  els.heldEmpty.hidden = shown;
}

function releaseText(h) {
  const said = typeof h.at_ms === 'number' ? `Said at ${clock(h.at_ms)}. ` : '';
  return said + (typeof h.release_at_ms === 'number'
    ? `Goes to the caller by itself at ${clock(h.release_at_ms)}, unless you are editing it.`
    : 'Waits for you.');
}

function addHeld(oc, h) {
  const id = keyOf(h.id);
  const existing = oc.held.get(id);
  if (existing) {
    existing.timer.textContent = releaseText(h);
    if (!existing.dirty && document.activeElement !== existing.input && typeof h.text === 'string') {
      existing.input.value = h.text;
    }
    return;
  }
  const base = `held-${oc.key}-${id}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const li = document.createElement('li');
  li.className = 'held-item';
  const label = document.createElement('label');
  label.htmlFor = `${base}-text`;
  label.id = `${base}-label`;
  label.textContent = `Held caption ${h.id}`;
  const input = document.createElement('input');
  input.type = 'text';
  input.id = `${base}-text`;
  input.value = h.text || '';
  input.autocomplete = 'off';
  input.spellcheck = true;
  const timer = document.createElement('p');
  timer.className = 'hint held-timer';
  timer.id = `${base}-timer`;
  timer.textContent = releaseText(h);
  input.setAttribute('aria-describedby', timer.id);
  const actions = document.createElement('div');
  actions.className = 'actions';
  const sendButton = document.createElement('button');
  sendButton.type = 'button';
  sendButton.textContent = 'Send';
  sendButton.setAttribute('aria-describedby', label.id);
  const discardButton = document.createElement('button');
  discardButton.type = 'button';
  discardButton.textContent = 'Discard';
  discardButton.setAttribute('aria-describedby', label.id);
  actions.append(sendButton, discardButton);
  const row = document.createElement('div');
  row.className = 'input-row';
  row.append(input, actions);
  li.append(label, row, timer);
  const item = { id, rawId: h.id, li, input, timer, dirty: false, editing: false, gone: false };
  oc.held.set(id, item);
  oc.heldList.append(li);

  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      sendHeld(oc, id);
    }
  });
  input.addEventListener('input', () => {
    item.dirty = true;
    setEditing(oc, item, true);
  });
  li.addEventListener('focusin', () => setEditing(oc, item, true));
  li.addEventListener('focusout', (e) => {
    if (e.relatedTarget && li.contains(e.relatedTarget)) return;
    setEditing(oc, item, false);
  });
  sendButton.addEventListener('click', () => sendHeld(oc, id));
  discardButton.addEventListener('click', () => discardHeld(oc, id));
  if (app.selected === oc.key) renderHeldEmpty(oc);
}

function setEditing(oc, item, on) {
  if (item.gone || oc.ended || item.editing === on) return;
  item.editing = on;
  send('editing', { call: oc.id, id: item.rawId, on }, { what: `Held caption ${item.rawId}` });
}

function visibleHeld(oc) {
  return [...oc.held.values()].filter((h) => !h.gone);
}

// The held caption to focus when `item` goes: the next one, else the one
// before, else the held captions' heading (never <body>).
function focusAfterHeld(oc, item) {
  const li = item.li;
  if (!li.contains(document.activeElement) || app.selected !== oc.key) return false;
  const list = visibleHeld(oc).filter((h) => h !== item);
  const after = list.find((h) => li.compareDocumentPosition(h.li) & Node.DOCUMENT_POSITION_FOLLOWING);
  const target = after || list[list.length - 1];
  if (target) focusEnd(target.input);
  else els.heldHeading.focus();
  return true;
}

function hideHeld(oc, item) {
  focusAfterHeld(oc, item);
  item.gone = true;
  item.li.hidden = true;
  renderHeldEmpty(oc);
}

function restoreHeld(oc, item) {
  if (!oc.held.has(item.id)) return;
  item.gone = false;
  item.li.hidden = false;
  renderHeldEmpty(oc);
}

function sendHeld(oc, id) {
  const item = oc.held.get(id);
  if (!item || item.gone) return;
  const text = item.input.value.trim();
  if (!text) {
    discardHeld(oc, id);
    return;
  }
  hideHeld(oc, item);
  send('send_caption', { call: oc.id, id: item.rawId, text }, {
    what: `Sending held caption ${item.rawId}`,
    onError: () => restoreHeld(oc, item),
  });
}

function discardHeld(oc, id) {
  const item = oc.held.get(id);
  if (!item || item.gone) return;
  hideHeld(oc, item);
  send('discard_caption', { call: oc.id, id: item.rawId }, {
    what: `Discarding held caption ${item.rawId}`,
    onError: () => restoreHeld(oc, item),
  });
}

function dropHeldItem(oc, id) {
  const item = oc.held.get(id);
  if (!item) return false;
  const moved = item.gone ? false : focusAfterHeld(oc, item);
  item.gone = true;
  item.li.remove();
  oc.held.delete(id);
  if (app.selected === oc.key) renderHeldEmpty(oc);
  return moved;
}

function removeHeld(oc, id, how) {
  const item = oc.held.get(id);
  if (!item) return;
  const byUs = item.gone;
  const moved = dropHeldItem(oc, id);
  if (!byUs && moved && how) {
    const words = { sent: 'was sent', discarded: 'was discarded', released: 'went to the caller' };
    announce(`Held caption ${item.rawId} ${words[how] || how}.`);
  }
}

function nextHeld() {
  const oc = selectedCall();
  if (!oc || oc.ended) {
    announce('Open a call first.');
    return;
  }
  const list = visibleHeld(oc);
  if (!list.length) {
    els.heldHeading.focus();
    announce('No captions held.');
    return;
  }
  const i = list.findIndex((h) => h.li.contains(document.activeElement));
  focusEnd(list[(i + 1) % list.length].input);
}

// ---------------------------------------------------------------- typing and speaking

// Sends what the caller field holds up to its last space: only the word
// being typed stays editable (the TTY prints as it goes).
function flushWords() {
  const input = els.callerInput;
  const v = input.value;
  const m = /^[\s\S]*\s/.exec(v);
  if (!m) return;
  const words = m[0].replace(/\s/g, ' ');
  const caret = input.selectionStart ?? v.length;
  if (!sendToSelected('type', { text: words }, { what: 'Typing to the caller' })) return;
  input.value = v.slice(m[0].length);
  const at = Math.max(0, caret - m[0].length);
  try { input.setSelectionRange(at, at); } catch { /* ignore */ }
}

els.callerInput.addEventListener('input', (e) => {
  if (e.isComposing) return;
  flushWords();
});
els.callerInput.addEventListener('compositionend', flushWords);

els.callerForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const rest = els.callerInput.value;
  if (sendToSelected('type', { text: `${rest}\n` }, { what: 'Typing to the caller' })) {
    els.callerInput.value = '';
  }
});

els.agentForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = els.agentInput.value.trim();
  if (!text) return;
  if (sendToSelected('speak', { text }, { what: 'Speaking to the agent' })) els.agentInput.value = '';
});

for (const input of [els.callerInput, els.agentInput]) {
  input.addEventListener('focus', () => { app.lastField = input; });
}

function insertTag(tag) {
  const oc = selectedCall();
  if (!oc || oc.ended) {
    announce('Open a call first.');
    return;
  }
  const input = app.lastField;
  const v = input.value;
  // At the end of any selection: a tag never replaces what the operator
  // typed (tabbing into a field selects all of it).
  const at = input.selectionEnd ?? v.length;
  const before = v.slice(0, at);
  const after = v.slice(at);
  const lead = before && !/\s$/.test(before) ? ' ' : '';
  const trail = after.startsWith(' ') ? '' : ' ';
  input.value = before + lead + tag + trail + after;
  const caret = (before + lead + tag + trail).length;
  input.focus();
  try { input.setSelectionRange(caret, caret); } catch { /* ignore */ }
  if (input === els.callerInput) flushWords();
}

function sayMacro(text) {
  if (sendToSelected('speak', { text }, { what: 'Speaking to the agent' })) announce(`Said to the agent: ${text}`);
}

function setMenu(open) {
  els.insertMenu.hidden = !open;
  els.insertButton.setAttribute('aria-expanded', open ? 'true' : 'false');
}

els.insertButton.addEventListener('click', () => setMenu(els.insertMenu.hidden));
els.insertMenu.addEventListener('click', (e) => {
  const b = e.target.closest('button');
  if (!b) return;
  setMenu(false);
  if (b.dataset.tag) insertTag(b.dataset.tag);
  else if (b.dataset.macro) {
    sayMacro(b.dataset.macro);
    app.lastField.focus();
  }
});
els.insertMenu.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') {
    e.preventDefault();
    setMenu(false);
    els.insertButton.focus();
  }
});

// ---------------------------------------------------------------- call controls

els.takeOver.addEventListener('click', () => {
  const oc = selectedCall();
  if (!oc) return;
  const on = els.takeOver.getAttribute('aria-pressed') !== 'true';
  els.takeOver.setAttribute('aria-pressed', on ? 'true' : 'false');
  const ok = sendToSelected(on ? 'take_over' : 'release', {}, {
    what: on ? 'Taking over' : 'Releasing the call',
    onError: () => renderState(oc),
  });
  if (!ok) renderState(oc);
});

els.review.addEventListener('change', () => {
  const oc = selectedCall();
  if (!oc) return;
  const on = els.review.checked;
  sendToSelected('review', { on }, {
    what: on ? 'Holding captions for review' : 'Ending caption review',
    onError: () => renderState(oc),
  });
});

// Handing back leaves the call to the automatic relay: captions are not
// held for nobody, and a take-over ends first.
els.leave.addEventListener('click', () => {
  const oc = selectedCall();
  if (!oc || oc.ended) return;
  if (oc.st.review) send('review', { call: oc.id, on: false }, { what: 'Ending caption review' });
  if (oc.st.taken_over) send('release', { call: oc.id }, { what: 'Releasing the call' });
  sendToSelected('leave', {}, { what: 'Handing the call back' });
});

els.closeCall.addEventListener('click', closeSelected);

els.assignForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const user = els.assignUser.value.trim();
  if (!user) {
    announce('Type the name of the user to assign the call to.');
    return;
  }
  if (sendToSelected('assign', { user }, { what: `Assigning the call to ${user}` })) els.assignUser.value = '';
});

els.pauseScroll.addEventListener('click', () => {
  app.scrollPaused = !app.scrollPaused;
  els.pauseScroll.setAttribute('aria-pressed', app.scrollPaused ? 'true' : 'false');
  els.scrollNote.hidden = !app.scrollPaused;
  const oc = selectedCall();
  if (!app.scrollPaused && oc) oc.log.scrollTop = oc.log.scrollHeight;
});

// ---------------------------------------------------------------- shortcuts

function needCall(fn) {
  return () => {
    const oc = selectedCall();
    if (!oc || oc.ended) {
      announce(oc ? 'This call has ended.' : 'Open a call first.');
      return;
    }
    fn(oc);
  };
}

const SHORTCUTS = {
  KeyK: () => {
    const item = (app.selected && app.nav.get(app.selected)) || app.nav.values().next().value;
    (item ? item.button : els.callsHeading).focus();
  },
  KeyC: needCall(() => focusEnd(els.callerInput)),
  KeyS: needCall(() => focusEnd(els.agentInput)),
  KeyN: nextHeld,
  KeyV: needCall(() => els.review.click()),
  KeyO: needCall(() => els.takeOver.click()),
  KeyP: () => els.pauseScroll.click(),
  KeyL: () => insertTag(TAGS[0]),
  KeyM: () => insertTag(TAGS[1]),
  KeyR: () => insertTag(TAGS[2]),
  KeyU: () => insertTag(TAGS[3]),
  KeyH: needCall(() => sayMacro('The caller is typing, please hold.')),
  KeyE: needCall(() => sayMacro('This is a relay call. The caller reads your words as text, so there may be a short delay.')),
};

document.addEventListener('keydown', (e) => {
  if (!(e.altKey && e.shiftKey) || e.ctrlKey || e.metaKey) return;
  const action = SHORTCUTS[e.code];
  if (!action) return;
  e.preventDefault();
  action();
});

// ---------------------------------------------------------------- start

// The operator queue's waiting times, every second.
setInterval(() => {
  for (const item of app.queue.values()) renderWait(item);
}, 1000);

setInterval(() => {
  for (const [key, item] of app.nav) {
    const c = app.calls.get(key);
    if (c) fillCallButton(item.button, c);
  }
  renderQueue();
  const oc = selectedCall();
  if (oc) renderSummary(oc);
}, 20000);

renderSelected();
connect();
