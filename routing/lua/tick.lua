-- tick: fires up to `limit` due timers atomically, so each fires once however many daemons
-- call it. Stale timers (the ticket moved on) are dropped.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] limit
-- Returns  {{timers fired, due ms of the earliest remaining timer or -1, offers timed out,
--          overflows}, assignments...}
local function fire_lifecycle(c, id)
  local t = find_ticket(c, id, {'zr', 'os', 'ot', 'oq', 'cd'})
  if not t or not t.f.lk then return end
  local kind = t.f.lk
  -- The popped timer is gone from the set; only the ticket's note of it remains.
  drop(t, 'lk')
  local status = t.f.s
  if kind == 'wake' and status == 'postponed' then
    local agent = assignee(t)
    local rank = t.f.zr or t.f.r
    drop(t, 'pu')
    drop(t, 'zr')
    local now_status = return_to_agent(c, t, agent, rank, c.now + c.cfg.affinity_ms)
    commit(c, t)
    emit_returned(c, t, now_status, 'wake')
  elseif kind == 'affinity' and status == 'queued' and t.f.pq then
    local agent = t.f.pq
    unqueue(c, t)
    -- The customer has waited since the personal queue took the ticket: its age goes along.
    redis.call('ZADD', key(c.P, 'queue', t.f.q), t.f.r, t.id)
    age_add(c, t.f.q, t.f.qa)
    arm_overflow(c, t, 1)
    c.requeued[t.f.q] = true
    commit(c, t)
    emit(c, 'ticket.queued', 'ticket', t.id, 'queue', t.f.q, 'via', 'affinity_timeout',
         'agent', agent)
  elseif kind == 'offer' and status == 'offered' then
    withdraw_offer(c, t, 'timeout', '')
    c.timeouts = c.timeouts + 1
  elseif kind == 'overflow' and status == 'queued' and not t.f.pq then
    local pol = c.cfg.queues[t.f.q]
    local step = pol and pol.overflow[tonumber(t.f.os) or 0]
    if step then
      add_to_queue(c, t, step.to)
      c.requeued[step.to] = true
      arm_overflow(c, t, (tonumber(t.f.os) or 0) + 1)
      commit(c, t)
      c.overflows = c.overflows + 1
      emit(c, 'ticket.overflowed', 'ticket', t.id, 'queue', step.to, 'from', t.f.q)
    else
      redis.call('HDEL', t.key, 'lk', 'os')
    end
  elseif kind == 'close' and status == 'resolved' then
    close_ticket(c, t, 'auto')
  else
    redis.call('HDEL', t.key, 'lk')
  end
end

local function tick(keys, argv)
  local c = context(keys, argv)
  c.timeouts, c.overflows = 0, 0
  local tkey = key(c.P, 'timers')
  local due = redis.call('ZRANGEBYSCORE', tkey, '-inf', c.now_ms, 'LIMIT', 0, tonumber(argv[3]))
  if #due > 0 then redis.call('ZREM', tkey, unpack(due)) end
  for _, member in ipairs(due) do
    local slot, id = string.match(member, '^(%a)|(.+)$')
    if slot == 'l' then
      fire_lifecycle(c, id)
    elseif slot == 'c' then
      local t = find_ticket(c, id)
      if t and t.f.s == 'queued' and not t.f.pq then
        for _, q in ipairs(shared_queues(t)) do c.requeued[q] = true end
      end
    end
  end
  local out = settle(c, 0)
  local nxt = redis.call('ZRANGE', tkey, 0, 0, 'WITHSCORES')
  out[1] = {#due, tonumber(nxt[2]) or -1, c.timeouts, c.overflows}
  return out
end
register('tick', tick)
