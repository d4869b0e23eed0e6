-- next: "To Solve". Assigns the agent the lowest-rank ticket it may take over its queues (the
-- heads of each queue's own set and of the requirement sets the agent meets) and its personal
-- queue, never above max_concurrent: nothing it may take is nil (204) even at capacity;
-- something it may take but no room for it is TICKETD_CAPACITY_EXCEEDED (409).
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] agent id
-- Returns  the assigned ticket's id, or nil when nothing waits; {id, assignments...} when push
--          routing handed tickets out too
-- Errors   TICKETD_NOT_FOUND agent=<id>; TICKETD_CAPACITY_EXCEEDED load=<n> max=<m>

-- The lower of (best, best_score) and the head of zset zkey; equal scores go by ticket id.
local function lower_head(zkey, best, best_score)
  local head = redis.call('ZRANGE', zkey, '0', '0', 'WITHSCORES')
  if head[1] then
    local score = tonumber(head[2])
    if not best or score < best_score or (score == best_score and head[1] < best) then
      return head[1], score
    end
  end
  return best, best_score
end

-- A pull's decision record (`dr`, include/push.lua): the agent chose itself.
local PULL_DECISION = 'pull|||1|'

-- What the general path below does to a ticket waiting in one shared queue (the common case),
-- written out command by command: the ticket record, its dirty set and unqueue/move/commit
-- cost the interpreter more than the commands cost Redis. Answers false, having written
-- nothing, for any other ticket (in a personal queue, or overflowed into more queues, or not
-- waiting): the general path then takes it. It must leave exactly the state the general path
-- leaves (tests/integration/fast_path_test.cpp holds the two to that).
local assign_waiting
do
  local WAITING_FIELDS = {'s', 'v', 'la', 'q', 'qs', 'pq', 'qa', 'lk', 'sg', 'rq'}
  -- With customer affinity on, the customer too (an absent field still costs HMGET a scan).
  local WAITING_FIELDS_CU = {'s', 'v', 'la', 'q', 'qs', 'pq', 'qa', 'lk', 'sg', 'rq', 'cu'}
  assign_waiting = function(c, a, id)
    local tk = key(c.P, 'ticket', id)
    local f = redis.call('HMGET', tk,
                         unpack(c.cfg.customer_ms > 0 and WAITING_FIELDS_CU or WAITING_FIELDS))
    local q, sg = f[4], f[9]
    if f[1] ~= 'queued' or not q or f[5] or f[6] then return false end
    if sg then
      -- Waiting under a requirement set: out of it, and its relax timer ends with its wait.
      redis.call('ZREM', set_key(c, q, sg), id)
      count_set(c, q, sg, -1)
      if relaxing(f[10]) then redis.call('ZREM', key(c.P, 'timers'), 'x|' .. id) end
    else
      redis.call('ZREM', key(c.P, 'queue', q), id)
    end
    age_remove(c, q, f[7])
    redis.call('SADD', key(c.P, 'held', a.id), id)
    if f[11] then note_customer_agent(c, f[11], a.id, false) end
    if c.cfg.any_push then
      -- Through the record, so settle() keeps the push queues' availability indexes in step.
      if counted(c, 'assigned') then adjust_load(c, a.id, 1) end
      note_assigned(c, a, nil)
    else
      -- Written here rather than through the record and settle(): one HSET either way.
      if counted(c, 'assigned') then
        redis.call('HSET', a.key, 'l', count_text(a.load + 1), 'lt', c.now_ms)
      else
        redis.call('HSET', a.key, 'lt', c.now_ms)
      end
    end
    if f[8] then
      -- The queued ticket's timer (overflow, affinity) ends with its wait, as in move().
      redis.call('ZREM', key(c.P, 'timers'), 'l|' .. id)
      if sg then redis.call('HDEL', tk, 'lk', 'sg') else redis.call('HDEL', tk, 'lk') end
    elseif sg then
      redis.call('HDEL', tk, 'sg')
    end
    local now, after = c.now_ms, successor(f[2])
    -- What the hand-out met, for verify, as note_handed_out records it; the decision record as the
    -- general path writes it.
    local met = sg or (f[10] and requirement_set(c, {f = {rq = f[10], qa = f[7]}}))
    local dr = PULL_DECISION .. now
    if met then
      redis.call('HSET', tk, 's', 'assigned', 'v', after, 'ua', now, 'la', a.id,
                 'hs', met .. '|' .. (a.sk or ''), 'dr', dr)
    elseif f[3] == a.id then
      redis.call('HSET', tk, 's', 'assigned', 'v', after, 'ua', now, 'dr', dr)
    else
      redis.call('HSET', tk, 's', 'assigned', 'v', after, 'ua', now, 'la', a.id, 'dr', dr)
    end
    if f[10] and not met then redis.call('HDEL', tk, 'hs') end
    return true
  end
