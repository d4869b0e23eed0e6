-- explain: why a ticket waits or who could take it, read in one consistent step with the same
-- helpers the hand-outs use (requirement_set, meets, cooling, units, the availability rules).
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] ticket id, [6] limit (agents listed)
-- Returns  {ticket fields (HGETALL form), {queue, position}..., {agent, reasons (comma list,
--          '' when push could hand it the ticket now), pull (1: its `next` could return it,
--          0: not, -1: none of the ticket's queues pulls), load, max, used, capacity}...}
--          `position` counts the tickets ahead of it in that queue (over its requirement sets;
--          a personal queue is named `personal:<agent>`); both lists are empty for a ticket
--          that does not wait. Agents are those serving one of its queues (or named by its
--          personal queues), in id order, at most `limit`, of at most EXPLAIN_EXAMINED
--          examined.
-- Errors   TICKETD_NOT_FOUND ticket=<id>
local EXPLAIN_EXAMINED = 4096

-- Every reason push routing could not hand ticket t (its requirement set in force now `sg`,
-- waiting for the agents `preferred` when its preference holds) to agent record a now, as
-- API.md's explain names them; and whether a `next` could return it (presence and cooldown do
-- not stop a pull).
local function reasons_for(c, t, a, sg, queues, preferred)
  local out, pull_ok = {}, true
  local function no(reason, pull_too)
    out[#out + 1] = reason
    if pull_too then pull_ok = false end
  end
  if a.st ~= 'online' then no(a.st, false) end
  local name, ch
  if a.cap then
    name, ch = units.channel(c, t)
    if (listed(a.chp, name) or 'online') ~= 'online' then no('channel_away', false) end
  end
  local serves = false
  for q in string.gmatch(a.qe or '', '[^,]+') do
    if queues[q] then serves = true end
  end
  if not serves and not (preferred and preferred[a.id]) then no('not_in_queue', true) end
  -- A held ticket counts toward its holder already: no room needed.
  if assignee(t) ~= a.id then
    if a.load >= a.max then no('at_capacity', true) end
    if a.cap then
      -- What its running wrap-ups keep: without them, would the ticket fit?
      local wrap, wrap_n = 0, 0
      for _, wname, cost in string.gmatch(a.wu or '', '(%d+):([^:,]+):(%d+)') do
        wrap = wrap + tonumber(cost)
        if wname == name then wrap_n = wrap_n + 1 end
      end
      if a.used + ch.cost > a.cap then
        no('no_room', true)
        if wrap > 0 and a.used - wrap + ch.cost <= a.cap then no('wrap_up', true) end
      end
      local n = units.in_channel(a, name)
      if ch.max > 0 and n >= ch.max then
        no('channel_full', true)
        if wrap_n > 0 and n - wrap_n < ch.max then no('wrap_up', true) end
      end
    end
  end
  if sg then
    local levels = agent_levels(a)
    for skill, level in string.gmatch(sg, '([^:,]+):(%d+)') do
      local have = levels[skill]
      if not have then
        no('missing_skill', true)
      elseif have < tonumber(level) then
        no('skill_level', true)
      end
    end
  end
  if preferred and not preferred[a.id] then no('not_preferred', true) end
  if cooling(t, a.id, now_of(c)) then no('cooldown', false) end
  -- One reason once (wrap_up may be found twice).
  local seen, reasons = {}, {}
  for _, r in ipairs(out) do
    if not seen[r] then
      seen[r] = true
      reasons[#reasons + 1] = r
    end
  end
  return table.concat(reasons, ','), pull_ok
end

local function explain(keys, argv)
  local id, limit = argv[5], tonumber(argv[6])
  local c = context(keys, argv)
  local t = load_ticket(c, id, {'cd'})
  local fields = redis.call('HGETALL', t.key)
  local positions = {}
  local queues, preferred = {}, nil
  for _, q in ipairs(shared_queues(t)) do queues[q] = true end
  if t.f.s == 'queued' and t.f.pq then
    -- Waiting for its preferred agents (or its last agent): their personal queues.
    preferred = {}
    for agent in string.gmatch(t.f.pq, '[^,]+') do
      preferred[agent] = true
      local ahead = redis.call('ZCOUNT', key(c.P, 'personal_queue', agent), '-inf',
                               '(' .. t.f.r)
      positions[#positions + 1] = {'personal:' .. agent, ahead}
    end
  elseif t.f.s == 'queued' then
    for _, q in ipairs(shared_queues(t)) do
      local ahead = redis.call('ZCOUNT', key(c.P, 'queue', q), '-inf', '(' .. t.f.r)
      for _, sg in ipairs(queue_sets(c, q)) do
        ahead = ahead + redis.call('ZCOUNT', set_key(c, q, sg), '-inf', '(' .. t.f.r)
      end
      positions[#positions + 1] = {q, ahead}
    end
  end
  local sg = requirement_set(c, t)
  local any_pull = false
  for q in pairs(queues) do
    if not push_queue_policy(c, q) then any_pull = true end
  end
  -- The agents in id order, a batch at a time (as agent_list pages them).
  local agents, examined, from = {}, 0, '-'
  while #agents < limit and examined < EXPLAIN_EXAMINED do
    local ids = redis.call('ZRANGE', key(c.P, 'agents'), from, '+', 'BYLEX', 'LIMIT', 0, 256)
    for _, aid in ipairs(ids) do
      if #agents >= limit or examined >= EXPLAIN_EXAMINED then break end
      examined = examined + 1
      from = '(' .. aid
      local a = agent_rec(c, aid)
      local relevant = preferred and preferred[aid]
      for q in string.gmatch(a and a.qe or '', '[^,]+') do
        if queues[q] then relevant = true end
      end
      if a and relevant then
        local reasons, pull_ok = reasons_for(c, t, a, sg, queues, preferred)
        agents[#agents + 1] = {aid, reasons, any_pull and (pull_ok and 1 or 0) or -1, a.load,
                               a.max, a.used or 0, a.cap or 0}
      end
    end
    if #ids < 256 then break end
  end
  return {fields, positions, agents}
end
register('explain', explain, 'read')
