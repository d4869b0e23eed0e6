-- ticketd function library: prelude shared by every function.
--
-- The build prepends `#!lua name=ticketd_v<N>` and `local FN = 'ticketd_v<N>_'` (N from
-- routing/lua/VERSION) and appends the function files in the order routing/CMakeLists.txt lists.
--
-- Conventions (shared/STYLE.md "Redis functions"):
--   KEYS[1]   the workspace prefix `ticketd:{<ws>}:`; every other key comes from key().
--   ARGV[1-2] the common header: now_ms, and the configuration epoch: the daemon stores each
--             configuration's settings once in `cfg:<epoch>` (function `configure`) and the
--             library keeps them parsed per epoch. Function arguments start at ARGV[3].
--             Time comes from ARGV, never TIME.
--   Check, then write: every check that can fail runs before the first write.
--   Errors are error replies whose first word is a stable code: TICKETD_<CODE> key=value...
--   Writing functions answer {result, assignments...}: the result (a ticket's new version,
--   'created'...) and every offer or assignment that push routing made in the same call, each
--   {ticket, agent, status, token, expires_ms, queued_ms}; the ticket functions answer the
--   result alone when there were none (see settle). The daemon reads the ticket itself
--   with an HGETALL pipelined behind the call (cheaper than converting the hash through Lua).
--   Times are written as the strings they arrived as: formatting Lua numbers costs CPU. For the
--   same reason constant arguments to redis.call are text ('1', '0'), and counts are formatted
--   once per value (count_text).

-- Key parts: keep in step with routing/keyspace.cpp (tests/unit/routing/keyspace_test.cpp).
local KEY = {
  ticket = 't:',
  queue = 'q:',
  queue_age = 'qo:',
  queue_age_count = 'qc:',
  queue_agents = 'qa:',
  personal_queue = 'pq:',
  agent = 'a:',
  held = 'h:',
  agents = 'agents',
  timers = 'timers',
  events = 'events',
  settings = 'settings',
  config = 'cfg:',
}

local function key(P, part, id)
  if id then return P .. KEY[part] .. id end
  return P .. KEY[part]
end

-- Which action may run in which status: keep in step with routing/transitions.cpp
-- (tests/integration/transition_table_test.cpp drives every pair through these functions).
local OPEN = {queued = true, offered = true, assigned = true, pending = true, postponed = true}
local ALLOWED = {
  accept = {offered = true},
  reject = {offered = true},
  reply = {assigned = true},
  ['customer-reply'] = {pending = true, postponed = true, resolved = true},
  postpone = {assigned = true},
  release = {assigned = true},
  resolve = OPEN,
  reopen = {resolved = true},
  close = {queued = true, offered = true, assigned = true, pending = true, postponed = true,
           resolved = true},
  transfer = {queued = true, offered = true, assigned = true},
  escalate = {queued = true, offered = true, assigned = true},
  reassign = OPEN,
}
local HELD = {offered = true, assigned = true, pending = true, postponed = true}

-- The hottest calls (next from one shared queue, resolve of a held ticket) are also written
-- out command by command beside the general path, and create sets the SLA timer C++ computed
-- for it; off, every call takes the general path (and create runs arm_sla). Only
-- tests/integration/fast_path_test.cpp turns them off, to hold the two to the same result.
local FAST_PATHS = true

-- How many tickets one call may hand out, and how deep it looks into a queue for a ticket an
-- agent is not cooling down for: bounds on the work of any single call.
local PUSH_LIMIT = 50
-- Written as the last index a ZRANGE reads: a number argument to redis.call is formatted as
-- text on every call.
local HEAD_SCAN_LAST = '4'   -- 5 tickets
local AGENT_SCAN_LAST = '9'  -- 10 agents

-- Aborts the call with a domain error. Only ever raised before the first write.
local function fail(code, detail)
  local msg = 'TICKETD_' .. code
  if detail then msg = msg .. ' ' .. detail end
  error({err = msg})
end

-- 'name=value,name=value' lists (cooldowns, round-robin turns). Names are ids, which may hold
-- pattern characters ('-', '.'): they are compared as text, never put into a pattern.
local function listed(list, name)
  for n, v in string.gmatch(list or '', '([^,=]+)=([^,]*)') do
    if n == name then return v end
  end
  return nil
end

