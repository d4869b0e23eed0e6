// ticketd web console: queues, agents, the live event feed and a ticket lookup
// with its explain view. Served by ticketd under a strict CSP: no inline code,
// no eval, and data only ever reaches the page through textContent.
'use strict';

// ---- Settings ---------------------------------------------------------------
const TOKEN_KEY = 'ticketd.token';  // sessionStorage key of the API token
const POLL_MS = 3000;               // queues and agents refresh period
const EVENT_REFRESH_MS = 500;       // at most one event-driven refresh per this
const MAX_EVENTS = 200;             // items kept in the feed
const FEED_RETRY_MIN_MS = 1000;     // first reconnect delay of the feed, doubling...
const FEED_RETRY_MAX_MS = 30000;    // ...up to this
const DASH = '\u2014';              // shown for "none"

// Every type of docs/api.md's event table: SSE records are named
// (`event: ticket.assigned`), so each type needs its own listener.
const EVENT_TYPES = [
  'ticket.queued', 'ticket.offered', 'ticket.assigned', 'ticket.pending', 'ticket.postponed',
  'ticket.followup_due', 'ticket.resolved', 'ticket.reopened', 'ticket.closed',
  'ticket.transferred', 'ticket.escalated', 'ticket.updated', 'ticket.relaxed',
  'ticket.overflowed', 'ticket.returned', 'ticket.deleted',
  'offer.rejected', 'offer.timeout', 'offer.withdrawn', 'sla.warning', 'sla.breached',
  'agent.status', 'agent.wrap_up', 'agent.ready',
];

// Workspace from ?workspace=NAME: its API lives under /v1/w/NAME.
const WORKSPACE = new URLSearchParams(location.search).get('workspace') || '';
const BASE = WORKSPACE ? '/v1/w/' + encodeURIComponent(WORKSPACE) : '/v1';

// ---- State ------------------------------------------------------------------
const state = {
  needToken: false,                        // a 401 was seen: wait for the token form
  pollTimer: null,                         // the 3 s refresh interval
  refreshing: false, refreshAgain: false,  // one refresh at a time
  lastRefresh: 0, soonTimer: null,         // throttle of event-driven refreshes
  forbidden: {},                           // parts this token may not read (403)
  errors: new Map(),                       // part -> message shown in #error
  lookupId: null, lookupSeq: 0, lookupTimer: null,  // the ticket on show
};
const feed = { es: null, timer: null, delay: FEED_RETRY_MIN_MS, gen: 0, lastId: '', stopped: false };

// ---- Small helpers ----------------------------------------------------------
const $ = (id) => document.getElementById(id);

// Makes an element with an optional class and text.
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// A value as text: a dash for nothing, yes/no for booleans, lists with commas.
function show(v) {
  if (v === null || v === undefined || v === '') return DASH;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.length ? v.join(', ') : DASH;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

// Seconds as a short human duration: 45s, 5m 12s, 2h 3m, 1d 4h.
function duration(s) {
  if (s === null || s === undefined) return DASH;
  s = Math.max(0, Math.round(s));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60), sec = s % 60;
  return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : m ? `${m}m ${sec}s` : `${sec}s`;
}

// A time (RFC 3339 string or Date) as local HH:MM:SS.
function clock(t) {
  const d = new Date(t || NaN);
  if (isNaN(d)) return t ? String(t) : DASH;
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

// ---- Token ------------------------------------------------------------------
// The token lives in this tab's sessionStorage (none when storage is disabled).
function getToken() {
  try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}

function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch { /* storage disabled */ }
}

// A 401 (or "Forget token"): stop polling and the feed, clear what the last token showed (a
// shared screen keeps nothing of it), and show the token form.
function askForToken() {
  state.needToken = true;
  setPolling(false);
  stopFeed();
  for (const id of ['queues', 'agents', 'explain-agents']) $(id).tBodies[0].replaceChildren();
  for (const id of ['events', 'explain-summary', 'explain-queues']) $(id).replaceChildren();
  $('ticket').hidden = $('explain').hidden = true;
  state.lookupId = null;
  setFeedStatus('waiting for a token');
  $('token-form').hidden = false;
  $('token-input').focus();
}

