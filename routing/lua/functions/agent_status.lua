-- agent_status: sets an agent online, away or offline. Online with room: waiting work of its
-- push queues comes at once. Offline: the tickets offered to it go back to their queues (and on
-- to other agents); tickets it holds stay. Agent connections (WebSocket streams, on any daemon)
-- are counted in the agent's `cn` field: with presence by connection the first connection sets
-- it online and the last one to close sets it offline.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] agent id, [6] status ('' keep), [7] connections change ('' none,
--          '1' a stream opened, '-1' one closed), [8] channel ('' the agent's own status; else
--          that channel's, with channels configured: online puts waiting work of it through,
--          away or offline withdraws the agent's offers of it)
-- Returns  {agent fields, held ticket ids, assignments...}
-- Errors   TICKETD_NOT_FOUND agent=<id>
local function agent_status(keys, argv)
  local id, status, connections, channel = argv[5], argv[6], argv[7], argv[8]
  local c = context(keys, argv)
  local a = load_agent(c, id)
  if channel and channel ~= '' then
    if (listed(a.chp, channel) or 'online') ~= status then
      -- Only the channels not online are listed: an online one follows the agent.
      if status == 'online' then
        a.chp = units.without(a.chp, channel)
        owe(c, 'freed', a.id)
      else
        a.chp = relisted(a.chp, channel, status)
        for _, held in ipairs(redis.call('SMEMBERS', key(c.P, 'held', a.id))) do
          local t = find_ticket(c, held, OFFER_FIELDS)
          if t and t.f.s == 'offered' and units.channel(c, t) == channel then
            withdraw_offer(c, t, 'withdrawn', 'channel_' .. status)
          end
        end
      end
      touch(a, 'ch')
      emit(c, 'agent.status', a.id, 'status', status, 'channel', channel)
    end
    return settle_agent(c, a.id)
  end
  if connections ~= '' then
    local open = redis.call('HINCRBY', a.key, 'cn', connections)
    if open < 0 then redis.call('HSET', a.key, 'cn', 0) end
    -- Another stream of the agent is still open: it stays as it is.
    if status == 'offline' and open > 0 then status = '' end
  end
  if status ~= '' and a.st ~= status then
    set_status(c, a, status)
    emit(c, 'agent.status', a.id, 'status', status)
    if status == 'offline' then
      for _, held in ipairs(redis.call('SMEMBERS', key(c.P, 'held', a.id))) do
        local t = find_ticket(c, held, OFFER_FIELDS)
        if t and t.f.s == 'offered' then withdraw_offer(c, t, 'withdrawn', 'offline') end
      end
    elseif status == 'online' then
      owe(c, 'freed', a.id)
    end
  end
  return settle_agent(c, a.id)
end
register('agent_status', agent_status)