-- The list with `name` set to `value`, dropping the pairs `keep(value)` refuses (nil: keep all).
local function relisted(list, name, value, keep)
  local out = {}
  for n, v in string.gmatch(list or '', '([^,=]+)=([^,]*)') do
    if n ~= name and (not keep or keep(v)) then out[#out + 1] = n .. '=' .. v end
  end
  out[#out + 1] = name .. '=' .. value
  return table.concat(out, ',')
end

local function split(list)
  local out = {}
  if list then
    for item in string.gmatch(list, '[^,]+') do out[#out + 1] = item end
  end
  return out
end

-- A whole number >= 0 as text, formatted once per value for the life of the loaded library (a
-- number given to redis.call is formatted on every call; loads and load ratios repeat).
local count_texts = {}
local function count_text(n)
  local text = count_texts[n]
  if not text then
    text = tostring(n)
    count_texts[n] = text
  end
  return text
end

-- The number a count written by count_text (or any short whole number) stands for, parsed once
-- per text for the life of the loaded library: tonumber on every read costs more than a lookup.
local count_values = {}
local function count_of(text)
  if not text then return nil end
  local n = count_values[text]
  if not n then
    n = tonumber(text)
    if #text <= 6 then count_values[text] = n end
  end
  return n
end

-- Configuration ------------------------------------------------------------------------------
-- cfg:<epoch> holds, as text: counted (comma list of statuses), max (default max_concurrent),
-- maxlen (event stream cap), retention (closed tickets, ms), affinity (ms), push ('1' when any
-- queue pushes), warn (sla.warn_before, ms) and per queue `q:<name>` = mode;strategy;accept_ms;cooldown_ms;away;overflow
-- with overflow = after_ms>queue,after_ms>queue (empty when none).

local configs = {}  -- parsed, by epoch, for the life of the loaded library

local function parse_queue(text)
  local mode, strategy, accept, cooldown, away, overflow =
      string.match(text, '^([^;]*);([^;]*);([^;]*);([^;]*);([^;]*);(.*)$')
  local q = {mode = mode, strategy = strategy, accept = tonumber(accept) or 0,
             cooldown = tonumber(cooldown) or 0, away = away == '1', overflow = {}}
  for after, to in string.gmatch(overflow or '', '(%d+)>([^,]+)') do
    q.overflow[#q.overflow + 1] = {after = tonumber(after), to = to}
  end
  return q
end

local function configuration(P, epoch)
  local cfg = configs[epoch]
  if cfg then return cfg end
  local flat = redis.call('HGETALL', P .. KEY.config .. epoch)
  if #flat == 0 then fail('UNCONFIGURED', 'epoch=' .. epoch) end
  cfg = {queues = {}}
  for i = 1, #flat, 2 do
    local name, value = flat[i], flat[i + 1]
    if string.sub(name, 1, 2) == 'q:' then
      cfg.queues[string.sub(name, 3)] = parse_queue(value)
    else
      cfg[name] = value
    end
  end
  cfg.counted_text = cfg.counted or ''
  cfg.counted = {}
  for status in string.gmatch(cfg.counted_text, '[^,]+') do cfg.counted[status] = true end
  cfg.max_default = tonumber(cfg.max) or 5
  cfg.any_push = cfg.push == '1'
  cfg.affinity_ms = tonumber(cfg.affinity) or 0
  cfg.warn_ms = tonumber(cfg.warn) or 0
  configs[epoch] = cfg
  return cfg
end

-- One call's state: the header, its configuration, the agents it touched (read once, written
-- back by settle), the pushes it owes, and the assignments it made. Seven fields in a table
-- sized for eight: Lua sizes a table's fields in powers of two, and a ninth doubles what the
-- call allocates for it (see set_args). `now` (now_of) is the eighth; a create that needs the
-- time (overflow, push) and also notes `created` pays for the ninth.
local function context(keys, argv)
  return {
    P = keys[1],
    now_ms = argv[1],
    cfg = configuration(keys[1], argv[2]),
    agents = {},
    freed = {},
    requeued = {},
    assignments = {},
  }
end

-- The call's time as a number, converted on first use (most calls only pass the text on).
local function now_of(c)
  local now = c.now
  if not now then
    now = tonumber(c.now_ms)
    c.now = now
  end
  return now
end

local function counted(c, status)
  return c.cfg.counted[status] == true
end

local function push_queue_policy(c, q)
  local pol = c.cfg.queues[q]
  if pol and pol.mode == 'push' then return pol end
  return nil
end

-- Appends one event to the workspace stream. `subject` is 'ticket' or 'agent'; the rest are
-- field/value pairs the event type carries. The stream is capped by tick (cap_events), not
-- here: a cap on every append cost each call a trim check and longer AOF entries.
local function emit(c, etype, subject, id, ...)
  redis.call('XADD', key(c.P, 'events'), '*', 'type', etype, subject, id, 'at', c.now_ms, ...)
end

-- Trims the stream to about `maxlen` entries (whole nodes, so a little over). Every daemon's
-- timer loop ticks at least once a second, so the stream passes its cap by at most that
-- second's events. Up to 100,000 entries go per call (Redis's default for `~` is 10,000, fewer
-- than a busy second writes); a cap lowered by a reload is reached over a few ticks.
local function cap_events(c)
  redis.call('XTRIM', key(c.P, 'events'), 'MAXLEN', '~', c.cfg.maxlen, 'LIMIT', '100000')
end

-- Tickets ------------------------------------------------------------------------------------
-- A ticket in memory: the hash fields an action needs in `f` (as stored, text), the names
-- changed since in `dirty`. One HMGET reads it, one HSET (and HDEL) writes it back. The
-- assignee is not stored: while the status is held it is the last agent `la`.

-- Fields every action reads (in this order); an action names any others it needs.
local function find_ticket(c, id, extra)
  local tk = key(c.P, 'ticket', id)
  local v
  if extra then
    v = redis.call('HMGET', tk, 's', 'v', 'la', 'q', 'qs', 'pq', 'qa', 'lk', 'r', unpack(extra))
  else
    v = redis.call('HMGET', tk, 's', 'v', 'la', 'q', 'qs', 'pq', 'qa', 'lk', 'r')
  end
  if not v[1] then return nil end
  -- A constructor sizes the table once; `or nil` turns HMGET's false into absent.
  local f = {s = v[1], v = v[2], la = v[3] or nil, q = v[4] or nil, qs = v[5] or nil,
             pq = v[6] or nil, qa = v[7] or nil, lk = v[8] or nil, r = v[9] or nil}
  if extra then
    for i = 1, #extra do
      if v[9 + i] then f[extra[i]] = v[9 + i] end
    end
  end
  -- Extras built with with_sla() hold every SLA field: read_sla() need not read them again.
  return {key = tk, id = id, f = f, dirty = {}, sla = extra ~= nil and extra.sla}
end

local function load_ticket(c, id, extra)
  local t = find_ticket(c, id, extra)
  if not t then fail('NOT_FOUND', 'ticket=' .. id) end
  return t
end

local function assignee(t)
  if HELD[t.f.s] then return t.f.la end
  return nil
end

local function put(t, field, value)
  t.f[field] = value
  t.dirty[field] = true
end

-- Removes a field; a field the action did not read is removed blindly.
local function drop(t, field)
  t.f[field] = nil
  t.dirty[field] = true
end

-- if_match: the client's If-Match (412 on mismatch); expect: the version C++ computed its
-- arguments from (TICKETD_STALE makes C++ read again and retry).
local function check_version(t, if_match, expect)
  local v = t.f.v
  if if_match ~= '' and if_match ~= v then fail('VERSION_MISMATCH', 'version=' .. v) end
  if expect ~= '' and expect ~= v then fail('STALE', 'version=' .. v) end
end

local function check_transition(t, action)
  if not ALLOWED[action][t.f.s] then fail('INVALID_TRANSITION', 'status=' .. t.f.s) end
end

-- The usual opening of a ticket action: load, versions, transition.
local function begin_action(c, argv, action, extra)
  local t = load_ticket(c, argv[3], extra)
  check_version(t, argv[4], argv[5])
  check_transition(t, action)
  return t
end

-- The version the next commit writes. Each version's successor is worked out once and kept
-- (versions are small counts): converting text to a number and back costs more than a lookup.
local version_after = {}
local function successor(v)
  local after = version_after[v]
  if not after then
    after = tostring(tonumber(v) + 1)
    if #v <= 4 then version_after[v] = after end
  end
  return after
end

local function next_version(t)
  return successor(t.f.v)
end

-- SLA -----------------------------------------------------------------------------------------
-- Targets 1 first_reply, 2 next_reply, 3 resolution. A running target has its due time in d<n>
-- and, once its warning or breach fired for that due time, its stage in w<n> (1 warned,
-- 2 breached). A paused target keeps its due time frozen in p<n>, paused since `ps`; C++
-- computes where it resumes. One timer per ticket, `s|<id>`, at its next warning or breach.
local TARGETS = {'first_reply', 'next_reply', 'resolution'}

local SLA_FIELDS = {'d1', 'd2', 'd3', 'w1', 'w2', 'w3', sla = true}
-- Target n's field names, spelled out: building 'd' .. n formats a number on every call.
local DUE = {'d1', 'd2', 'd3'}
local STAGE = {'w1', 'w2', 'w3'}
local PAUSED = {'p1', 'p2', 'p3'}

-- A list of extra ticket fields plus the SLA fields, marked so find_ticket notes they are read.
local function with_sla(list)
  -- Runs while the library loads, where only the bare language is at hand (no ipairs).
  local out = {sla = true}
  for i = 1, #list do out[#out + 1] = list[i] end
  for i = 1, #SLA_FIELDS do out[#out + 1] = SLA_FIELDS[i] end
  return out
end

-- Reads the SLA fields once per ticket and call (unless they came with the ticket, see
-- with_sla): afterwards t.f holds them, so only fields that exist are deleted.
local function read_sla(t)
  if t.sla then return end
  local stored = redis.call('HMGET', t.key, unpack(SLA_FIELDS))
  for i, name in ipairs(SLA_FIELDS) do
    if not t.dirty[name] then t.f[name] = stored[i] or nil end
  end
  t.sla = true
end

-- Sets (or, with nil, stops) target n's due time; its warning and breach are owed again.
local function set_due(t, n, due)
  read_sla(t)
  local dn, wn = DUE[n], STAGE[n]
  if due then
    put(t, dn, due)
  elseif t.f[dn] then
    drop(t, dn)
  end
  if t.f[wn] then drop(t, wn) end
end

-- Stops running target n and keeps its due time for resuming.
local function pause_due(c, t, n)
  read_sla(t)
  local due = t.f[DUE[n]]
  if not due then return end
  put(t, PAUSED[n], due)
  put(t, 'ps', c.now_ms)
  set_due(t, n, nil)
end

-- Puts the SLA timer at the next warning or breach of the running targets (or removes it).
local function arm_sla(c, t)
  read_sla(t)
  local at
  for n = 1, 3 do
    local due = tonumber(t.f[DUE[n]])
    if due then
      local stage = tonumber(t.f[STAGE[n]]) or 0
      local when
      if stage == 0 and c.cfg.warn_ms > 0 then
        when = due - c.cfg.warn_ms
      elseif stage < 2 then
        when = due
      end
      if when and (not at or when < at) then at = when end
    end
  end
  if at then
    redis.call('ZADD', key(c.P, 'timers'), at, 's|' .. t.id)
  else
    redis.call('ZREM', key(c.P, 'timers'), 's|' .. t.id)
  end
end

-- The argument lists of the HSETs and HDELs that write tickets and agents back, built in place
-- and kept for the life of the loaded library (one call runs at a time; a list is used up by
-- the redis.call it was built for). A call's Lua work is mostly paid through the garbage
-- collector, about 6 instructions per byte allocated (bench/README.md), and growing a new list
-- for every write allocated more than the fields it carried.
local set_args, del_args = {}, {}

-- Writes the changed fields as they are (no new version: bookkeeping such as SLA stages).
local function write_fields(c, t)
  if t.dirty.d1 or t.dirty.d2 or t.dirty.d3 then arm_sla(c, t) end
  if t.slot_cleared then
    redis.call('ZREM', key(c.P, 'timers'), 'l|' .. t.id)
    t.slot_cleared = nil
  end
  local ns, nd = 0, 0
  for name in pairs(t.dirty) do
    local value = t.f[name]
    if value == nil then
      nd = nd + 1
      del_args[nd] = name
    else
      set_args[ns + 1] = name
      set_args[ns + 2] = value
      ns = ns + 2
    end
  end
  if nd > 0 then redis.call('HDEL', t.key, unpack(del_args, 1, nd)) end
  if ns > 0 then redis.call('HSET', t.key, unpack(set_args, 1, ns)) end
  t.dirty = {}
end

-- Writes the changed fields with the next version; returns that version.
local function commit(c, t)
  local v = next_version(t)
  put(t, 'v', v)
  put(t, 'ua', c.now_ms)
  write_fields(c, t)
  return v
end

-- Agents -------------------------------------------------------------------------------------
-- An agent record, read at most once per call and cached in c.agents (false: no such agent).
-- Changes to load, status and last assignment are made on the record and written by settle(),
-- which also keeps the push queues' availability indexes (qa:<queue>) in step.

-- What push routing ranks agents by (lt, ss, rr) is read only while some queue pushes: each
-- field read costs about half what a small command costs. The forced-excess mark (fx) is read
-- by verify alone.
local function agent_rec(c, id)
  local a = c.agents[id]
  if a == nil then
    local ak = key(c.P, 'agent', id)
    local f
    if c.cfg.any_push then
      f = redis.call('HMGET', ak, 'st', 'm', 'l', 'qe', 'pn', 'lt', 'ss', 'rr')
    else
      f = redis.call('HMGET', ak, 'st', 'm', 'l', 'qe', 'pn')
    end
    if f[1] then
      a = {key = ak, id = id, st = f[1], max = count_of(f[2]) or c.cfg.max_default,
           load = count_of(f[3]) or 0, qe = f[4], waiting = count_of(f[5]) or 0,
           lt = f[6] or nil, ss = f[7] or '0', rr = f[8] or '', changed = {}}
    else
      a = false
    end
    c.agents[id] = a
  end
  return a or nil
end

local function load_agent(c, id)
  local a = agent_rec(c, id)
  if not a then fail('NOT_FOUND', 'agent=' .. id) end
  return a
end

-- Room for one more ticket in a counted status; `already` is true when the ticket already
-- counts toward this agent's load.
local function has_room(a, already)
  if already then return true end
  return a.load < a.max
end

local function available(a)
  return a.st == 'online' and a.load < a.max
end

-- When this agent last got a ticket from queue q (round robin), from its `rr` field
-- (queue=ms,queue=ms).
local function last_from(a, q)
  return listed(a.rr, q) or '0'
end

-- Marks fields of agent record a as changed (written back by write_agent).
local function touch(a, name, other)
  a.changed[name] = true
  if other then a.changed[other] = true end
end

local function set_last_from(a, q, ms)
  a.rr = relisted(a.rr, q, ms)
  touch(a, 'rr')
end

-- An agent's place in a push queue's availability index: lowest goes first.
--   least_loaded: load/max in 1/10000 steps, then longest idle (seconds since last ticket);
--   longest_idle: time of its last ticket (or of coming online);
--   round_robin:  time of its last ticket from this queue.
local function availability_score(a, q, pol)
  local idle = a.lt or a.ss
  if pol.strategy == 'longest_idle' then return idle end
  if pol.strategy == 'round_robin' then return last_from(a, q) end
  -- The ratio, then the seconds of the ms time `idle` as 10 digits: text, not formatting.
  local seconds = string.sub(idle, 1, -4)
  if #seconds < 10 then seconds = string.rep('0', 10 - #seconds) .. seconds end
  return count_text(math.floor(a.load * 10000 / a.max)) .. seconds
end

local function refresh_availability(c, a)
  for q in string.gmatch(a.qe or '', '[^,]+') do
    local pol = push_queue_policy(c, q)
    if pol then
      local qa = key(c.P, 'queue_agents', q)
      if available(a) then
        redis.call('ZADD', qa, availability_score(a, q, pol), a.id)
      else
        redis.call('ZREM', qa, a.id)
      end
    end
  end
end

-- Writes an agent record's changed fields back and refreshes its place in the push queues.
local AGENT_FIELD = {l = 'load', st = 'st', ss = 'ss', lt = 'lt', rr = 'rr'}
local function write_agent(c, a)
  local n = 0
  for name in pairs(a.changed) do
    local value = a[AGENT_FIELD[name]]
    if name == 'l' then value = count_text(value) end
    set_args[n + 1] = name
    set_args[n + 2] = value
    n = n + 2
  end
  if n > 0 then redis.call('HSET', a.key, unpack(set_args, 1, n)) end
  if c.cfg.any_push then refresh_availability(c, a) end
  a.changed = {}
end

-- Sets an agent's presence.
local function set_status(c, a, status)
  a.st = status
  a.ss = c.now_ms
  touch(a, 'st', 'ss')
end

-- Changes an agent's load by delta (1 or -1). Without push queues an agent the call did not
-- read is changed in place (one command); otherwise through its record, so the indexes follow.
local function adjust_load(c, id, delta)
  local a = c.agents[id]
  if a == nil and not c.cfg.any_push then
    redis.call('HINCRBY', key(c.P, 'agent', id), 'l', delta < 0 and '-1' or '1')
    if delta < 0 then c.freed[id] = true end
    return
  end
  a = agent_rec(c, id)
  if not a then return end
  a.load = a.load + delta
  touch(a, 'l')
  if delta < 0 then c.freed[id] = true end
end

-- Marks that an agent just got a ticket (pushed from queue q with policy pol, or nil). Only
-- round robin reads when an agent last got a ticket from a given queue, so only it records that.
local function note_assigned(c, a, q, pol)
  a.lt = c.now_ms
  touch(a, 'lt')
  if q and pol.strategy == 'round_robin' then set_last_from(a, q, c.now_ms) end
end

-- Timers -------------------------------------------------------------------------------------
-- One lifecycle slot per ticket (`l|<id>`, its kind in the ticket's `lk` field): wake,
-- affinity, close, offer (timeout), overflow, and later follow-ups. Beside it: `s|<id>` (SLA)
-- and `c|<id>` (a rejected or missed offer's cooldown ended: push the ticket's queues again).

-- A cleared slot is removed when the ticket is written (write_fields), unless the same call set
-- it again meanwhile (a status change clears it, the new status often sets it): one ZADD, not a
-- ZREM and a ZADD.
local function set_lifecycle_timer(c, t, kind, due)
  redis.call('ZADD', key(c.P, 'timers'), due, 'l|' .. t.id)
  put(t, 'lk', kind)
  t.slot_cleared = nil
end

local function clear_lifecycle_timer(_, t)
  if t.f.lk then
    drop(t, 'lk')
    t.slot_cleared = true
  end
end

-- Holding and load ---------------------------------------------------------------------------

-- Moves ticket t to `status`, held by `agent` (nil unless status is held), keeping every
-- agent's held set and load exact: load = tickets held in a counted status.
local function move(c, t, status, agent)
  local old_s = t.f.s
  local old_a = assignee(t)
  if old_a and old_a ~= agent then
    redis.call('SREM', key(c.P, 'held', old_a), t.id)
    if counted(c, old_s) then adjust_load(c, old_a, -1) end
    -- A follow-up schedule belongs to the agent that replied: it ends when that agent lets go.
    drop(t, 'fc')
  elseif old_a then
    local was, now = counted(c, old_s), counted(c, status)
    if was ~= now then adjust_load(c, old_a, now and 1 or -1) end
  end
  if agent and agent ~= old_a then
    redis.call('SADD', key(c.P, 'held', agent), t.id)
    if counted(c, status) then adjust_load(c, agent, 1) end
  end
  if status ~= old_s then
    clear_lifecycle_timer(c, t)
    put(t, 's', status)
  end
  if agent and agent ~= t.f.la then put(t, 'la', agent) end
end

-- Waiting sets -------------------------------------------------------------------------------
-- A queued ticket waits either in one agent's personal queue (`pq` = agent) or in its home
-- queue `q` plus the queues it overflowed to (`qs`, comma list, absent when only `q`).
-- Each shared queue keeps an age index: per enqueue second, how many of its tickets wait.

-- The epoch second of a millisecond time written as text.
local function second_of(ms)
  return string.sub(ms, 1, -4)
end

local function age_add(c, queue, queued_at)
  local sec = second_of(queued_at)
  if redis.call('HINCRBY', key(c.P, 'queue_age_count', queue), sec, '1') == 1 then
    redis.call('ZADD', key(c.P, 'queue_age', queue), sec, sec)
  end
end

local function age_remove(c, queue, queued_at)
  local sec = second_of(queued_at)
  local qc = key(c.P, 'queue_age_count', queue)
  if redis.call('HINCRBY', qc, sec, '-1') <= 0 then
    redis.call('HDEL', qc, sec)
    redis.call('ZREM', key(c.P, 'queue_age', queue), sec)
  end
end

local function shared_queues(t)
  if t.f.qs then return split(t.f.qs) end
  return {t.f.q}
end

local function leave_queue(c, t, q)
  redis.call('ZREM', key(c.P, 'queue', q), t.id)
  age_remove(c, q, t.f.qa)
end

-- Takes a queued ticket out of every waiting set it is in.
local function unqueue(c, t)
  if t.f.s ~= 'queued' or t.unlisted then return end
  local agent = t.f.pq
  if agent then
    redis.call('ZREM', key(c.P, 'personal_queue', agent), t.id)
    redis.call('HINCRBY', key(c.P, 'agent', agent), 'pn', '-1')
    drop(t, 'pq')
    return
  end
  if t.f.qs then
    for q in string.gmatch(t.f.qs, '[^,]+') do leave_queue(c, t, q) end
    drop(t, 'qs')
  else
    leave_queue(c, t, t.f.q)  -- only its home queue (no list built)
  end
end

-- The queue score of a rank (integer ms >= 0, as text): rank * 1000 + k, with k counting
-- enqueues modulo 1000, so equal ranks go in enqueue order. Written by appending k's three
-- digits (no arithmetic, no number formatting); exact as a double for ranks up to 9e12 ms (C++
-- clamps ranks into that range), and stored as an integer in the ticket's hash, which keeps it
-- small. The counter lives with the loaded library: it only orders enqueues within one
-- millisecond, so restarting it with the library is harmless.
local enqueue_counter = 0
local score_digits = {}  -- k -> its three digits, filled as used
local function score_of(rank)
  enqueue_counter = (enqueue_counter + 1) % 1000
  local digits = score_digits[enqueue_counter]
  if not digits then
    digits = string.format('%03d', enqueue_counter)
    score_digits[enqueue_counter] = digits
  end
  return rank .. digits
end

-- The rank (as text) of a queue score written by score_of.
local function rank_of(score)
  if not score then return nil end
  local n = #score
  if n <= 3 then return '0' end
  return string.sub(score, 1, n - 3)
end

-- Adds a waiting ticket to one more shared queue (overflow): same score, same age.
local function add_to_queue(c, t, queue)
  redis.call('ZADD', key(c.P, 'queue', queue), t.f.r, t.id)
  age_add(c, queue, t.f.qa)
  local list = t.f.qs or t.f.q
  put(t, 'qs', list .. ',' .. queue)
end

-- Overflow of a ticket waiting in its home queue: steps already due apply now, the next one
-- gets the lifecycle timer (its step number in `os`).
local function arm_overflow(c, t, from_step)
  local pol = c.cfg.queues[t.f.q]
  if not pol or #pol.overflow == 0 then return end
  local queued_at = tonumber(t.f.qa)
  for i = from_step, #pol.overflow do
    local step = pol.overflow[i]
    local due = queued_at + step.after
    if due > now_of(c) then
      put(t, 'os', tostring(i))
      set_lifecycle_timer(c, t, 'overflow', due)
      return
    end
    add_to_queue(c, t, step.to)
    c.requeued[step.to] = true
  end
  drop(t, 'os')
end

-- Puts ticket t (not held, not waiting) into shared queue `queue` with `score`; it has waited
-- since `queued_at` (now unless it returns from an offer with its place kept).
local function enqueue(c, t, queue, score, queued_at)
  move(c, t, 'queued', nil)
  -- A queued ticket moving queues (transfer, escalation) keeps no timer of its old queue
  -- (move() cleared it for any other status).
  if t.f.lk == 'overflow' then drop(t, 'os') end
  clear_lifecycle_timer(c, t)
  local since = queued_at or c.now_ms
  redis.call('ZADD', key(c.P, 'queue', queue), score, t.id)
  age_add(c, queue, since)
  put(t, 'q', queue)
  put(t, 'r', score)
  put(t, 'qa', since)
  arm_overflow(c, t, 1)
  c.requeued[queue] = true
end

-- Puts ticket t into agent's personal queue (affinity) until `until_ms`.
local function enqueue_personal(c, t, agent, score, until_ms)
  move(c, t, 'queued', nil)
  redis.call('ZADD', key(c.P, 'personal_queue', agent), score, t.id)
  redis.call('HINCRBY', key(c.P, 'agent', agent), 'pn', '1')
  put(t, 'pq', agent)
  put(t, 'r', score)
  put(t, 'qa', c.now_ms)
  set_lifecycle_timer(c, t, 'affinity', until_ms)
end

-- Cooldowns: agents that rejected or missed a ticket's offer are not offered it again until a
-- time; kept in the ticket's `cd` field as agent=ms pairs.
local function cooling(t, agent, now)
  local untl = tonumber(listed(t.f.cd, agent))
  return untl ~= nil and untl > now
end

-- The agent gave ticket t back (rejected or missed offer, release): it is skipped for the
-- ticket for the queue's reject_cooldown, and when that ends a retry timer pushes the ticket's
-- queues again (nothing else would if no other work moved, e.g. a lone agent).
local function cool_down(c, t, agent, queue)
  local pol = c.cfg.queues[queue]
  local ms = pol and pol.cooldown or 0
  if ms <= 0 then return end
  local now = now_of(c)
  put(t, 'cd', relisted(t.f.cd, agent, tostring(now + ms),
                        function(untl) return tonumber(untl) > now end))
  redis.call('ZADD', key(c.P, 'timers'), now + ms, 'c|' .. t.id)
end

-- Push ----------------------------------------------------------------------------------------

-- Offers (with accept_timeout) or assigns waiting ticket t to agent record a for push queue q
-- (nil: from the agent's personal queue).
local function hand_to(c, t, a, q, pol)
  local queued_at = t.f.qa
  unqueue(c, t)
  local status, token, expires = 'assigned', '', ''
  if pol.accept > 0 then
    status = 'offered'
    move(c, t, 'offered', a.id)
    token = next_version(t)
    expires = tostring(now_of(c) + pol.accept)
    put(t, 'ot', token)
    put(t, 'oq', q)
    set_lifecycle_timer(c, t, 'offer', expires)
  else
    move(c, t, 'assigned', a.id)
  end
  note_assigned(c, a, q, pol)
  write_agent(c, a)
  commit(c, t)
  if status == 'offered' then
    emit(c, 'ticket.offered', 'ticket', t.id, 'agent', a.id, 'token', token, 'expires', expires,
         'queue', q)
  else
    emit(c, 'ticket.assigned', 'ticket', t.id, 'agent', a.id, 'via', 'push', 'queue', q or t.f.q)
  end
  c.assignments[#c.assignments + 1] = {t.id, a.id, status, token, expires, queued_at or ''}
end

local COOLDOWN_FIELDS = {'cd'}

-- The best available agent of push queue q for ticket t (nil when none).
-- The first of `candidates` (the head of a queue's availability index) that may take t.
local function pick_agent(c, candidates, t)
  for _, id in ipairs(candidates) do
    if not cooling(t, id, now_of(c)) then
      local a = agent_rec(c, id)
      if a and available(a) then return a end
    end
  end
  return nil
end

-- Hands queue q's waiting tickets, lowest rank first, to its available agents.
local function push_queue(c, q)
  local pol = push_queue_policy(c, q)
  if not pol then return end
  local qkey = key(c.P, 'queue', q)
  local akey = key(c.P, 'queue_agents', q)
  for _ = 1, PUSH_LIMIT do
    local candidates = redis.call('ZRANGE', akey, '0', AGENT_SCAN_LAST)
    if #candidates == 0 then return end
    local handed = false
    local heads = redis.call('ZRANGE', qkey, '0', HEAD_SCAN_LAST)
    for _, id in ipairs(heads) do
      -- A ticket this call created is known whole (a new ticket has no cooldowns).
      local t = c.created
      if not t or t.id ~= id then t = load_ticket(c, id, COOLDOWN_FIELDS) end
      local a = pick_agent(c, candidates, t)
      if a then
        hand_to(c, t, a, q, pol)
        handed = true
        break
      end
    end
    -- Handing out the only waiting ticket emptied the queue: nothing is left to look at.
    if not handed or #heads == 1 then return end
  end
end

-- A ticket just created into push queue q, with nothing waiting in q, goes straight to an
-- available agent: it never enters the queue's sets (a sorted-set add and remove and the age
-- index's two updates saved). Returns whether it was handed; if not, it waits as usual.
local function hand_new(c, t, q, pol)
  if redis.call('EXISTS', key(c.P, 'queue', q)) == 1 then return false end
  local a = pick_agent(c, redis.call('ZRANGE', key(c.P, 'queue_agents', q), '0', AGENT_SCAN_LAST), t)
  if not a then return false end
  t.unlisted = true  -- in no waiting set: unqueue() has nothing to take it out of
  hand_to(c, t, a, q, pol)
  t.unlisted = nil
  return true
end

-- Hands agent a, which has room, the lowest-rank waiting tickets of its push queues and of its
-- personal queue (customer replies that waited for it, when their home queue pushes; they are
-- its own tickets coming back, so they are assigned, never offered).
local PERSONAL = {accept = 0}
local function push_agent(c, a)
  for _ = 1, PUSH_LIMIT do
    if not available(a) then return end
    local best, best_score, best_q, best_pol
    if a.waiting > 0 then
      local heads = redis.call('ZRANGE', key(c.P, 'personal_queue', a.id), '0', '0', 'WITHSCORES')
      if heads[1] then
        local t = load_ticket(c, heads[1])
        if push_queue_policy(c, t.f.q) then
          best, best_score, best_pol = t, tonumber(heads[2]), PERSONAL
        end
      end
    end
    for q in string.gmatch(a.qe or '', '[^,]+') do
      local pol = push_queue_policy(c, q)
      if pol then
        local heads = redis.call('ZRANGE', key(c.P, 'queue', q), '0', HEAD_SCAN_LAST, 'WITHSCORES')
        for i = 1, #heads, 2 do
          local score = tonumber(heads[i + 1])
          if best_score and score >= best_score then break end
          local t = load_ticket(c, heads[i], COOLDOWN_FIELDS)
          if not cooling(t, a.id, now_of(c)) then
            best, best_score, best_q, best_pol = t, score, q, pol
            break
          end
        end
      end
    end
    if not best then return end
    if best_pol == PERSONAL then a.waiting = a.waiting - 1 end
    hand_to(c, best, a, best_q, best_pol)
  end
end

-- Ends every writing call: pushes owed to queues that got tickets back and to agents that got
-- room, writes the agents it changed, and answers {result, assignments...}, or the result
-- alone when the call handed nothing out: Redis converts a table reply for about 5,000
-- instructions more than a bare value (bench/README.md). C++ reads both
-- (routing/functions.cpp, reply_result).
local function settle(c, result)
  if c.cfg.any_push then
    for q in pairs(c.requeued) do push_queue(c, q) end
    for id in pairs(c.freed) do
      local a = agent_rec(c, id)
      if a then push_agent(c, a) end
    end
  end
  for _, a in pairs(c.agents) do
    if a and next(a.changed) then write_agent(c, a) end
  end
  if #c.assignments == 0 then return result end
  local out = {result}
  for i = 1, #c.assignments do out[i + 1] = c.assignments[i] end
  return out
end

-- Returning tickets ---------------------------------------------------------------------------

-- Hands ticket t back to `agent` (its last agent): assigned when the agent is online with room;
-- waiting in the agent's personal queue until `affinity_until` when online but at capacity;
-- otherwise queued in its home queue with `rank`. Returns the new status.
local function return_to_agent(c, t, agent, rank, affinity_until)
  local a = agent and agent_rec(c, agent)
  if a and a.st == 'online' then
    if has_room(a, assignee(t) == agent and counted(c, t.f.s)) then
      move(c, t, 'assigned', agent)
      note_assigned(c, a, nil)
      return 'assigned'
    end
    enqueue_personal(c, t, agent, score_of(rank), affinity_until)
    return 'queued'
  end
  enqueue(c, t, t.f.q, score_of(rank))
  return 'queued'
end

-- Reopening a resolved ticket: allowed until its reopen window ends (then a later message is
-- a new ticket), and counted. Needs the ticket's REOPEN_FIELDS.
local REOPEN_FIELDS = {'rw', 'ro'}
local function check_and_count_reopen(c, t)
  local until_ms = tonumber(t.f.rw)
  if until_ms and now_of(c) > until_ms then fail('CONFLICT', 'reason=reopen_window') end
  put(t, 'ro', (tonumber(t.f.ro) or 0) + 1)
  drop(t, 'rz')
  drop(t, 'rr')
  drop(t, 'rw')
end

-- What a pause keeps, by the status that paused: postponed keeps the reply targets (p1, p2),
-- their due times at the wake-up (z1, z2), the wake-up and its rank; resolved keeps resolution.
local PAUSE_FIELDS = {postponed = {'p1', 'p2', 'z1', 'z2', 'ps', 'pu', 'zr'}, resolved = {'p3', 'ps'}}

-- Drops what the pause of status `was` kept (nothing for other statuses).
local function end_pause(t, was)
  local fields = PAUSE_FIELDS[was]
  if not fields then return end
  for _, name in ipairs(fields) do drop(t, name) end
end

-- A customer wrote (or an agent reopened) a ticket: it goes back to its last agent, or waits.
-- `dues`: the due times C++ computed for first reply, next reply and resolution ('' leaves a
-- target as it is); paused targets resume with them. Any customer contact ends the follow-up
-- cadence. Returns the new status.
local function customer_returns(c, t, dues, rank, affinity_until)
  for n = 1, 3 do
    if dues[n] ~= '' then set_due(t, n, dues[n]) end
  end
  end_pause(t, t.f.s)
  drop(t, 'fa')
  drop(t, 'fc')
  put(t, 'cr', c.now_ms)
  return return_to_agent(c, t, t.f.la, rank, affinity_until)
end

-- The event of a ticket handed back (customer_returns, wake-up): where it went.
local function emit_returned(c, t, status, via)
  if status == 'assigned' then
    emit(c, 'ticket.assigned', 'ticket', t.id, 'agent', t.f.la, 'via', via)
  elseif t.f.pq then
    emit(c, 'ticket.queued', 'ticket', t.id, 'agent', t.f.pq, 'via', via)
  else
    emit(c, 'ticket.queued', 'ticket', t.id, 'queue', t.f.q, 'via', via)
  end
end

-- Offers --------------------------------------------------------------------------------------

-- An accept or reject must come from the agent the ticket is offered to, with the offer's token
-- when one is given, so a stale or foreign answer never moves the ticket. Needs OFFER_FIELDS.
local OFFER_FIELDS = {'ot', 'oq', 'cd'}
local function check_offer(t, agent, token)
  local holder = assignee(t)
  if agent ~= holder then fail('CONFLICT', 'reason=offer offered_to=' .. holder) end
  if token ~= '' and token ~= t.f.ot then
    fail('CONFLICT', 'reason=offer_token')
  end
end

-- An offered ticket goes back to where it waited, with its rank and its wait kept; the agent
-- cools down for it. `outcome`: rejected, timeout or withdrawn (the agent went offline).
local function withdraw_offer(c, t, outcome, reason)
  local agent = assignee(t)
  local q = t.f.oq or t.f.q
  local pol = c.cfg.queues[q]
  cool_down(c, t, agent, q)
  drop(t, 'ot')
  drop(t, 'oq')
  enqueue(c, t, t.f.q, t.f.r, t.f.qa)
  if outcome == 'timeout' and pol and pol.away then
    local a = agent_rec(c, agent)
    if a and a.st == 'online' then
      set_status(c, a, 'away')
      emit(c, 'agent.status', 'agent', agent, 'status', 'away', 'via', 'offer_timeout')
    end
  end
  local v = commit(c, t)
  emit(c, 'offer.' .. outcome, 'ticket', t.id, 'agent', agent, 'reason', reason or '')
  emit(c, 'ticket.queued', 'ticket', t.id, 'queue', t.f.q, 'via', outcome)
  return v
end

-- Closing --------------------------------------------------------------------------------------

-- Closes ticket t (open or resolved) and lets it expire after the retention.
local function close_ticket(c, t, via)
  local holder = assignee(t)
  end_pause(t, t.f.s)
  unqueue(c, t)
  move(c, t, 'closed', nil)
  drop(t, 'rw')
  for n = 1, 3 do set_due(t, n, nil) end
  local v = commit(c, t)
  redis.call('PEXPIRE', t.key, c.cfg.retention)
  emit(c, 'ticket.closed', 'ticket', t.id, 'via', via, 'holder', holder or '')
  return v
end

-- Resolving ---------------------------------------------------------------------------------

-- Resolves ticket t (any open status): reply targets stop, resolution pauses (a reopen resumes
-- it), the follow-up cadence ends; it may reopen until `reopen_until` and closes at `close_at`.
local function resolve_ticket(c, t, reason, reopen_until, close_at)
  unqueue(c, t)
  -- Resolving ends a postponement's pause; resolution pauses below.
  end_pause(t, t.f.s)
  move(c, t, 'resolved', nil)
  put(t, 'rr', reason)
  put(t, 'rz', c.now_ms)
  put(t, 'rw', reopen_until)
  set_lifecycle_timer(c, t, 'close', close_at)
  set_due(t, 1, nil)
  set_due(t, 2, nil)
  pause_due(c, t, 3)
  local v = commit(c, t)
  emit(c, 'ticket.resolved', 'ticket', t.id, 'reason', reason, 'agent', t.f.la or '')
  return v
end

-- Follow-up cadence -------------------------------------------------------------------------
-- `fc`: the schedule C++ computed at the first agent reply after the customer's last message,
-- 'followup,followup,...;resolve_at;reopen_until;close_at' (resolve part empty when none);
-- `fa`: how many follow-ups fell due. It runs while the agent holds the ticket (pending, or
-- assigned after a follow-up fell due) on the lifecycle slot.
local function parse_cadence(fc)
  local list, resolve_at, reopen_until, close_at =
      string.match(fc, '^([^;]*);([^;]*);([^;]*);(.*)$')
  return split(list), resolve_at or '', reopen_until or '', close_at or ''
end

local function arm_cadence(c, t)
  if not t.f.fc or (t.f.s ~= 'pending' and t.f.s ~= 'assigned') then return end
  local list, resolve_at = parse_cadence(t.f.fc)
  local done = tonumber(t.f.fa) or 0
  if done < #list then
    set_lifecycle_timer(c, t, 'followup', list[done + 1])
  elseif resolve_at ~= '' then
    set_lifecycle_timer(c, t, 'unresponsive', resolve_at)
  end
end

local function agent_reply(c, id)
  local held = redis.call('SMEMBERS', key(c.P, 'held', id))
  table.sort(held)
  return {redis.call('HGETALL', key(c.P, 'agent', id)), held}
end

-- settle() answering a list whatever was handed out: {result, assignments...}.
local function settle_list(c, result)
  local out = settle(c, result)
  if type(out) ~= 'table' then return {out} end
  return out
end

-- settle() for the agent functions: {agent fields, held ticket ids, assignments...}.
local function settle_agent(c, id)
  local out = settle_list(c, 0)
  local reply = agent_reply(c, id)
  out[1] = reply[1]
  table.insert(out, 2, reply[2])
  return out
end

-- Registration ------------------------------------------------------------------------------

local function register(name, callback, read_only)
  local flags = {}
  if read_only then flags = {'no-writes'} end
  redis.register_function{function_name = FN .. name, callback = callback, flags = flags}
end
