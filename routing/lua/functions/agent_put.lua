-- agent_put: creates or replaces an agent's profile; its load and held tickets stay. An agent
-- that is online with room gets waiting work of its push queues at once.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] agent id, [6] name, [7] queues (comma list), [8] skills (comma
--          list), [9] effective queues (its queues plus those its skills route to), [10]
--          max_concurrent ('' = the configured default), [11] status ('' = keep, or offline),
--          [12] capacity in units ('' = agents.capacity), [13] channels not online for it
--          (channel=status comma list; with channels configured)
-- Returns  {agent fields, held ticket ids, assignments...}
local function agent_put(keys, argv)
  local id, name, queues, skills, effective = argv[5], argv[6], argv[7], argv[8], argv[9]
  local own_max, status, own_capacity, presence = argv[10], argv[11], argv[12], argv[13]
  local c = context(keys, argv)
  local old = agent_rec(c, id)
  if status == '' then status = old and old.st or 'offline' end
  local fields = {'n', name, 'qs', queues, 'sk', skills, 'qe', effective}
  if own_max == '' then redis.call('HDEL', key(c.P, 'agent', id), 'm') else
    fields[#fields + 1] = 'm'
    fields[#fields + 1] = own_max
  end
  for name, value in pairs({cp = own_capacity, ch = presence}) do
    if value == '' then
      redis.call('HDEL', key(c.P, 'agent', id), name)
    else
      fields[#fields + 1] = name
      fields[#fields + 1] = value
    end
  end
  local max = tonumber(own_max) or c.cfg.max_default
  local cap = c.cfg.units and (tonumber(own_capacity) or c.cfg.capacity_default) or nil
  if old and (old.load > max or (cap and old.used > cap)) then
    -- A maximum lowered under the load: the excess is forced, not a broken invariant.
    mark_forced(c, old)
  end
  redis.call('HSET', key(c.P, 'agent', id), unpack(fields))
  redis.call('ZADD', key(c.P, 'agents'), 0, id)
  local a = old
  if not a then
    c.agents[id] = nil
    redis.call('HSET', key(c.P, 'agent', id), 'st', status, 'ss', c.now_ms, 'l', 0)
    a = agent_rec(c, id)
    emit(c, 'agent.status', id, 'status', status)
  else
    -- Leaving a push queue takes the agent out of its availability indexes; its skills'
    -- indexes are left for those it has now (settle_agent puts them back).
    if c.cfg.any_push then
      local kept = {}
      for q in string.gmatch(effective, '[^,]+') do kept[q] = true end
      for q in string.gmatch(a.qe or '', '[^,]+') do
        local skills_now = skills ~= '' and skills or nil
        if push_queue_policy(c, q) and (not kept[q] or a.sk ~= skills_now) then
          leave_availability(c, a, key(c.P, 'queue_agents', q))
        end
      end
    end
    a.qe = effective
    a.max = max
    if cap then
      a.cap = cap
      local was = a.chp
      a.chp = presence ~= '' and presence or nil
      -- Offers of a channel no longer online for it go back, as with POST .../status.
      if a.chp ~= was and a.chp then
        for _, held in ipairs(redis.call('SMEMBERS', key(c.P, 'held', id))) do
          local t = find_ticket(c, held, OFFER_FIELDS)
          local own = t and t.f.s == 'offered' and listed(a.chp, (units.channel(c, t)))
          if own then withdraw_offer(c, t, 'withdrawn', 'channel_' .. own) end
        end
      end
    end
    -- Pushed work below must meet the skills as they are now.
    local skills_changed = a.sk ~= (skills ~= '' and skills or nil)
    a.sk = skills ~= '' and skills or nil
    a.levels = nil
    -- Tickets waiting for it alone or among others (affinity, a preference) that it may no longer
    -- take leave its personal queue.
    if skills_changed and a.waiting > 0 then
      for _, tid in ipairs(redis.call('ZRANGE', key(c.P, 'personal_queue', id), 0, -1)) do
        local t = find_ticket(c, tid)
        if t and t.f.rq and not meets(a, (requirement_set(c, t))) then
          leave_personal(c, t, a, 'requirements')
        end
      end
    end
    if a.st ~= status then
      set_status(c, a, status)
      emit(c, 'agent.status', id, 'status', status)
    end
  end
  touch(a, 'l')
  owe(c, 'freed', id)
  return settle_agent(c, id)
end
register('agent_put', agent_put)
