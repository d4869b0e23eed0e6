local function agent_reply(c, id)
  local held = redis.call('SMEMBERS', key(c.P, 'held', id))
  table.sort(held)
  return {redis.call('HGETALL', key(c.P, 'agent', id)), held}
end

-- settle() answering a list whatever was handed out: {result, assignments...}.
local function settle_list(c, result)
  local out = settle(c, result)
  if type(out) ~= 'table' then return {out} end
  return out
end

-- settle() for the agent functions: {agent fields, held ticket ids, assignments...}.
local function settle_agent(c, id)
  local out = settle_list(c, 0)
  local reply = agent_reply(c, id)
  out[1] = reply[1]
  table.insert(out, 2, reply[2])
  return out
end
