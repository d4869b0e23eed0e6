-- agent_get: an agent's profile, load and held tickets, read in one consistent step.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] agent id
-- Returns  {agent fields, held ticket ids}
-- Errors   TICKETD_NOT_FOUND agent=<id>
local function agent_get(keys, argv)
  local id = argv[5]
  local c = context(keys, argv)
  load_agent(c, id)
  return agent_reply(c, id)
end
register('agent_get', agent_get, 'read')
