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

-- A ticket leaving a queue's waiting sets is also counted in the queue's departures per 100 s
-- period (`qd:<queue>`, period -> count; periods over 5 old go when a new one starts): the rate
-- the at-risk gauge divides the depth by (queue_stats). A gauge's input, not state: the count is
-- neither written to the AOF nor sent to replicas (a restart or a failover starts it again),
-- which halves what it costs a hand-out.
local function age_remove(c, queue, queued_at)
  local sec = second_of(queued_at)
  local qc = key(c.P, 'queue_age_count', queue)
  if redis.call('HINCRBY', qc, sec, '-1') <= 0 then
    redis.call('HDEL', qc, sec)
    redis.call('ZREM', key(c.P, 'queue_age', queue), sec)
  end
  local period = string.sub(c.now_ms, 1, -6)
  local qd = key(c.P, 'queue_departures', queue)
  redis.set_repl(redis.REPL_NONE)
  if redis.call('HINCRBY', qd, period, '1') == 1 then
    local oldest = tonumber(period) - 5
    for _, p in ipairs(redis.call('HKEYS', qd)) do
      if tonumber(p) <= oldest then redis.call('HDEL', qd, p) end
    end
  end
  redis.set_repl(redis.REPL_ALL)
end

local function shared_queues(t)
  if t.f.qs then return split(t.f.qs) end
  return {t.f.q}
end

local function leave_queue(c, t, q)
  redis.call('ZREM', wait_key(c, t, q), t.id)
  if t.f.sg then count_set(c, q, t.f.sg, -1) end
  age_remove(c, q, t.f.qa)
end

-- Puts ticket t into shared queue q with `score`, under its requirement set (sg).
local function join_queue(c, t, q, score)
  redis.call('ZADD', wait_key(c, t, q), score, t.id)
  if t.f.sg then count_set(c, q, t.f.sg, 1) end
  age_add(c, q, t.f.qa)
end

-- Takes a queued ticket out of every waiting set it is in.
local function unqueue(c, t)
  if t.f.s ~= 'queued' then return end
  if t.unlisted then
    drop_requirement_set(c, t)
    return
  end
  if t.f.pq then
    -- One agent's (affinity), or each preferred agent's (a preference).
    for agent in string.gmatch(t.f.pq, '[^,]+') do
      redis.call('ZREM', key(c.P, 'personal_queue', agent), t.id)
      redis.call('HINCRBY', key(c.P, 'agent', agent), 'pn', '-1')
    end
    drop(t, 'pq')
    return
  end
  if t.f.qs then
    for q in string.gmatch(t.f.qs, '[^,]+') do leave_queue(c, t, q) end
    drop(t, 'qs')
  else
    leave_queue(c, t, t.f.q)  -- only its home queue (no list built)
  end
  drop_requirement_set(c, t)
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

-- A waiting ticket ranked anew where it waits (PATCH of its priority): its wait goes on.
local function rerank(c, t, rank)
  local score = score_of(rank)
  if t.f.pq then
    for agent in string.gmatch(t.f.pq, '[^,]+') do
      redis.call('ZADD', key(c.P, 'personal_queue', agent), 'XX', score, t.id)
    end
  else
    for _, q in ipairs(shared_queues(t)) do
      redis.call('ZADD', wait_key(c, t, q), 'XX', score, t.id)
    end
  end
  put(t, 'r', score)
end

-- Ticket t, waiting in shared queues under its set (t.f.sg), waits under set `sg` from now on:
-- the same rank in every queue it waits in, and push queues owed a push (it may be handed out
-- at once). Returns whether it moved.
local function move_to_set(c, t, sg)
  local was = t.f.sg
  if sg == was then return false end
  local queues = shared_queues(t)
  for _, q in ipairs(queues) do
    redis.call('ZREM', wait_key(c, t, q), t.id)
    if was then count_set(c, q, was, -1) end
  end
  if sg then put(t, 'sg', sg) else drop(t, 'sg') end
  for _, q in ipairs(queues) do
    redis.call('ZADD', wait_key(c, t, q), t.f.r, t.id)
    if sg then count_set(c, q, sg, 1) end
    if push_queue_policy(c, q) then owe(c, 'requeued', q) end
  end
  return true
end

-- Adds a waiting ticket to one more shared queue (overflow): same score, same age.
local function add_to_queue(c, t, queue)
  join_queue(c, t, queue, t.f.r)
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
    owe(c, 'requeued', step.to)
  end
  drop(t, 'os')
