-- tick: fires up to `limit` due timers atomically, so each fires once however many daemons
-- call it. Stale timers (the ticket moved on) are dropped.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [6] limit, [7] affinity wait ms (for woken tickets that must wait)
-- Returns  {timers fired, due ms of the earliest remaining timer or -1}
local function fire_lifecycle(c, id, affinity_wait)
  local t = find_ticket(c, id, {'zr'})
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
    local now_status = return_to_agent(c, t, agent, rank, c.now + affinity_wait)
    commit(c, t)
    emit_returned(c, t, now_status, 'wake')
  elseif kind == 'affinity' and status == 'queued' and t.f.pq then
    local agent = t.f.pq
    unqueue(c, t)
    -- The customer has waited since the personal queue took the ticket: its age goes along.
    redis.call('ZADD', key(c.P, 'queue', t.f.q), t.f.r, t.id)
    age_add(c, t.f.q, t.f.qa)
    commit(c, t)
    emit(c, 'ticket.queued', 'ticket', t.id, 'queue', t.f.q, 'via', 'affinity_timeout',
                                              'agent', agent)
  elseif kind == 'close' and status == 'resolved' then
    close_ticket(c, t, 'auto')
  else
    redis.call('HDEL', t.key, 'lk')
  end
end

local function tick(keys, argv)
  local c = context(keys, argv)
  local tkey = key(c.P, 'timers')
  local due = redis.call('ZRANGEBYSCORE', tkey, '-inf', c.now_ms, 'LIMIT', 0, tonumber(argv[6]))
  if #due > 0 then redis.call('ZREM', tkey, unpack(due)) end
  for _, member in ipairs(due) do
    local slot, id = string.match(member, '^(%a)|(.+)$')
    if slot == 'l' then fire_lifecycle(c, id, tonumber(argv[7])) end
  end
  local nxt = redis.call('ZRANGE', tkey, 0, 0, 'WITHSCORES')
  return {#due, tonumber(nxt[2]) or -1}
end
register('tick', tick)
