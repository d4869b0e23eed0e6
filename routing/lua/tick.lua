-- tick: fires up to `limit` due timers atomically, so each fires once however many daemons
-- call it. Stale timers (the ticket moved on) are dropped.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [6] limit, [7] affinity wait ms (for woken tickets that must wait)
-- Returns  {timers fired, due ms of the earliest remaining timer or -1}
local function fire_lifecycle(c, id, affinity_wait)
  local t = find_ticket(c, id)
  if not t or not t.lk then return end
  local kind = t.lk
  t.lk = nil
  drop(t, 'lk')
  if kind == 'wake' and t.s == 'postponed' then
    local agent = t.a
    local rank = redis.call('HGET', t.key, 'zr') or t.r
    drop(t, 'pu')
    drop(t, 'zr')
    local status = return_to_agent(c, t, agent, rank, c.now + affinity_wait)
    commit(c, t)
    if status == 'assigned' then
      emit(c, 'ticket.assigned', 'ticket', t.id, {'agent', agent, 'via', 'wake'})
    else
      emit(c, 'ticket.queued', 'ticket', t.id, {'queue', t.pq and '' or t.q, 'via', 'wake'})
    end
  elseif kind == 'affinity' and t.s == 'queued' and t.pq then
    local agent = t.pq
    unqueue(c, t)
    -- The customer has waited since the personal queue took the ticket: its age goes along.
    redis.call('ZADD', key(c.P, 'queue', t.q), t.r, t.id)
    age_add(c, t.q, t.qa)
    commit(c, t)
    emit(c, 'ticket.queued', 'ticket', t.id, {'queue', t.q, 'via', 'affinity_timeout',
                                              'agent', agent})
  elseif kind == 'close' and t.s == 'resolved' then
    close_ticket(c, t, 'auto')
  else
    redis.call('HDEL', t.key, 'lk')
  end
end

local function tick(keys, argv)
  local c = context(keys, argv)
  local tkey = key(c.P, 'timers')
  local due = redis.call('ZRANGEBYSCORE', tkey, '-inf', c.now, 'LIMIT', 0, tonumber(argv[6]))
  if #due > 0 then redis.call('ZREM', tkey, unpack(due)) end
  for _, member in ipairs(due) do
    local slot, id = string.match(member, '^(%a)|(.+)$')
    if slot == 'l' then fire_lifecycle(c, id, tonumber(argv[7])) end
  end
  local nxt = redis.call('ZRANGE', tkey, 0, 0, 'WITHSCORES')
  return {#due, tonumber(nxt[2]) or -1}
end
register('tick', tick)
