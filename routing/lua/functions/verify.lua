-- verify: checks the invariants of API.md in one consistent step: no load above max except
-- forced, load equals the held tickets in counted statuses, every held ticket held once and by
-- its assignee, every queued ticket in a waiting set and every waiting entry a queued ticket,
-- and every push queue's availability index listing exactly its online agents with room (and its
-- skill indexes those of them having the skill), every held ticket's holder meeting the
-- requirements the hand-out recorded (unless a supervisor reassigned it or the holder's skills
-- changed since), every requirement set's count; with channels, units used equal to the costs
-- its counted tickets were charged plus its running wrap-ups (per channel too), never above its
-- capacity except forced; and no ticket or agent hash holding a field include/fields.lua does
-- not declare.
-- Scans every ticket: O(tickets), meant for operators and tests, not for a hot path.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5...] configured queue names
-- Returns  {violations (strings), forced excesses (strings), tickets checked, agents checked}
local function verify(keys, argv)
  local c = context(keys, argv)
  local bad, forced = {}, {}
  local function report(msg) bad[#bad + 1] = msg end
  -- An agent above a limit: forced when it is marked so, else a violation.
  local function excess(marked, msg)
    if marked then forced[#forced + 1] = msg else report(msg) end
  end
  local holder = {}
  local agents = redis.call('ZRANGE', key(c.P, 'agents'), 0, -1)
  for _, id in ipairs(agents) do
    local a = agent_rec(c, id)
    for _, name in ipairs(redis.call('HKEYS', a.key)) do
      if not AGENT_FIELDS[name] then report('agent ' .. id .. ' has undeclared field ' .. name) end
    end
    local marked = redis.call('HEXISTS', a.key, 'fx') == 1
    if marked ~= (redis.call('SISMEMBER', key(c.P, 'forced'), id) == 1) then
      report('agent ' .. id .. ' forced mark and the forced set disagree')
    end
    local load, used, per_channel = 0, 0, {}
    for _, tid in ipairs(redis.call('SMEMBERS', key(c.P, 'held', id))) do
      if holder[tid] then
        report('ticket ' .. tid .. ' held by ' .. holder[tid] .. ' and ' .. id)
      end
      holder[tid] = id
      local f = redis.call('HMGET', key(c.P, 'ticket', tid), 's', 'la', 'hs', 'uc')
      if not f[1] then
        report('agent ' .. id .. ' holds missing ticket ' .. tid)
      else
        if not HELD[f[1]] then
          report('agent ' .. id .. ' holds ticket ' .. tid .. ' in status ' .. f[1])
        end
        if f[2] ~= id then
          report('agent ' .. id .. ' holds ticket ' .. tid .. ' assigned to ' .. tostring(f[2]))
        end
        -- Handed out to an agent who did not meet its requirements (skills unchanged since).
        local met, skills = string.match(f[3] or '', '^([^|]*)|(.*)$')
        if met and skills == (a.sk or '') and not meets(a, met) then
          report('agent ' .. id .. ' holds ticket ' .. tid .. ' without meeting ' .. met)
        end
        if counted(c, f[1]) then load = load + 1 end
        -- Units: a counted ticket carries its charge, any other none.
        local name, cost = string.match(f[4] or '', '^(.*):(%d+)$')
        if c.cfg.units and counted(c, f[1]) ~= (name ~= nil) then
          report('ticket ' .. tid .. ' ' .. f[1] .. ' held by ' .. id .. ' charged ' ..
                 tostring(f[4]))
        end
        if name then
          used = used + tonumber(cost)
          per_channel[name] = (per_channel[name] or 0) + 1
        end
      end
    end
    if a.cap then
      for _, name, cost in string.gmatch(a.wu or '', '(%d+):([^:,]+):(%d+)') do
        used = used + tonumber(cost)
        per_channel[name] = (per_channel[name] or 0) + 1
      end
      if used ~= a.used then
        report('agent ' .. id .. ' uses ' .. a.used .. ' units but its tickets and wrap-ups cost ' ..
               used)
      end
      for name, n in pairs(per_channel) do
        if units.in_channel(a, name) ~= n then
          report('agent ' .. id .. ' counts ' .. units.in_channel(a, name) .. ' of channel ' ..
                 name .. ' but carries ' .. n)
        end
        local ch = c.cfg.channels[name]
        if ch and ch.max > 0 and n > ch.max then
          excess(marked, 'agent ' .. id .. ' carries ' .. n .. ' of channel ' .. name ..
                         ' above its max_per_agent ' .. ch.max)
        end
      end
      for name in string.gmatch(a.cc or '', '([^,=]+)=') do
        if not per_channel[name] then
          report('agent ' .. id .. ' counts channel ' .. name .. ' but carries none')
        end
      end
      if a.used > a.cap then
        excess(marked, 'agent ' .. id .. ' uses ' .. a.used .. ' units above capacity ' .. a.cap)
      end
    end
    if load ~= a.load then
      report('agent ' .. id .. ' load ' .. a.load .. ' but holds ' .. load .. ' counted tickets')
    end
    if a.load > a.max then
      excess(marked, 'agent ' .. id .. ' load ' .. a.load .. ' above max ' .. a.max)
    end
  end
  for q, pol in pairs(c.cfg.queues) do
    if pol.mode == 'push' then
      local listed = {}
      for _, id in ipairs(redis.call('ZRANGE', key(c.P, 'queue_agents', q), 0, -1)) do
        listed[id] = true
        local a = agent_rec(c, id)
        if not a or not available(a) then
          report('push queue ' .. q .. ' lists agent ' .. id .. ' who cannot take work')
        end
      end
      -- The index `suffix` of the queue lists exactly the listed agents that `belong`.
      local function check_index(suffix, what, belong)
        local in_index = {}
        for _, id in ipairs(redis.call('ZRANGE', key(c.P, 'queue_agents', q .. suffix), 0, -1)) do
          in_index[id] = true
          local a = agent_rec(c, id)
          if not listed[id] or not a or not belong(a) then
            report('push queue ' .. q .. ' lists agent ' .. id .. ' for ' .. what ..
                   ' who cannot take work or does not belong there')
          end
        end
        for id in pairs(listed) do
          local a = agent_rec(c, id)
          if a and belong(a) and not in_index[id] then
            report('push queue ' .. q .. ' does not list agent ' .. id .. ' for ' .. what)
          end
        end
      end
      -- With channels, each channel's index: the agents with presence and room for it.
      for name, ch in pairs(c.cfg.units and c.cfg.channels or {}) do
        check_index('|#' .. name, 'channel ' .. name,
                    function(a) return units.channel_fits(a, name, ch) end)
      end
      local skills = {}
      for _, id in ipairs(agents) do
        local a = agent_rec(c, id)
        if available(a) and not listed[id] and
            string.find(',' .. (a.qe or '') .. ',', ',' .. q .. ',', 1, true) then
          report('push queue ' .. q .. ' does not list available agent ' .. id)
        end
        for skill in string.gmatch(a.sk or '', '([^,:]+):?%d*') do skills[skill] = true end
      end
      -- Each skill's index: the agents having that skill.
      for skill in pairs(skills) do
        check_index('|' .. skill, 'skill ' .. skill,
                    function(a) return agent_levels(a)[skill] ~= nil end)
      end
    end
  end
  local waiting = {}
  local function check_set(zkey, name)
    for _, tid in ipairs(redis.call('ZRANGE', zkey, 0, -1)) do
      waiting[tid] = (waiting[tid] or 0) + 1
      local s = redis.call('HGET', key(c.P, 'ticket', tid), 's')
      if s ~= 'queued' then
        report(name .. ' holds ticket ' .. tid .. ' in status ' .. tostring(s))
      end
    end
  end
  for i = 5, #argv do
    local q = argv[i]
    check_set(key(c.P, 'queue', q), 'queue ' .. q)
    -- Each requirement set counted in use holds as many tickets, each waiting under that set.
    local sets = redis.call('HGETALL', key(c.P, 'queue_sets', q))
    for j = 1, #sets, 2 do
      local sg, zkey = sets[j], set_key(c, q, sets[j])
      check_set(zkey, 'queue ' .. q .. ' set ' .. sg)
      if redis.call('ZCARD', zkey) ~= tonumber(sets[j + 1]) then
        report('queue ' .. q .. ' counts ' .. sets[j + 1] .. ' tickets in set ' .. sg .. ' but ' ..
               redis.call('ZCARD', zkey) .. ' wait there')
      end
      for _, tid in ipairs(redis.call('ZRANGE', zkey, 0, -1)) do
        local tsg = redis.call('HGET', key(c.P, 'ticket', tid), 'sg')
        if tsg ~= sg then
          report('ticket ' .. tid .. ' waits in set ' .. sg .. ' of queue ' .. q .. ' under ' ..
                 tostring(tsg))
        end
      end
    end
  end
  for _, id in ipairs(agents) do
    check_set(key(c.P, 'personal_queue', id), 'personal queue of ' .. id)
  end
  local checked, cursor = 0, '0'
  local prefix = key(c.P, 'ticket', '')
  repeat
    local r = redis.call('SCAN', cursor, 'MATCH', prefix .. '*', 'COUNT', 1000)
    cursor = r[1]
    for _, tk in ipairs(r[2]) do
      checked = checked + 1
      local tid = string.sub(tk, #prefix + 1)
      for _, name in ipairs(redis.call('HKEYS', tk)) do
        if not TICKET_FIELDS[name] then report('ticket ' .. tid .. ' has undeclared field ' .. name) end
      end
      local f = redis.call('HMGET', tk, 's', 'la', 'q', 'qs', 'pq', 'uc')
      if f[6] and not HELD[f[1]] then
        report('ticket ' .. tid .. ' ' .. f[1] .. ' still charged ' .. f[6])
      end
      if f[1] == 'queued' then
        local expected = 1
        if f[5] then
          expected = #split(f[5])
        elseif f[4] then
          expected = #split(f[4])
        end
        if (waiting[tid] or 0) ~= expected then
          report('queued ticket ' .. tid .. ' sits in ' .. (waiting[tid] or 0) ..
                 ' waiting sets, expected ' .. expected)
        end
      elseif HELD[f[1]] then
        if not f[2] or holder[tid] ~= f[2] then
          report('ticket ' .. tid .. ' ' .. f[1] .. ' to ' .. tostring(f[2]) ..
                 ' but not in that agent\'s held set')
        end
      end
    end
  until cursor == '0'
  return {bad, forced, checked, #agents}
end
register('verify', verify, 'read')