end

-- The wait: a ticket has waited since `qa`, its created_at or the customer message it came
-- back with (or the wake-up that handed it back: see return_to_agent). Giving it
-- back to a queue (reject, offer timeout, release, transfer, escalation) keeps its wait, and so
-- does overflow: the age index, overflow steps and the rank C++ computes all count from it.

-- A preference (`pf`: for_ms|agent,agent) holds until the ticket's wait (from `qa`) has lasted
-- for_ms. Meanwhile the ticket waits in the personal queues of those preferred agents who may
-- take it now (they meet its requirements in force; `pq` lists them), a preferred agent with
-- room is owed a push, and the lifecycle timer ('preference') puts it in its home queue when
-- the preference ends. Returns whether it waits for them (false: the preference has ended, or
-- none of them may take it).
local function wait_for_preferred(c, t, score)
  local pf = t.f.pf
  if not pf then return false end
  local for_ms, agents = string.match(pf, '^(%d+)|(.*)$')
  local ends = (tonumber(t.f.qa) or now_of(c)) + tonumber(for_ms)
  if ends <= now_of(c) then return false end
  local sg = requirement_set(c, t)
  local list = {}
  for agent in string.gmatch(agents, '[^,]+') do
    local a = agent_rec(c, agent)
    if a and meets(a, sg) then
      redis.call('ZADD', key(c.P, 'personal_queue', agent), score, t.id)
      redis.call('HINCRBY', a.key, 'pn', '1')
      a.waiting = a.waiting + 1
      list[#list + 1] = agent
      owe(c, 'freed', agent)
    end
  end
  if #list == 0 then return false end
  put(t, 'pq', table.concat(list, ','))
  put(t, 'r', score)
  if t.f.os then drop(t, 'os') end
  set_lifecycle_timer(c, t, 'preference', tostring(ends))
  return true
end

-- Puts ticket t (not held, not waiting) into shared queue `queue` with `score` (or, while a
-- preference holds, into its preferred agents' personal queues); it has waited since `since`.
local function enqueue(c, t, queue, score, since)
  move(c, t, 'queued', nil)
  -- A queued ticket moving queues (transfer, escalation) keeps no timer of its old queue
  -- (move() cleared it for any other status).
  if t.f.lk == 'overflow' then drop(t, 'os') end
  clear_lifecycle_timer(c, t)
  since = since or c.now_ms
  put(t, 'q', queue)
  put(t, 'r', score)
  wait_from(t, since)
  if wait_for_preferred(c, t, score) then return end
  take_requirement_set(c, t)
  join_queue(c, t, queue, score)
  arm_overflow(c, t, 1)
  owe(c, 'requeued', queue)
end

-- Puts ticket t into agent's personal queue (affinity) until `until_ms`.
local function enqueue_personal(c, t, agent, score, until_ms)
  move(c, t, 'queued', nil)
  redis.call('ZADD', key(c.P, 'personal_queue', agent), score, t.id)
  redis.call('HINCRBY', key(c.P, 'agent', agent), 'pn', '1')
  put(t, 'pq', agent)
  put(t, 'r', score)
  set_lifecycle_timer(c, t, 'affinity', until_ms)
end

-- Ticket t, waiting in personal queues, leaves that of agent record `a` (nil: every one, its
-- wait for them over). With none left (a preference lists several), t joins its home queue with
-- its rank and its wait (`ticket.queued` with `via`).
local function leave_personal(c, t, a, via)
  local waited_for = t.f.pq
  if a then
    redis.call('ZREM', key(c.P, 'personal_queue', a.id), t.id)
    redis.call('HINCRBY', a.key, 'pn', '-1')
    a.waiting = a.waiting - 1
    local rest = {}
    for other in string.gmatch(waited_for, '[^,]+') do
      if other ~= a.id then rest[#rest + 1] = other end
    end
    if #rest > 0 then
      put(t, 'pq', table.concat(rest, ','))
      write_fields(c, t)
      return
    end
    drop(t, 'pq')
  else
    unqueue(c, t)
  end
  clear_lifecycle_timer(c, t)
  take_requirement_set(c, t)
  join_queue(c, t, t.f.q, t.f.r)
  arm_overflow(c, t, 1)
  owe(c, 'requeued', t.f.q)
  commit(c, t)
  emit(c, 'ticket.queued', t.id, 'queue', t.f.q, 'via', via,
       'agent', a and a.id or waited_for)
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
