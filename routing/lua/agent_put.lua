-- agent_put: creates or replaces an agent's profile; its load and held tickets stay.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [6] agent id, [7] name, [8] queues (comma list), [9] skills (comma
--          list), [10] effective queues (its queues plus those its skills route to), [11]
--          max_concurrent ('' = the configured default), [12] status ('' = keep, or offline)
-- Returns  {agent fields, held ticket ids}
local function agent_put(keys, argv)
  local c = context(keys, argv)
  local id = argv[6]
  local ak = key(c.P, 'agent', id)
  local old = redis.call('HMGET', ak, 'st', 'l')
  local status = argv[12]
  if status == '' then status = old[1] or 'offline' end
  local fields = {'n', argv[7], 'qs', argv[8], 'sk', argv[9], 'qe', argv[10], 'st', status}
  if not old[1] then
    fields[#fields + 1] = 'l'
    fields[#fields + 1] = 0
    fields[#fields + 1] = 'ss'
    fields[#fields + 1] = c.now_ms
  elseif old[1] ~= status then
    fields[#fields + 1] = 'ss'
    fields[#fields + 1] = c.now_ms
  end
  if argv[11] == '' then redis.call('HDEL', ak, 'm') else
    fields[#fields + 1] = 'm'
    fields[#fields + 1] = argv[11]
  end
  local max = tonumber(argv[11]) or c.max_default
  if (tonumber(old[2]) or 0) > max then
    fields[#fields + 1] = 'fx'
    fields[#fields + 1] = 1
  end
  redis.call('HSET', ak, unpack(fields))
  redis.call('SADD', key(c.P, 'agents'), id)
  if old[1] ~= status then emit(c, 'agent.status', 'agent', id, 'status', status) end
  return agent_reply(c, id)
end
register('agent_put', agent_put)