// ---- API --------------------------------------------------------------------
// Calls the API under BASE with the token. Resolves to the parsed JSON body; rejects
// with an Error carrying `status` (0: ticketd unreachable). A 401 shows the token form.
async function api(path, body) {
  const post = body !== undefined;  // a body makes it a POST of JSON
  const headers = post ? { 'Content-Type': 'application/json' } : {};
  const token = getToken();
  if (token) headers.Authorization = 'Bearer ' + token;
  const init = { method: post ? 'POST' : 'GET', headers, cache: 'no-store',
    body: post ? JSON.stringify(body) : undefined };
  const fail = (status, message) => Object.assign(new Error(message), { status });
  let res;
  try {
    res = await fetch(BASE + path, init);
  } catch (e) {
    throw fail(0, 'cannot reach ticketd: ' + e.message);
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (res.ok) return data;
  // A 401 for a token since replaced says nothing about the new one.
  if (res.status === 401 && token === getToken()) askForToken();
  throw fail(res.status, (data && data.error && data.error.message) || `HTTP ${res.status}`);
}

// Sets (or, with an empty message, clears) one part's line in #error.
function showError(part, message) {
  if (message) state.errors.set(part, message);
  else state.errors.delete(part);
  const box = $('error');
  box.replaceChildren(...[...state.errors.values()].map((m) => el('div', null, m)));
  box.hidden = state.errors.size === 0;
}

// A part's failure: 401 waits for the token form (api() showed it), 403 goes to
// the part's own status text, anything else to #error.
function partFailed(part, err, statusEl, forbiddenText) {
  if (err.status === 401) return;
  // A 403 for the token's role says what the part needs; any other 403 (a token bound to
  // another workspace, a proxy that changes Host) says what ticketd said.
  const role = err.status === 403 && /may not use/.test(err.message);
  statusEl.textContent = err.status === 403 ? (role ? forbiddenText : err.message) : 'error';
  showError(part, err.status === 403 ? '' : err.message);
}

// ---- Tables -----------------------------------------------------------------
// Brings a tbody in line with `rows` ({key, cells: {class: value}, flags: {class: on}}).
// Rows are keyed by their data-ATTR and kept, so a cell can be watched while it changes.
function syncRows(tbody, attr, rows) {
  const old = new Map([...tbody.rows].map((tr) => [tr.getAttribute('data-' + attr), tr]));
  rows.forEach((row, i) => {
    let tr = old.get(row.key);
    if (!old.delete(row.key)) {  // a new row
      tr = document.createElement('tr');
      tr.setAttribute('data-' + attr, row.key);
      for (const cls of Object.keys(row.cells)) tr.insertCell().className = cls;
    }
    for (const [cls, value] of Object.entries(row.cells)) {
      const td = tr.getElementsByClassName(cls)[0];
      const text = show(value);
      if (td.textContent !== text) td.textContent = text;
    }
    for (const [cls, on] of Object.entries(row.flags || {})) tr.classList.toggle(cls, Boolean(on));
    if (tbody.rows[i] !== tr) tbody.insertBefore(tr, tbody.rows[i] || null);
  });
  for (const tr of old.values()) tr.remove();
}

// ---- Queues -----------------------------------------------------------------
async function loadQueues() {
  if (state.forbidden.queues) return;
  const status = $('queues-status');
  try {
    const queues = (await api('/queues')).queues || [];
    syncRows($('queues').tBodies[0], 'queue', queues.map((q) => ({
      key: q.name,
      cells: {
        name: q.name, mode: q.mode, depth: q.depth, oldest: duration(q.oldest_wait_s),
        'at-risk': q.at_risk, available: `${q.agents_available} / ${q.agents_online}`,
      },
      flags: { 'at-risk': q.at_risk > 0 },
    })));
    status.textContent = `${queues.length} queues \u00b7 ${clock(new Date())}`;
    showError('queues', '');
  } catch (err) {
    if (err.status === 403) state.forbidden.queues = true;
    partFailed('queues', err, status, 'this token may not read queues (needs backend or admin)');
  }
}

// ---- Agents -----------------------------------------------------------------
// Load of max_concurrent, plus units used of capacity when channels are configured
// (an agent's `channels` lists every configured channel, and is {} without them).
function loadText(a) {
  const units = Object.keys(a.channels || {}).length || a.used > 0;
  return `${a.load} / ${a.max_concurrent}` + (units ? `, units ${a.used} / ${a.capacity}` : '');
}

async function loadAgents() {
  if (state.forbidden.agents) return;
  const status = $('agents-status');
  try {
    const agents = [];  // every page: follow `next` with `after` until it is null
    for (let after = null, page = 0; page < 10000; page++) {
      const data = await api('/agents?limit=1000' + (after ? '&after=' + encodeURIComponent(after) : ''));
      agents.push(...(data.agents || []));
      if (!data.next || data.next === after) break;
      after = data.next;
    }
    syncRows($('agents').tBodies[0], 'agent', agents.map((a) => ({
      key: a.id,
      cells: {
        id: a.id, name: a.name, status: a.status,
        // Channels whose presence is not "online" (following the agent's status).
        channels: Object.entries(a.channels || {}).filter(([, p]) => p !== 'online').map((e) => e.join(' ')),
        queues: a.effective_queues || a.queues, load: loadText(a),
        'wrap-up': a.wrap_up_until ? 'until ' + clock(a.wrap_up_until) : DASH,
      },
      flags: { 'status-online': a.status === 'online', 'status-away': a.status === 'away',
        'status-offline': a.status === 'offline', full: a.load >= a.max_concurrent,
        'in-wrap-up': a.wrap_up_until },
    })));
    const online = agents.filter((a) => a.status === 'online').length;
    status.textContent = `${online} of ${agents.length} online \u00b7 ${clock(new Date())}`;
    showError('agents', '');
  } catch (err) {
    if (err.status === 403) state.forbidden.agents = true;
    partFailed('agents', err, status, 'this token may not list agents (needs backend or admin)');
  }
}

// ---- Refresh: polling and event-driven --------------------------------------
// Reloads queues and agents; a call while one runs makes it run once more after.
async function refresh() {
  if (state.needToken) return;
  if (state.refreshing) { state.refreshAgain = true; return; }
  state.refreshing = true;
  state.lastRefresh = Date.now();
  try { await Promise.all([loadQueues(), loadAgents()]); } finally { state.refreshing = false; }
  if (state.refreshAgain) { state.refreshAgain = false; refresh(); }
}

// Refresh after an event, at most once per EVENT_REFRESH_MS, and never while one runs (a
// slow refresh under a stream of events would otherwise run back to back).
function refreshSoon() {
  if (state.soonTimer || state.refreshing) return;
  const wait = Math.max(0, state.lastRefresh + EVENT_REFRESH_MS - Date.now());
  state.soonTimer = setTimeout(() => { state.soonTimer = null; refresh(); }, wait);
}

// Starts (on) or stops the 3 s refresh, and any refresh waiting.
function setPolling(on) {
  clearInterval(state.pollTimer);
  clearTimeout(state.soonTimer);
  state.pollTimer = on ? setInterval(refresh, POLL_MS) : null;
  state.soonTimer = null;
}

// ---- Live event feed ---------------------------------------------------------
function setFeedStatus(text) {
  $('feed-status').textContent = text;
  $('feed-status').classList.toggle('live', text === 'live');
}

// Closes the feed and cancels any reconnect; a connect still in flight gives up.
function stopFeed() {
  feed.gen++;
  clearTimeout(feed.timer);
  if (feed.es) feed.es.close();
  feed.es = feed.timer = null;
}

// Waits (1 s, doubling up to 30 s), then connects again with a new token.
function scheduleReconnect() {
  setFeedStatus('reconnecting');
  clearTimeout(feed.timer);
  feed.timer = setTimeout(connectFeed, feed.delay);
  feed.delay = Math.min(feed.delay * 2, FEED_RETRY_MAX_MS);
}

// Asks for a single-use stream token, then opens the EventSource with it.
async function connectFeed() {
  if (state.needToken || feed.stopped) return;
  const gen = ++feed.gen;
  let token;
  try {
    token = (await api('/stream-token', { scope: 'events' })).token;
  } catch (err) {
    if (gen !== feed.gen || err.status === 401) return;  // 401: the token form is shown
    feed.stopped = err.status === 403;
    showError('feed', feed.stopped ? '' : err.message);
    if (feed.stopped) {
      setFeedStatus(/may not use/.test(err.message)
        ? 'the event feed needs a backend or admin token' : err.message);
    }
    else scheduleReconnect();
    return;
  }
  if (gen !== feed.gen || state.needToken) return;
  showError('feed', '');
  // After a reconnect, resume after the last event seen so that none is missed.
  let url = BASE + '/events?access_token=' + encodeURIComponent(token);
  if (feed.lastId) url += '&after=' + encodeURIComponent(feed.lastId);
  const es = new EventSource(url);
  feed.es = es;
  // The wait before a reconnect starts again from 1 s once the feed has stayed up 10 s (a
  // feed that opens and drops at once keeps backing off).
  es.onopen = () => {
    setFeedStatus('live');
    clearTimeout(feed.upTimer);
    feed.upTimer = setTimeout(() => { if (feed.es === es) feed.delay = FEED_RETRY_MIN_MS; }, 10000);
  };
  // The token is spent: never let EventSource retry with it; ask for a new one.
  es.onerror = () => {
    if (feed.es === es) { es.close(); feed.es = null; scheduleReconnect(); }
  };
  for (const type of EVENT_TYPES) es.addEventListener(type, onEvent);
  es.onmessage = onEvent;  // records without a name, should any come
}

// One SSE record: show it and refresh the tables.
function onEvent(ev) {
  let data;
  try { data = JSON.parse(ev.data); } catch { /* shown raw below */ }
  if (!data || typeof data !== 'object') data = { data: ev.data };
  if (ev.lastEventId) feed.lastId = ev.lastEventId;
  addEventItem(ev.type, ev.lastEventId, data);
  refreshSoon();
  // The ticket on show is concerned: look it up again, at most twice a second.
  if (state.lookupId && data.ticket === state.lookupId && !state.lookupTimer) {
    state.lookupTimer = setTimeout(() => {
      state.lookupTimer = null;
      if (state.lookupId && !state.needToken) lookup(state.lookupId, true);
    }, EVENT_REFRESH_MS);
  }
}

// Prepends <li data-type data-id>: time, type, ticket or agent, other fields as key=value.
function addEventItem(type, id, data) {
  const li = el('li');
  li.setAttribute('data-type', type);
  li.setAttribute('data-id', id || '');
  const time = el('time', 'time', clock(data.at));
  if (data.at) { time.setAttribute('datetime', data.at); time.title = data.at; }
  // The subject: the agent of agent.* events, else the ticket (a button that looks
  // it up), else the agent.
  const byTicket = data.ticket && !(type.startsWith('agent.') && data.agent);
  let subject = el('span', 'subject', show(data.agent));
  if (byTicket) {
    subject = el('button', 'subject ticket-link', data.ticket);
    subject.type = 'button';
    subject.title = 'look up ' + data.ticket;
    subject.addEventListener('click', () => { $('lookup-input').value = data.ticket; lookup(data.ticket); });
  }
  const skip = ['at', byTicket ? 'ticket' : 'agent'];
  const fields = Object.entries(data).filter(([k]) => !skip.includes(k))
    .map(([k, v]) => `${k}=${v !== null && typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ');
  const rest = el('span', 'fields', fields);
  rest.title = fields;
  li.append(time, ' ', el('span', 'type', type), ' ', subject, ' ', rest);  // spaces for copying
  const list = $('events');
  list.prepend(li);
  while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
}

// ---- Ticket lookup and explain -----------------------------------------------
// Requirements as text: "spanish >= 3 (relaxes 09:10:00)".
function requiresText(reqs) {
  return show((reqs || []).map((r) => `${r.skill} \u2265 ${r.level}` +
    (!r.in_force ? ' (relaxed)' : r.relaxes_at ? ` (relaxes ${clock(r.relaxes_at)})` : '')));
}

// Fills a <dl> from [field, value] pairs: <dt>label</dt><dd data-field="field">value</dd>.
function fillFields(dl, pairs) {
  dl.replaceChildren(...pairs.flatMap(([field, value]) => {
    const dd = el('dd', null, show(value));
    dd.setAttribute('data-field', field);
    return [el('dt', null, field.replace(/_/g, ' ')), dd];
  }));
}

// Fields shown only when set, to keep the list short.
const OPTIONAL = ['personal_queue', 'customer', 'preferred_agents', 'postponed_until', 'resolved_at',
  'reopen_until', 'resolution_reason'];

function renderTicket(t) {
  const sla = t.sla || {}, pref = t.preferred_agents, fu = t.followup;
  fillFields($('ticket'), [
    ['id', t.id], ['status', t.status], ['queue', t.queue], ['queues', t.queues],
    ['priority', t.priority], ['channel', t.channel], ['assignee', t.assignee],
    ['last_agent', t.last_agent], ['personal_queue', t.personal_queue], ['customer', t.customer],
    ['preferred_agents', pref ? `${show(pref.agents)} until ${pref.until}` : null],
    ['version', t.version], ['rank', t.rank],
    ['created_at', t.created_at], ['updated_at', t.updated_at], ['queued_at', t.queued_at],
    ['sla_policy', sla.policy], ['first_reply_due', sla.first_reply_due],
    ['next_reply_due', sla.next_reply_due], ['resolution_due', sla.resolution_due],
    ['first_replied_at', sla.first_replied_at], ['sla_breached', sla.breached], ['sla_paused', sla.paused],
    ['postponed_until', t.postponed_until], ['resolved_at', t.resolved_at],
    ['reopen_until', t.reopen_until], ['resolution_reason', t.resolution_reason],
    ['followup', fu ? `${fu.attempt} / ${fu.of}` : null], ['reopens', t.reopens],
    ['escalated', t.escalated], ['skills', t.skills], ['requires', requiresText(t.requires)],
    ['attributes', Object.entries(t.attributes || {}).map((e) => e.join('='))],
  ].filter(([field, value]) => !OPTIONAL.includes(field) || (value !== null && value !== undefined)));
  $('ticket').hidden = false;
}

// How the ticket was last handed out, in a line.
function decisionText(d) {
  if (!d) return 'never handed out';
  const how = d.strategy ? ` (${d.strategy}, score ${d.score}, candidates ${d.candidates})` : '';
  return `${d.mode} to ${d.agent} at ${d.at}${how}`;
}

function renderExplain(x) {
  const rank = x.rank || {};
  fillFields($('explain-summary'), [
    ['rank', rank.value], ['rank_due', rank.due ? `${rank.due} (${rank.target})` : null],
    ['enqueued_at', rank.enqueued_at],
    ['wait_weight', rank.wait_weight === undefined ? null
      : `${rank.wait_weight}, offset ${rank.rank_offset_s}s`],
    ['requires', requiresText(x.requires)], ['decision', decisionText(x.decision)],
  ]);
  // Where it waits: one item per queue (or personal:<agent>) with how many are ahead.
  const places = (x.queues || []).map((q) => {
    const li = el('li');
    li.setAttribute('data-queue', q.name);
    const pos = el('span', 'position', String(q.position));
    pos.setAttribute('data-position', String(q.position));
    li.append(el('span', 'name', q.name), ' ', pos, q.position === 0 ? ' ahead (at the head)' : ' ahead');
    return li;
  });
  $('explain-queues').replaceChildren(...(places.length ? places : [el('li', 'none', 'not waiting')]));
  // One row per agent: every reason that stops a push, or "eligible".
  const agents = x.agents || [];
  syncRows($('explain-agents').tBodies[0], 'agent', agents.map((a) => ({
    key: a.agent,
    cells: {
      agent: a.agent,
      reasons: a.reasons && a.reasons.length ? a.reasons : (a.eligible ? 'eligible' : DASH),
      load: `${a.load} / ${a.max_concurrent}`,
      units: a.used === undefined ? DASH : `${a.used} / ${a.capacity}`,
      pull: a.pull_eligible,  // only given when one of its queues is a pull queue
    },
    flags: { eligible: a.eligible },
  })));
  const eligible = agents.filter((a) => a.eligible).length;
  $('explain-status').textContent = `${x.status}: ${eligible} of ${agents.length} agents eligible`;
}

// Empties the explain view and says why in its status.
function explainFailed(err) {
  $('explain-summary').replaceChildren();
  $('explain-queues').replaceChildren();
  $('explain-agents').tBodies[0].replaceChildren();
  partFailed('explain', err, $('explain-status'), 'the explain view needs a backend or admin token');
}

// Looks a ticket up and explains it; `quiet` (after an event about it) keeps the status line.
async function lookup(id, quiet = false) {
  const seq = ++state.lookupSeq;
  state.lookupId = id;
  const status = $('lookup-status');
  if (!quiet) status.textContent = `looking up ${id}\u2026`;
  const path = '/tickets/' + encodeURIComponent(id);
  const [t, x] = await Promise.allSettled([api(path), api(path + '/explain?limit=1000')]);
  if (seq !== state.lookupSeq) return;  // a newer lookup took over
  if (t.status === 'rejected') {
    const err = t.reason;
    if (err.status === 401) return;  // looked up again once a token is given
    $('ticket').hidden = $('explain').hidden = true;
    state.lookupId = null;
    showError('explain', '');
    if (err.status !== 404) return partFailed('lookup', err, status, 'this token may not read that ticket');
    status.textContent = `no ticket with id ${id}`;
    return showError('lookup', '');
  }
  showError('lookup', '');
  status.textContent = `${id} \u00b7 ${clock(new Date())}`;
  renderTicket(t.value);
  $('explain').hidden = false;
  if (x.status === 'rejected') return explainFailed(x.reason);
  showError('explain', '');
  renderExplain(x.value);
}

// ---- Start ------------------------------------------------------------------
// Loads everything (again): tables, polling, the feed, and the ticket on show.
function start() {
  state.needToken = false;
  state.forbidden = {};
  Object.assign(feed, { stopped: false, delay: FEED_RETRY_MIN_MS, lastId: '' });  // a fresh feed
  stopFeed();
  setFeedStatus('connecting');
  refresh();
  setPolling(true);
  connectFeed();
  if (state.lookupId) lookup(state.lookupId);
}

function init() {
  const name = WORKSPACE || 'main';
  $('workspace').textContent = name;
  document.title = `ticketd console \u00b7 ${name}`;
  // Token form: keep the token for this tab, hide the form, load everything again.
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    setToken($('token-input').value.trim());
    $('token-input').value = '';
    $('token-form').hidden = true;
    start();
  });
  // Forget token: remove it and ask for another.
  $('token-clear').addEventListener('click', () => { setToken(''); askForToken(); });
  // Ticket lookup.
  $('lookup-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const id = $('lookup-input').value.trim();
    if (id) lookup(id);
  });
  start();
}

init();
