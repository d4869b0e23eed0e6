-- agent_list: a page of agents in id order, those matching every filter given, read in one
-- consistent step. The agents set is sorted by id (all scores 0), so a page starts where the
-- last one ended without counting what came before it.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] after (an id; '' from the first), [6] limit, [7] queue ('' any:
--          agents serving it, its own queues or by skill), [8] status ('' any), [9] skill
--          ('' any)
-- Returns  {next or false, id, {agent fields, held ticket ids}, ...}: next is the last id
--          examined when more follow. A call examines at most AGENT_LIST_EXAMINED agents, so a
--          selective filter may answer fewer than `limit` with a next to go on from.
local AGENT_LIST_BATCH = 256
local AGENT_LIST_EXAMINED = 4096

-- Whether `name` is an item of a comma list whose items may carry ':level'.
local function has_item(list, name)
  for item in string.gmatch(list or '', '[^,]+') do
    local colon = string.find(item, ':', 1, true)
    if (colon and string.sub(item, 1, colon - 1) or item) == name then return true end
  end
  return false
end

local function agent_list(keys, argv)
  local after, limit, queue, status, skill = argv[5], tonumber(argv[6]), argv[7], argv[8], argv[9]
  local c = context(keys, argv)
  local all = key(c.P, 'agents')
  local out = {false}
  local found, examined = 0, 0
  local from = after == '' and '-' or '(' .. after
  while true do
    local ids = redis.call('ZRANGE', all, from, '+', 'BYLEX', 'LIMIT', 0, AGENT_LIST_BATCH)
    for _, id in ipairs(ids) do
      if found == limit or examined == AGENT_LIST_EXAMINED then
        out[1] = from ~= '-' and string.sub(from, 2) or false
        return out
      end
      examined = examined + 1
      from = '(' .. id
      local f = redis.call('HMGET', key(c.P, 'agent', id), 'st', 'qe', 'sk')
      if (status == '' or f[1] == status) and (queue == '' or has_item(f[2], queue)) and
          (skill == '' or has_item(f[3], skill)) then
        found = found + 1
        out[#out + 1] = id
        out[#out + 1] = agent_reply(c, id)
      end
    end
    if #ids < AGENT_LIST_BATCH then return out end
  end
end
register('agent_list', agent_list, 'read')
