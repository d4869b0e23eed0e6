-- agent_put: creates or replaces an agent's profile; its load and held tickets stay. An agent
-- that is online with room gets waiting work of its push queues at once.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] agent id, [4] name, [5] queues (comma list), [6] skills (comma
--          list), [7] effective queues (its queues plus those its skills route to), [8]
--          max_concurrent ('' = the configured default), [9] status ('' = keep, or offline)
-- Returns  {agent fields, held ticket ids, assignments...}
local function agent_put(keys, argv)
  local c = context(keys, argv)
  local id = argv[3]
  local old = agent_rec(c, id)
  local status = argv[9]
  if status == '' then status = old and old.st or 'offline' end
  local fields = {'n', argv[4], 'qs', argv[5], 'sk', argv[6], 'qe', argv[7]}
  if argv[8] == '' then redis.call('HDEL', key(c.P, 'agent', id), 'm') else
    fields[#fields + 1] = 'm'
    fields[#fields + 1] = argv[8]
  end
  local max = tonumber(argv[8]) or c.cfg.max_default
  if old and old.load > max then
    fields[#fields + 1] = 'fx'
    fields[#fields + 1] = 1
  end
  redis.call('HSET', key(c.P, 'agent', id), unpack(fields))
  redis.call('SADD', key(c.P, 'agents'), id)
  local a = old
  if not a then
    c.agents[id] = nil
    redis.call('HSET', key(c.P, 'agent', id), 'st', status, 'ss', c.now_ms, 'l', 0)
    a = agent_rec(c, id)
    emit(c, 'agent.status', 'agent', id, 'status', status)
  else
    -- Leaving a push queue takes the agent out of its availability index.
    if c.cfg.any_push then
      local kept = {}
      for q in string.gmatch(argv[7], '[^,]+') do kept[q] = true end
      for q in string.gmatch(a.qe or '', '[^,]+') do
        if not kept[q] then redis.call('ZREM', key(c.P, 'queue_agents', q), id) end
      end
    end
    a.qe = argv[7]
    a.max = max
    if a.st ~= status then
      set_status(c, a, status)
      emit(c, 'agent.status', 'agent', id, 'status', status)
    end
  end
  touch(a, 'l')
  c.freed[id] = true
  return settle_agent(c, id)
end
register('agent_put', agent_put)
