-- Push ----------------------------------------------------------------------------------------

-- Offers (with accept_timeout) or assigns waiting ticket t to agent record a for push queue q
-- (nil: from the agent's personal queue); `via` names the hand-out in ticket.assigned (default
-- push). `d` is the decision (pick_agent's, or {mode = ...}): the ticket keeps its record (`dr`:
-- mode|strategy|score|candidates|at_ms, the winner being its holder), and a push's event carries
-- it with its runners-up.
local function hand_to(c, t, a, q, pol, via, d)
  local queued_at = t.f.qa
  local strategy = d.score and pol.strategy or ''
  put(t, 'dr', d.mode .. '|' .. strategy .. '|' .. (d.score or '') .. '|' .. (d.candidates or '1') ..
      '|' .. c.now_ms)
  unqueue(c, t)
  local status, token, expires = 'assigned', '', ''
  if pol.accept > 0 then
    status = 'offered'
    move(c, t, 'offered', a.id)
    token = next_version(t)
    expires = tostring(now_of(c) + pol.accept)
    put(t, 'ot', token)
    put(t, 'oq', q)
    set_lifecycle_timer(c, t, 'offer', expires)
  else
    move(c, t, 'assigned', a.id)
  end
  note_assigned(c, a, q, pol)
  write_agent(c, a)
  commit(c, t)
  if status == 'offered' then
    emit(c, 'ticket.offered', t.id, 'agent', a.id, 'token', token, 'expires', expires,
         'queue', q, 'strategy', strategy, 'score', d.score or '', 'candidates',
         d.candidates or '1', 'runners_up', d.runners or '')
  elseif d.score then
    emit(c, 'ticket.assigned', t.id, 'agent', a.id, 'via', via or 'push',
         'queue', q or t.f.q, 'strategy', strategy, 'score', d.score, 'candidates', d.candidates,
         'runners_up', d.runners or '')
  else
    emit(c, 'ticket.assigned', t.id, 'agent', a.id, 'via', via or 'push',
         'queue', q or t.f.q)
  end
  local made = c.assignments
  if not made then
    made = {}
    c.assignments = made
  end
  made[#made + 1] = {t.id, a.id, status, token, expires, queued_at or ''}
end

local COOLDOWN_FIELDS = {'cd'}

local pick_agent
do
  -- How many of the agents after a push's winner its decision record looks at for runners-up:
  -- with requirements in force each is a read of its skills, and a rare set in a wide list would
  -- otherwise read up to AGENT_SCAN_WIDE of them.
  local RUNNERS_SCAN = 10

  -- The first of `candidates` that may take t: not cooling down for it, available, and meeting
  -- the requirements it waits under; and its place in the list.
  local function first_able(c, candidates, t)
    local sg = t.f.sg
    for i, id in ipairs(candidates) do
      -- With requirements in force, an agent not yet read is first asked only its skills.
      if not cooling(t, id, now_of(c)) and
          (not sg or c.agents[id] ~= nil or skills_meet(c, id, sg)) then
        local a = agent_rec(c, id)
        if a and available(a) and meets(a, sg) and (not a.cap or units.fit(c, a, t, true)) then
          return a, i
        end
      end
    end
    return nil
  end

  -- The decision of a push that picked candidates[i] of availability index `zkey` for ticket t:
  -- the winner's score in it, how many agents it held (available, with room for the ticket's
  -- channel), and the runners-up: up to 3 of the RUNNERS_SCAN agents after the winner in the
  -- list that could have taken the ticket too (agent:score,...), for the event. `candidates`
  -- is the index's head as ZRANGE 0 `last` read it in this call, before any hand-out changed
  -- the index: shorter than that range, it is the whole index, and its length the count.
  local function decision(c, t, candidates, i, zkey, last)
    local sg = t.f.sg
    local runners = {candidates[i]}
    for j = i + 1, math.min(#candidates, i + RUNNERS_SCAN) do
      if #runners == 4 then break end
      local id = candidates[j]
      if not cooling(t, id, now_of(c)) and
          (not sg or (c.agents[id] and meets(c.agents[id], sg)) or skills_meet(c, id, sg)) then
        runners[#runners + 1] = id
      end
    end
    local scores = redis.call('ZMSCORE', zkey, unpack(runners))
    local listed = {}
    for k = 2, #runners do listed[k - 1] = runners[k] .. ':' .. (scores[k] or '') end
    local count = #candidates
    if count > tonumber(last) then count = redis.call('ZCARD', zkey) end
    -- The count as text once: a Lua number is formatted again wherever it is written.
    return {mode = 'push', score = scores[1] or '',
            candidates = count_text(count),
            runners = table.concat(listed, ',')}
  end

-- The agent of availability index `akey` a push gives ticket t: the first able of `few` (the
-- index's head), or for a ticket with requirements in force, when none of those meets them,
-- the first able of the first AGENT_SCAN_WIDE in the index of its rarest required skill: agents
-- having that skill, in the queue's order (read once per set and `round`: a push of one queue).
-- With channels, `few` are the head of the index of the ticket's channel instead: the agents
-- with presence and room for it (include/capacity.lua).
  -- Returns the agent and the decision (nil, nil when none may take t).
  pick_agent = function(c, akey, few, t, round)
    local zkey = akey
    if c.cfg.units then
      zkey = akey .. '|#' .. (units.channel(c, t))
      few = round[zkey]
      if not few then
        few = redis.call('ZRANGE', zkey, '0', AGENT_SCAN_LAST)
        round[zkey] = few
      end
    end
    local a, i = first_able(c, few, t)
    if a then return a, decision(c, t, few, i, zkey, AGENT_SCAN_LAST) end
    local sg = t.f.sg
    if not sg or #few <= tonumber(AGENT_SCAN_LAST) then return nil end
    local wide = round[sg]
    if not wide then
      local rarest, fewest
      for skill in string.gmatch(sg, '([^:,]+):%d+') do
        local skey = akey .. '|' .. skill
        local n = redis.call('ZCARD', skey)
        if not fewest or n < fewest then rarest, fewest = skey, n end
      end
      wide = {key = rarest}
      if fewest > 0 then wide.ids = redis.call('ZRANGE', rarest, '0', AGENT_SCAN_WIDE) end
      round[sg] = wide
    end
    if not wide.ids then return nil end
    a, i = first_able(c, wide.ids, t)
    if a then return a, decision(c, t, wide.ids, i, wide.key, AGENT_SCAN_WIDE) end
    return nil
  end
end

-- The first waiting tickets of shared queue q in rank order (equal ranks by id), over its own
-- set and its requirement sets: at most `last` + 1 ids (last as text; HEAD_SCAN_LAST when nil).
local function queue_heads(c, q, last)
  last = last or HEAD_SCAN_LAST
  local sets = queue_sets(c, q)
  if #sets == 0 then return redis.call('ZRANGE', key(c.P, 'queue', q), '0', last) end
  local plain = redis.call('ZRANGE', key(c.P, 'queue', q), '0', last, 'WITHSCORES')
  local scored = {}
  local function add(list)
    for i = 1, #list, 2 do scored[#scored + 1] = {list[i], tonumber(list[i + 1])} end
  end
  add(plain)
  for _, sg in ipairs(sets) do
    add(redis.call('ZRANGE', set_key(c, q, sg), '0', last, 'WITHSCORES'))
  end
  table.sort(scored, function(x, y) return x[2] < y[2] or (x[2] == y[2] and x[1] < y[1]) end)
  local out = {}
  for i = 1, math.min(#scored, tonumber(last) + 1) do out[i] = scored[i][1] end
  return out
end

-- Hands queue q's waiting tickets, lowest rank first, to its available agents.
local function push_queue(c, q)
  local pol = push_queue_policy(c, q)
  if not pol then return end
  local akey = key(c.P, 'queue_agents', q)
  for _ = 1, PUSH_LIMIT do
    local candidates = redis.call('ZRANGE', akey, '0', AGENT_SCAN_LAST)
    if #candidates == 0 then return end
    local handed = false
    local round = {}
    local heads = queue_heads(c, q)
    for _, id in ipairs(heads) do
      -- A ticket this call created is known whole (a new ticket has no cooldowns).
      local t = c.created
      if not t or t.id ~= id then t = load_ticket(c, id, COOLDOWN_FIELDS) end
      local a, d = pick_agent(c, akey, candidates, t, round)
      if a then
        hand_to(c, t, a, q, pol, nil, d)
        handed = true
        break
      end
    end
    -- Handing out the only waiting ticket emptied the queue: nothing is left to look at.
    if not handed or #heads == 1 then return end
  end
end

-- A ticket just created into push queue q, with nothing waiting in q, goes straight to an
-- available agent: it never enters the queue's sets (a sorted-set add and remove and the age
-- index's two updates saved). Returns whether it was handed; if not, it waits as usual.
local function hand_new(c, t, q, pol)
  if redis.call('EXISTS', key(c.P, 'queue', q)) == 1 then return false end
  local akey = key(c.P, 'queue_agents', q)
  local a, d = pick_agent(c, akey, redis.call('ZRANGE', akey, '0', AGENT_SCAN_LAST), t, {})
  if not a then return false end
  t.unlisted = true  -- in no waiting set: unqueue() has nothing to take it out of
  hand_to(c, t, a, q, pol, nil, d)
  t.unlisted = nil
  return true
end

-- Hands agent a, which has room, the lowest-rank waiting tickets of its push queues and of its
-- personal queue (customer replies that waited for it, when their home queue pushes; they are
-- its own tickets coming back, so they are assigned, never offered).
local PERSONAL = {accept = 0}
local function push_agent(c, a)
  for _ = 1, PUSH_LIMIT do
    if not available(a) then return end
    local best, best_score, best_q, best_pol
    if a.waiting > 0 then
      local heads = redis.call('ZRANGE', key(c.P, 'personal_queue', a.id), '0', '0', 'WITHSCORES')
      if heads[1] then
        local t = load_ticket(c, heads[1])
        if push_queue_policy(c, t.f.q) and (not a.cap or units.fit(c, a, t, true)) then
          best, best_score, best_pol = t, tonumber(heads[2]), PERSONAL
        end
      end
    end
    for q in string.gmatch(a.qe or '', '[^,]+') do
      local pol = push_queue_policy(c, q)
      if pol then
        -- The queue's own set, then each requirement set the agent meets.
        local zkey, sets, n = key(c.P, 'queue', q), queue_sets(c, q), 0
        while zkey do
          local heads = redis.call('ZRANGE', zkey, '0', HEAD_SCAN_LAST, 'WITHSCORES')
          for i = 1, #heads, 2 do
            local score = tonumber(heads[i + 1])
            if best_score and score >= best_score then break end
            local t = load_ticket(c, heads[i], COOLDOWN_FIELDS)
            if not cooling(t, a.id, now_of(c)) and (not a.cap or units.fit(c, a, t, true)) then
              best, best_score, best_q, best_pol = t, score, q, pol
              break
            end
          end
          zkey = nil
          while n < #sets and not zkey do
            n = n + 1
            if meets(a, sets[n]) then zkey = set_key(c, q, sets[n]) end
          end
        end
      end
    end
    if not best then return end
    -- The agent that got room takes the best it may: it was the one candidate. From its personal
    -- queue, its own ticket comes back to it.
    local d = {mode = 'return'}
    if best_pol == PERSONAL then
      a.waiting = a.waiting - 1
    else
      d = {mode = 'push', score = availability_score(a, best_q, best_pol), candidates = '1'}
    end
    hand_to(c, best, a, best_q, best_pol, nil, d)
  end
end

-- Ends every writing call: pushes owed to queues that got tickets back and to agents that got
-- room, writes the agents it changed, and answers {result, assignments...}, or the result
-- alone when the call handed nothing out: Redis converts a table reply for about 5,000
-- instructions more than a bare value (bench/README.md). C++ reads both
-- (routing/functions.cpp, reply_result).
local function settle(c, result)
  if c.cfg.any_push then
    if c.requeued then
      for q in pairs(c.requeued) do push_queue(c, q) end
    end
    if c.freed then
      for id in pairs(c.freed) do
        local a = agent_rec(c, id)
        if a then push_agent(c, a) end
      end
    end
  end
  for _, a in pairs(c.agents) do
    if a and next(a.changed) then write_agent(c, a) end
  end
  local made = c.assignments
  if not made or #made == 0 then return result end
  local out = {result}
  for i = 1, #made do out[i + 1] = made[i] end
  return out
end
