-- Holding and load ---------------------------------------------------------------------------

-- Customer affinity: the agent who holds a customer's ticket is that customer's agent (`agent`);
-- once the ticket leaves it, for lifecycle.customer_affinity from then (`agent|left_ms`, and the
-- key expires: customers long gone cost nothing). The window is checked against the call's
-- clock, which tests move; the expiry only frees the memory.
local function note_customer_agent(c, customer, agent, left)
  if not customer or c.cfg.customer_ms <= 0 then return end
  local ck = key(c.P, 'customer', customer)
  if left then
    redis.call('SET', ck, agent .. '|' .. c.now_ms, 'PX', c.cfg.customer_ms)
  else
    redis.call('SET', ck, agent)
  end
end

-- Moves ticket t to `status`, held by `agent` (nil unless status is held), keeping every
-- agent's held set and load exact: load = tickets held in a counted status.
local function move(c, t, status, agent)
  local old_s = t.f.s
  local old_a = assignee(t)
  if t.f.cu and old_a ~= agent then note_customer_agent(c, t.f.cu, agent or old_a, not agent) end
  if t.f.rq and agent and agent ~= old_a then note_handed_out(c, t, agent) end
  if old_a and old_a ~= agent then
    redis.call('SREM', key(c.P, 'held', old_a), t.id)
    if counted(c, old_s) then units.count(c, t, old_a, -1) end
    -- A follow-up schedule belongs to the agent that replied: it ends when that agent lets go.
    drop(t, 'fc')
  elseif old_a then
    local was, now = counted(c, old_s), counted(c, status)
    if was ~= now then units.count(c, t, old_a, now and 1 or -1) end
  end
  if agent and agent ~= old_a then
    redis.call('SADD', key(c.P, 'held', agent), t.id)
    if counted(c, status) then units.count(c, t, agent, 1) end
  end
  if c.cfg.no_reply_ms > 0 then units.no_reply_timer(c, t, old_s, old_a, status, agent) end
  if status ~= old_s then
    clear_lifecycle_timer(c, t)
    put(t, 's', status)
  end
  if agent and agent ~= t.f.la then put(t, 'la', agent) end
end
