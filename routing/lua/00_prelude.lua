-- ticketd function library: prelude shared by every function.
--
-- The build prepends `#!lua name=ticketd_v<N>` and `local FN = 'ticketd_v<N>_'` (N from
-- routing/lua/VERSION) and appends the function files in the order routing/CMakeLists.txt lists.
--
-- Conventions (shared/STYLE.md "Redis functions"):
--   KEYS[1]   the workspace prefix `ticketd:{<ws>}:`; every other key comes from key().
--   ARGV[1-5] the common header: now_ms, counted statuses (comma list), default
--             max_concurrent, event stream max length, closed-ticket retention ms.
--             Function arguments start at ARGV[6]. Time comes from ARGV, never TIME.
--   Check, then write: every check that can fail runs before the first write.
--   Errors are error replies whose first word is a stable code: TICKETD_<CODE> key=value...
--   Actions answer the ticket's new version; the daemon reads the ticket itself with an HGETALL
--   pipelined behind the call (cheaper than converting the hash through Lua).
--   Times are written as the strings they arrived as: formatting Lua numbers costs CPU.

-- Key parts: keep in step with routing/keyspace.cpp (tests/unit/routing/keyspace_test.cpp).
local KEY = {
  ticket = 't:',
  queue = 'q:',
  queue_age = 'qo:',
  queue_age_count = 'qc:',
  personal_queue = 'pq:',
  agent = 'a:',
  held = 'h:',
  agents = 'agents',
  timers = 'timers',
  events = 'events',
  settings = 'settings',
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

-- Aborts the call with a domain error. Only ever raised before the first write.
local function fail(code, detail)
  local msg = 'TICKETD_' .. code
  if detail then msg = msg .. ' ' .. detail end
  error({err = msg})
end

-- Counted-status sets by their header text, parsed once per loaded library.
local counted_sets = {}

-- The common header of ARGV. `now_ms` is the time as text (for writing), `now` as a number.
local function context(keys, argv)
  local set = counted_sets[argv[2]]
  if not set then
    set = {}
    for status in string.gmatch(argv[2], '[^,]+') do set[status] = true end
    counted_sets[argv[2]] = set
  end
  return {
    P = keys[1],
    events = keys[1] .. KEY.events,
    now_ms = argv[1],
    now = tonumber(argv[1]),
    counted = set,
    max_default = tonumber(argv[3]),
    maxlen = argv[4],
    retention = argv[5],
  }
end

local function counted(c, status)
  return c.counted[status] == true
end

local function split(list)
  local out = {}
  if list then
    for item in string.gmatch(list, '[^,]+') do out[#out + 1] = item end
  end
  return out
end

-- Appends one event to the workspace stream. `subject` is 'ticket' or 'agent'; the rest are
-- field/value pairs the event type carries.
local function emit(c, etype, subject, id, ...)
  redis.call('XADD', c.events, 'MAXLEN', '~', c.maxlen, '*', 'type', etype, subject, id,
             'at', c.now_ms, ...)
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
  return {key = tk, id = id, f = f, dirty = {}}
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
  local t = load_ticket(c, argv[6], extra)
  check_version(t, argv[7], argv[8])
  check_transition(t, action)
  return t
end

-- Writes the changed fields with the next version; returns that version.
local function commit(c, t)
  local v = tostring(tonumber(t.f.v) + 1)
  put(t, 'v', v)
  put(t, 'ua', c.now_ms)
  local sets, dels = {}, {}
  for name in pairs(t.dirty) do
    local value = t.f[name]
    if value == nil then
      dels[#dels + 1] = name
    else
      sets[#sets + 1] = name
      sets[#sets + 1] = value
    end
  end
  if #dels > 0 then redis.call('HDEL', t.key, unpack(dels)) end
  redis.call('HSET', t.key, unpack(sets))
  t.dirty = {}
  return v
end

-- Agents -------------------------------------------------------------------------------------

local function find_agent(c, id)
  local ak = key(c.P, 'agent', id)
  local f = redis.call('HMGET', ak, 'st', 'm', 'l', 'fx', 'qe', 'pn')
  if not f[1] then return nil end
  return {key = ak, id = id, st = f[1], max = tonumber(f[2]) or c.max_default,
          load = tonumber(f[3]) or 0, forced = f[4], qe = f[5], waiting = tonumber(f[6]) or 0}
end

local function load_agent(c, id)
  local a = find_agent(c, id)
  if not a then fail('NOT_FOUND', 'agent=' .. id) end
  return a
end

-- Room for one more ticket in a counted status; `already` is true when the ticket already
-- counts toward this agent's load.
local function has_room(a, already)
  if already then return true end
  return a.load < a.max
end

-- Timers -------------------------------------------------------------------------------------
-- One lifecycle slot per ticket (`l|<id>`, its kind in the ticket's `lk` field): wake,
-- affinity, close, and in later versions offer timeouts, overflow and follow-ups.

local function set_lifecycle_timer(c, t, kind, due)
  redis.call('ZADD', key(c.P, 'timers'), due, 'l|' .. t.id)
  put(t, 'lk', kind)
end

local function clear_lifecycle_timer(c, t)
  if t.f.lk then
    redis.call('ZREM', key(c.P, 'timers'), 'l|' .. t.id)
    drop(t, 'lk')
  end
end

-- Holding and load ---------------------------------------------------------------------------

-- Changes an agent's load by delta: in the caller's agent record when it passed one (the caller
-- writes it back), else in Redis.
local function adjust_load(c, rec, id, delta)
  if rec and rec.id == id then
    rec.load = rec.load + delta
  else
    redis.call('HINCRBY', key(c.P, 'agent', id), 'l', delta)
  end
end

-- Moves ticket t to `status`, held by `agent` (nil unless status is held), keeping every
-- agent's held set and load exact: load = tickets held in a counted status.
local function move(c, t, status, agent, rec)
  local old_s = t.f.s
  local old_a = assignee(t)
  if old_a and old_a ~= agent then
    redis.call('SREM', key(c.P, 'held', old_a), t.id)
    if counted(c, old_s) then adjust_load(c, rec, old_a, -1) end
  elseif old_a then
    local was, now = counted(c, old_s), counted(c, status)
    if was ~= now then adjust_load(c, rec, old_a, now and 1 or -1) end
  end
  if agent and agent ~= old_a then
    redis.call('SADD', key(c.P, 'held', agent), t.id)
    if counted(c, status) then adjust_load(c, rec, agent, 1) end
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
  if redis.call('HINCRBY', key(c.P, 'queue_age_count', queue), sec, 1) == 1 then
    redis.call('ZADD', key(c.P, 'queue_age', queue), sec, sec)
  end
end

local function age_remove(c, queue, queued_at)
  local sec = second_of(queued_at)
  local qc = key(c.P, 'queue_age_count', queue)
  if redis.call('HINCRBY', qc, sec, -1) <= 0 then
    redis.call('HDEL', qc, sec)
    redis.call('ZREM', key(c.P, 'queue_age', queue), sec)
  end
end

local function shared_queues(t)
  if t.f.qs then return split(t.f.qs) end
  return {t.f.q}
end

-- Takes a queued ticket out of every waiting set it is in.
local function unqueue(c, t)
  if t.f.s ~= 'queued' then return end
  local agent = t.f.pq
  if agent then
    redis.call('ZREM', key(c.P, 'personal_queue', agent), t.id)
    redis.call('HINCRBY', key(c.P, 'agent', agent), 'pn', -1)
    drop(t, 'pq')
    return
  end
  for _, q in ipairs(shared_queues(t)) do
    redis.call('ZREM', key(c.P, 'queue', q), t.id)
    age_remove(c, q, t.f.qa)
  end
  if t.f.qs then drop(t, 'qs') end
end

-- The queue score of a rank (integer ms, as text): the rank plus k/1024 with k counting
-- enqueues, so equal ranks go in enqueue order. The counter lives with the loaded library: it
-- only orders enqueues within one millisecond, so restarting it with the library is harmless.
-- Built as text: exact (51 bits), and no number formatting.
local enqueue_counter = 0
local fractions = {}
local function score_of(rank)
  enqueue_counter = (enqueue_counter + 1) % 1024
  local fraction = fractions[enqueue_counter]
  if not fraction then
    fraction = string.sub(string.format('%.10f', enqueue_counter / 1024), 2)
    fractions[enqueue_counter] = fraction
  end
  return rank .. fraction
end

-- Puts ticket t (not held, not waiting) into shared queue `queue` with `score`.
local function enqueue(c, t, queue, score)
  move(c, t, 'queued', nil)
  redis.call('ZADD', key(c.P, 'queue', queue), score, t.id)
  age_add(c, queue, c.now_ms)
  put(t, 'q', queue)
  put(t, 'r', score)
  put(t, 'qa', c.now_ms)
end

-- Puts ticket t into agent's personal queue (affinity) until `until_ms`.
local function enqueue_personal(c, t, agent, score, until_ms)
  move(c, t, 'queued', nil)
  redis.call('ZADD', key(c.P, 'personal_queue', agent), score, t.id)
  redis.call('HINCRBY', key(c.P, 'agent', agent), 'pn', 1)
  put(t, 'pq', agent)
  put(t, 'r', score)
  put(t, 'qa', c.now_ms)
  set_lifecycle_timer(c, t, 'affinity', until_ms)
end

-- Hands ticket t back to `agent` (its last agent): assigned when the agent is online with room;
-- waiting in the agent's personal queue until `affinity_until` when online but at capacity;
-- otherwise queued in its home queue with `rank`. Returns the new status.
local function return_to_agent(c, t, agent, rank, affinity_until)
  local a = agent and find_agent(c, agent)
  if a and a.st == 'online' then
    if has_room(a, assignee(t) == agent and counted(c, t.f.s)) then
      move(c, t, 'assigned', agent)
      redis.call('HSET', a.key, 'lt', c.now_ms)
      return 'assigned'
    end
    enqueue_personal(c, t, agent, score_of(rank), affinity_until)
    return 'queued'
  end
  enqueue(c, t, t.f.q, score_of(rank))
  return 'queued'
end

-- Registration ------------------------------------------------------------------------------

local function register(name, callback, read_only)
  local flags = {}
  if read_only then flags = {'no-writes'} end
  redis.register_function{function_name = FN .. name, callback = callback, flags = flags}
end

-- Reopening a resolved ticket: allowed until its reopen window ends (then a later message is
-- a new ticket), and counted.
-- Needs the ticket's `rw` and `ro` fields (REOPEN_FIELDS).
local REOPEN_FIELDS = {'rw', 'ro'}
local function check_and_count_reopen(c, t)
  local until_ms = tonumber(t.f.rw)
  if until_ms and c.now > until_ms then fail('CONFLICT', 'reason=reopen_window') end
  put(t, 'ro', (tonumber(t.f.ro) or 0) + 1)
  drop(t, 'rz')
  drop(t, 'rr')
  drop(t, 'rw')
end

-- A customer wrote (or an agent reopened) a ticket: it goes back to its last agent, or waits.
-- The next-reply clock starts at next_reply_due. Returns the new status.
local function customer_returns(c, t, next_reply_due, rank, affinity_until)
  unqueue(c, t)
  if next_reply_due ~= '' then put(t, 'd2', next_reply_due) end
  drop(t, 'fa')
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

-- Closes ticket t (open or resolved) and lets it expire after the retention.
local function close_ticket(c, t, via)
  unqueue(c, t)
  move(c, t, 'closed', nil)
  drop(t, 'rw')
  local v = commit(c, t)
  redis.call('PEXPIRE', t.key, c.retention)
  emit(c, 'ticket.closed', 'ticket', t.id, 'via', via)
  return v
end

-- An accept or reject must come from the agent the ticket is offered to, with the offer's token
-- when one is given, so a stale or foreign answer never moves the ticket. Needs `ot`.
local OFFER_FIELDS = {'ot'}
local function check_offer(t, agent, token)
  local holder = assignee(t)
  if agent ~= holder then fail('CONFLICT', 'reason=offer offered_to=' .. holder) end
  if token ~= '' and token ~= t.f.ot then
    fail('CONFLICT', 'reason=offer_token')
  end
end

local function agent_reply(c, id)
  local held = redis.call('SMEMBERS', key(c.P, 'held', id))
  table.sort(held)
  return {redis.call('HGETALL', key(c.P, 'agent', id)), held}
end
