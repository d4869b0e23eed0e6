-- configure: stores a configuration's settings under its epoch (every daemon calls it when it
-- connects and on reload). When the counted statuses changed, every agent's load is recounted;
-- when the configuration changed, the push queues' availability indexes are rebuilt. When
-- channels were turned on or off, or the counted statuses changed, every held ticket's charge
-- and every agent's units are set again (a ticket keeps what it was charged; one newly counted
-- is charged its channel's cost now; without channels no charge, units or wrap-up is left).
-- KEYS[1]  workspace prefix
-- ARGV     header (its epoch is this configuration's), then: [5...] setting name, value pairs
--          (see "Configuration" in the prelude)
-- Returns  number of agents whose load was recounted
local function configure(keys, argv)
  local P, epoch = keys[1], argv[2]
  local ck = key(P, 'config', epoch)
  redis.call('HSET', ck, unpack(argv, 5))
  -- Kept while daemons use it; a daemon re-stores it whenever it connects.
  redis.call('PEXPIRE', ck, 30 * 24 * 3600 * 1000)
  local c = context(keys, argv)
  -- Agents were a set before they were listed in id order (GET /v1/agents): a sorted set now.
  local every = key(P, 'agents')
  if redis.call('TYPE', every).ok == 'set' then
    local ids = redis.call('SMEMBERS', every)
    redis.call('DEL', every)
    for _, id in ipairs(ids) do redis.call('ZADD', every, 0, id) end
  end
  local sk = key(P, 'settings')
  local applied = redis.call('HMGET', sk, 'epoch', 'counted', 'units')
  if applied[1] == epoch then return 0 end
  local agents = redis.call('ZRANGE', key(P, 'agents'), 0, -1)
  local recounted = 0
  if applied[2] ~= c.cfg.counted_text then
    for _, id in ipairs(agents) do
      local load = 0
      for _, tid in ipairs(redis.call('SMEMBERS', key(P, 'held', id))) do
        local s = redis.call('HGET', key(P, 'ticket', tid), 's')
        if s and counted(c, s) then load = load + 1 end
      end
      local ak = key(P, 'agent', id)
      redis.call('HSET', ak, 'l', load)
      end_forced_excess(c, ak, id, load)
    end
    recounted = #agents
  end
  local units_now = c.cfg.units and '1' or '0'
  if applied[2] ~= c.cfg.counted_text or (applied[3] or '0') ~= units_now then
    for _, id in ipairs(agents) do
      local ak = key(P, 'agent', id)
      local used, per_channel = 0, {}
      for _, tid in ipairs(redis.call('SMEMBERS', key(P, 'held', id))) do
        local t = find_ticket(c, tid, {'ch', 'uc'})
        if t then
          if c.cfg.units and counted(c, t.f.s) then
            if not t.f.uc then
              local name, ch = units.channel(c, t)
              t.f.uc = name .. ':' .. ch.cost_text
              redis.call('HSET', t.key, 'uc', t.f.uc)
            end
            local name, cost = string.match(t.f.uc, '^(.*):(%d+)$')
            used = used + tonumber(cost)
            per_channel[name] = (per_channel[name] or 0) + 1
          elseif t.f.uc then
            redis.call('HDEL', t.key, 'uc')
          end
        end
      end
      if c.cfg.units then
        for _, name, cost in string.gmatch(redis.call('HGET', ak, 'wu') or '',
                                           '(%d+):([^:,]+):(%d+)') do
          used = used + tonumber(cost)
          per_channel[name] = (per_channel[name] or 0) + 1
        end
        local cc = {}
        for name, n in pairs(per_channel) do cc[#cc + 1] = name .. '=' .. n end
        redis.call('HSET', ak, 'u', used)
        if #cc > 0 then redis.call('HSET', ak, 'cc', table.concat(cc, ',')) else
          redis.call('HDEL', ak, 'cc')
        end
      else
        redis.call('HDEL', ak, 'u', 'cc', 'wu')
        redis.call('ZREM', key(P, 'timers'), 'w|' .. id)
      end
    end
  end
  -- A reload that lowers a limit under what an agent carries (max_concurrent, capacity, a
  -- channel's max_per_agent) leaves an excess nobody broke: marked forced, as a lowered
  -- max_concurrent of one agent is (agent_put), until the agent is back within its limits.
  for _, id in ipairs(agents) do
    local a = agent_rec(c, id)
    if a and not a.fx then
      local over = a.load > a.max or (a.cap ~= nil and a.used > a.cap)
      for name, ch in pairs(a.cap and c.cfg.channels or {}) do
        over = over or (ch.max > 0 and units.in_channel(a, name) > ch.max)
      end
      if over then mark_forced(c, a) end
    end
  end
  for q in pairs(c.cfg.queues) do
    redis.call('DEL', key(P, 'queue_agents', q))
    for name in pairs(c.cfg.channels) do redis.call('DEL', key(P, 'queue_agents', q .. '|#' .. name)) end
  end
  -- And the skill indexes of every skill an agent has (those nobody has are gone already).
  local skills = {}
  for _, id in ipairs(agents) do
    local sk = redis.call('HGET', key(P, 'agent', id), 'sk')
    for skill in string.gmatch(sk or '', '([^,:]+):?%d*') do skills[skill] = true end
  end
  for skill in pairs(skills) do
    for q in pairs(c.cfg.queues) do redis.call('DEL', key(P, 'queue_agents', q .. '|' .. skill)) end
  end
  if c.cfg.any_push then
    for _, id in ipairs(agents) do
      local a = agent_rec(c, id)
      if a then refresh_availability(c, a) end
    end
  end
  redis.call('HSET', sk, 'epoch', epoch, 'counted', c.cfg.counted_text, 'units', units_now)
  return recounted
end
register('configure', configure)
