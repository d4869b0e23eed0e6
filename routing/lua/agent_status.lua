-- agent_status: sets an agent online, away or offline.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [6] agent id, [7] status
-- Returns  {agent fields, held ticket ids}
-- Errors   TICKETD_NOT_FOUND agent=<id>
local function agent_status(keys, argv)
  local c = context(keys, argv)
  local a = load_agent(c, argv[6])
  if a.st ~= argv[7] then
    redis.call('HSET', a.key, 'st', argv[7], 'ss', c.now_ms)
    emit(c, 'agent.status', 'agent', a.id, 'status', argv[7])
  end
  return agent_reply(c, a.id)
end
register('agent_status', agent_status)
