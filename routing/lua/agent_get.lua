-- agent_get: an agent's profile, load and held tickets, read in one consistent step.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] agent id
-- Returns  {agent fields, held ticket ids}
-- Errors   TICKETD_NOT_FOUND agent=<id>
local function agent_get(keys, argv)
  local c = context(keys, argv)
  load_agent(c, argv[3])
  return agent_reply(c, argv[3])
end
register('agent_get', agent_get, true)