end

local function next_ticket(keys, argv)
  local agent_id = argv[5]
  local c = context(keys, argv)
  local a = load_agent(c, agent_id)
  local best, best_score
  local qe = a.qe or ''
  local sets = qe ~= '' and not string.find(qe, ',', 1, true) and queue_sets(c, qe)
  -- With channels: where it looked, should the best not fit.
  local places = a.cap and {}
  if a.waiting == 0 and sets and #sets == 0 then
    -- One place to look: its head needs no score to compare.
    local zkey = key(c.P, 'queue', qe)
    best = redis.call('ZRANGE', zkey, '0', '0')[1]
    if places then places[1] = zkey end
  else
    if a.waiting > 0 then
      best, best_score = lower_head(key(c.P, 'personal_queue', agent_id))
      if places then places[#places + 1] = key(c.P, 'personal_queue', agent_id) end
    end
    for q in string.gmatch(qe, '[^,]+') do
      best, best_score = lower_head(key(c.P, 'queue', q), best, best_score)
      if places then places[#places + 1] = key(c.P, 'queue', q) end
      for _, sg in ipairs(sets or queue_sets(c, q)) do
        if meets(a, sg) then
          best, best_score = lower_head(set_key(c, q, sg), best, best_score)
          if places then places[#places + 1] = set_key(c, q, sg) end
        end
      end
    end
  end
  -- Nothing it may take: 204, even at capacity; something, but no room for it: 409.
  if not best then return false end
  if not has_room(a, false) then
    fail('CAPACITY_EXCEEDED', 'load=' .. a.load .. ' max=' .. a.max)
  end
  if not (c.cfg.plain and FAST_PATHS and assign_waiting(c, a, best)) then
    local t = load_ticket(c, best)
    -- With channels: the units and the channel's limit too (presence does not stop a pull);
    -- the best ticket that does not fit gives way to one of the next few that does.
    if a.cap then
      local room, why = units.fit(c, a, t, false)
      if not room then
        -- The first few of each place it looked, in rank order: the first that fits (bounded,
        -- never a scan of a queue).
        local scored = {}
        for _, zkey in ipairs(places) do
          local heads = redis.call('ZRANGE', zkey, '0', HEAD_SCAN_LAST, 'WITHSCORES')
          for i = 1, #heads, 2 do scored[#scored + 1] = {heads[i], tonumber(heads[i + 1])} end
        end
        table.sort(scored, function(x, y) return x[2] < y[2] or (x[2] == y[2] and x[1] < y[1]) end)
        local fitting
        for _, entry in ipairs(scored) do
          fitting = load_ticket(c, entry[1])
          if units.fit(c, a, fitting, false) then break end
          fitting = nil
        end
        if not fitting then units.refuse(c, a, t, why) end
        t = fitting
        best = t.id
      end
    end
    unqueue(c, t)
    move(c, t, 'assigned', agent_id)
    note_assigned(c, a, nil)
    put(t, 'dr', PULL_DECISION .. c.now_ms)
    commit(c, t)
  end
  emit(c, 'ticket.assigned', best, 'agent', agent_id, 'via', 'pull')
  return settle(c, best)
end
register('next', next_ticket, 'picked')
