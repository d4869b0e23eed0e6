-- agent_ready: POST /v1/agents/{id}/ready ends the agent's running wrap-ups now: their units
-- are free (`agent.ready`) and waiting work of its push queues comes at once. An agent with
-- no wrap-up running is answered as it is.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] agent id
-- Returns  {agent fields, held ticket ids, assignments...}
-- Errors   TICKETD_NOT_FOUND agent=<id>
local function agent_ready(keys, argv)
  local c = context(keys, argv)
  local a = load_agent(c, argv[5])
  if a.cap then units.end_wrap_ups(c, a, true) end
  return settle_agent(c, a.id)
end
register('agent_ready', agent_ready)
