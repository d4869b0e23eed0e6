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
--   Tickets are returned as flat field/value arrays (HGETALL form); C++ decodes them.

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
  sequence = 'seq',
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

-- The common header of ARGV.
local function context(keys, argv)
  return {
    P = keys[1],
    now = tonumber(argv[1]),
    counted = ',' .. argv[2] .. ',',
    max_default = tonumber(argv[3]),
    maxlen = argv[4],
    retention = tonumber(argv[5]),
  }
end

local function counted(c, status)
  return string.find(c.counted, ',' .. status .. ',', 1, true) ~= nil
end

local function split(list)
  local out = {}
  if list then
    for item in string.gmatch(list, '[^,]+') do out[#out + 1] = item end
  end
  return out
end

-- Appends one event to the workspace stream. `subject` is 'ticket' or 'agent'.
local function emit(c, etype, subject, id, extra)
  local args = {key(c.P, 'events'), 'MAXLEN', '~', c.maxlen, '*',
                'type', etype, subject, id, 'at', c.now}
  if extra then
    for i = 1, #extra do args[#args + 1] = extra[i] end
  end
  redis.call('XADD', unpack(args))
end

-- Tickets ------------------------------------------------------------------------------------

local TICKET_FIELDS = {'s', 'q', 'qs', 'pq', 'a', 'la', 'r', 'v', 'qa', 'lk', 'p'}

local function find_ticket(c, id)
  local tk = key(c.P, 'ticket', id)
  local f = redis.call('HMGET', tk, unpack(TICKET_FIELDS))
  if not f[1] then return nil end
  return {key = tk, id = id, s = f[1], q = f[2], qs = f[3], pq = f[4], a = f[5] or nil,
          la = f[6] or nil, r = f[7], v = tonumber(f[8]), qa = f[9], lk = f[10], p = f[11],
          set = {}, del = {}}
end

local function load_ticket(c, id)
  local t = find_ticket(c, id)
  if not t then fail('NOT_FOUND', 'ticket=' .. id) end
  return t
end

-- if_match: the client's If-Match (412 on mismatch); expect: the version C++ computed its
-- arguments from (TICKETD_STALE makes C++ read again and retry).
local function check_version(t, if_match, expect)
  if if_match ~= '' and tonumber(if_match) ~= t.v then
    fail('VERSION_MISMATCH', 'version=' .. t.v)
  end
  if expect ~= '' and tonumber(expect) ~= t.v then fail('STALE', 'version=' .. t.v) end
end

local function check_transition(t, action)
  if not ALLOWED[action][t.s] then fail('INVALID_TRANSITION', 'status=' .. t.s) end
end

-- The usual opening of a ticket action: load, versions, transition.
local function begin_action(c, argv, action)
  local t = load_ticket(c, argv[6])
  check_version(t, argv[7], argv[8])
  check_transition(t, action)
  return t
end

local function put(t, field, value)
  t.set[#t.set + 1] = field
  t.set[#t.set + 1] = value
end

local function drop(t, field)
  t.del[#t.del + 1] = field
end

-- Writes the accumulated field changes with the next version and returns the ticket.
local function commit(c, t)
  put(t, 'v', t.v + 1)
  put(t, 'ua', c.now)
  if #t.del > 0 then redis.call('HDEL', t.key, unpack(t.del)) end
  redis.call('HSET', t.key, unpack(t.set))
  t.v = t.v + 1
  t.set, t.del = {}, {}
end

local function ticket_reply(t)
  return redis.call('HGETALL', t.key)
end

-- Agents -------------------------------------------------------------------------------------

local function find_agent(c, id)
  local ak = key(c.P, 'agent', id)
  local f = redis.call('HMGET', ak, 'st', 'm', 'l', 'fx')
  if not f[1] then return nil end
  return {key = ak, id = id, st = f[1], max = tonumber(f[2]) or c.max_default,
          load = tonumber(f[3]) or 0, forced = f[4]}
end

local function load_agent(c, id)
  local a = find_agent(c, id)
  if not a then fail('NOT_FOUND', 'agent=' .. id) end
  return a
end

-- Capacity the agent still has for one more ticket in a counted status; `already` is true when
-- the ticket already counts toward this agent's load.
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
  t.lk = kind
end

local function clear_lifecycle_timer(c, t)
  if t.lk then
    redis.call('ZREM', key(c.P, 'timers'), 'l|' .. t.id)
    drop(t, 'lk')
    t.lk = nil
  end
end

-- Holding and load ---------------------------------------------------------------------------

-- Moves ticket t to `status`, held by `agent` (nil unless status is held), keeping every
-- agent's held set and load exact: load = tickets held in a counted status.
local function move(c, t, status, agent)
  local old_s, old_a = t.s, t.a
  if old_a and old_a ~= agent then
    redis.call('SREM', key(c.P, 'held', old_a), t.id)
    if counted(c, old_s) then redis.call('HINCRBY', key(c.P, 'agent', old_a), 'l', -1) end
  elseif old_a then
    local was, now = counted(c, old_s), counted(c, status)
    if was ~= now then
      redis.call('HINCRBY', key(c.P, 'agent', old_a), 'l', now and 1 or -1)
    end
  end
  if agent and agent ~= old_a then
    redis.call('SADD', key(c.P, 'held', agent), t.id)
    if counted(c, status) then redis.call('HINCRBY', key(c.P, 'agent', agent), 'l', 1) end
  end
  if status ~= old_s then
    clear_lifecycle_timer(c, t)
    put(t, 's', status)
    t.s = status
  end
  if agent then
    if agent ~= old_a then put(t, 'a', agent) end
    put(t, 'la', agent)
    t.la = agent
  elseif old_a then
    drop(t, 'a')
  end
  t.a = agent
end

-- Waiting sets -------------------------------------------------------------------------------
-- A queued ticket waits either in one agent's personal queue (`pq` = agent) or in its home
-- queue `q` plus the queues it overflowed to (`qs`, comma list, absent when only `q`).
-- Each shared queue keeps an age index: per enqueue second, how many of its tickets wait.

local function age_add(c, queue, queued_at)
  local sec = math.floor(tonumber(queued_at) / 1000)
  if redis.call('HINCRBY', key(c.P, 'queue_age_count', queue), sec, 1) == 1 then
    redis.call('ZADD', key(c.P, 'queue_age', queue), sec, sec)
  end
end

local function age_remove(c, queue, queued_at)
  local sec = math.floor(tonumber(queued_at) / 1000)
  local qc = key(c.P, 'queue_age_count', queue)
  if redis.call('HINCRBY', qc, sec, -1) <= 0 then
    redis.call('HDEL', qc, sec)
    redis.call('ZREM', key(c.P, 'queue_age', queue), sec)
  end
end

local function shared_queues(t)
  if t.qs then return split(t.qs) end
  return {t.q}
end

-- Takes a queued ticket out of every waiting set it is in.
local function unqueue(c, t)
  if t.s ~= 'queued' then return end
  if t.pq then
    redis.call('ZREM', key(c.P, 'personal_queue', t.pq), t.id)
    drop(t, 'pq')
    t.pq = nil
    return
  end
  for _, q in ipairs(shared_queues(t)) do
    redis.call('ZREM', key(c.P, 'queue', q), t.id)
    age_remove(c, q, t.qa)
  end
  if t.qs then
    drop(t, 'qs')
    t.qs = nil
  end
end

-- The queue score of a rank: the rank in ms plus a fraction that orders equal ranks by enqueue.
-- As text: Lua numbers in replies are truncated to integers, and %.17g reads back exactly.
local function score_of(c, rank)
  local seq = redis.call('INCR', key(c.P, 'sequence'))
  return string.format('%.17g', math.floor(tonumber(rank)) + (seq % 1024) / 1024)
end

-- Puts ticket t (not held, not waiting) into shared queue `queue` with `score`.
local function enqueue(c, t, queue, score)
  move(c, t, 'queued', nil)
  redis.call('ZADD', key(c.P, 'queue', queue), score, t.id)
  age_add(c, queue, c.now)
  put(t, 'q', queue)
  put(t, 'r', score)
  put(t, 'qa', c.now)
  t.q, t.r, t.qa = queue, score, c.now
end

-- Puts ticket t into agent's personal queue (affinity) until `until_ms`.
local function enqueue_personal(c, t, agent, score, until_ms)
  move(c, t, 'queued', nil)
  redis.call('ZADD', key(c.P, 'personal_queue', agent), score, t.id)
  put(t, 'pq', agent)
  put(t, 'r', score)
  put(t, 'qa', c.now)
  t.pq, t.r, t.qa = agent, score, c.now
  set_lifecycle_timer(c, t, 'affinity', until_ms)
end

-- Hands ticket t back to `agent` (its last agent): assigned when the agent is online with room;
-- waiting in the agent's personal queue until `affinity_until` when online but at capacity;
-- otherwise queued in its home queue with `rank`. Returns the new status.
local function return_to_agent(c, t, agent, rank, affinity_until)
  local a = agent and find_agent(c, agent)
  if a then
    if a.st == 'online' then
      if has_room(a, t.a == agent and counted(c, t.s)) then
        move(c, t, 'assigned', agent)
        redis.call('HSET', a.key, 'lt', c.now)
        return 'assigned'
      end
      enqueue_personal(c, t, agent, score_of(c, rank), affinity_until)
      return 'queued'
    end
  end
  enqueue(c, t, t.q, score_of(c, rank))
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
local function check_and_count_reopen(c, t)
  local f = redis.call('HMGET', t.key, 'rw', 'ro')
  local until_ms = tonumber(f[1])
  if until_ms and c.now > until_ms then fail('CONFLICT', 'reason=reopen_window') end
  put(t, 'ro', (tonumber(f[2]) or 0) + 1)
  drop(t, 'rz')
  drop(t, 'rr')
  drop(t, 'rw')
end

-- A customer wrote (or an agent reopened) a ticket: it goes back to its last agent, or waits.
-- The next-reply clock starts at next_reply_due. Returns the event to emit and its fields.
local function customer_returns(c, t, next_reply_due, rank, affinity_until)
  unqueue(c, t)
  local agent = t.la
  if next_reply_due ~= '' then put(t, 'd2', next_reply_due) end
  drop(t, 'fa')
  put(t, 'cr', c.now)
  local status = return_to_agent(c, t, agent, rank, affinity_until)
  if status == 'assigned' then
    return 'ticket.assigned', {'agent', agent, 'via', 'return'}
  end
  if t.pq then return 'ticket.queued', {'agent', t.pq, 'via', 'affinity'} end
  return 'ticket.queued', {'queue', t.q}
end

-- Closes ticket t (open or resolved) and lets it expire after the retention.
local function close_ticket(c, t, via)
  unqueue(c, t)
  move(c, t, 'closed', nil)
  drop(t, 'rw')
  commit(c, t)
  redis.call('PEXPIRE', t.key, c.retention)
  emit(c, 'ticket.closed', 'ticket', t.id, {'via', via})
end

-- An accept or reject must come from the agent the ticket is offered to, with the offer's token
-- when one is given, so a stale or foreign answer never moves the ticket.
local function check_offer(t, agent, token)
  if agent ~= t.a then fail('CONFLICT', 'reason=offer offered_to=' .. t.a) end
  if token ~= '' and token ~= redis.call('HGET', t.key, 'ot') then
    fail('CONFLICT', 'reason=offer_token')
  end
end

local function agent_reply(c, id)
  local held = redis.call('SMEMBERS', key(c.P, 'held', id))
  table.sort(held)
  return {redis.call('HGETALL', key(c.P, 'agent', id)), held}
end
