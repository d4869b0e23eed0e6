-- Eligibility ----------------------------------------------------------------------------------
-- A ticket's requirements (`rq`: skill:level:relax_after_ms, sorted by skill, relax empty:
-- never) are in force until its wait (from `qa`) has lasted relax_after. While it waits in
-- shared queues, the requirements in force are its requirement set (`sg`: skill:level list;
-- absent when none): it waits in the queue's sorted set for that set (qr:<queue>|<set>)
-- instead of the queue's own (q:<queue>), and the queue counts how many of its tickets wait
-- under each set (qg:<queue>). A `next` or a push compares the heads of the sets an agent meets
-- and never looks through a queue; a queue holds at most MAX_SETS sets at once (those its
-- tickets relax or overflow into may go past it). The relax timer (`x|<id>`) moves a ticket to
-- its weaker set when the next of its requirements relaxes.

-- The requirement set of ticket t now, and when the next of those requirements relaxes (nil:
-- never); nil, nil when none is in force.
local function requirement_set(c, t)
  local rq = t.f.rq
  if not rq then return nil, nil end
  local now = now_of(c)
  local since = tonumber(t.f.qa) or now
  local parts, next_relax = {}, nil
  for skill, level, relax in string.gmatch(rq, '([^,:]+):(%d+):(%d*)') do
    local ends = relax ~= '' and since + tonumber(relax) or nil
    if not ends or ends > now then
      parts[#parts + 1] = skill .. ':' .. level
      if ends and (not next_relax or ends < next_relax) then next_relax = ends end
    end
  end
  if #parts == 0 then return nil, nil end
  return table.concat(parts, ','), next_relax
end

-- Skills and requirement sets as text are parsed once each for the life of the loaded library:
-- agents share a few skill lists, a push with requirements asks about the same agents call
-- after call, and a `next` checks every set of a queue against the agent; parsing again cost
-- more than the checks (most of a push decision's, with requirements). The parsed tables are
-- only read. Each cache starts over past a bound, so texts long gone do not pile up.
-- (In a block of its own: the library's main chunk has a limit of 200 locals.)
local agent_levels, levels_meet
do
  -- `parse` memoized by its text argument.
  local function parsed_once(parse)
    local parsed, count = {}, 0
    return function(text)
      local p = parsed[text]
      if not p then
        if count >= 4096 then
          parsed, count = {}, 0
        end
        p = parse(text)
        parsed[text] = p
        count = count + 1
      end
      return p
    end
  end

  -- A skills text (skill:level list, a level absent: 1) as name -> level.
  local levels_of = parsed_once(function(sk)
    local levels = {}
    for name, level in string.gmatch(sk, '([^,:]+):?(%d*)') do
      levels[name] = tonumber(level) or 1
    end
    return levels
  end)

  -- A requirement set (skill:level list) as {skill, level, skill, level, ...}.
  local parsed_set = parsed_once(function(sg)
    local p = {}
    for skill, level in string.gmatch(sg, '([^:,]+):(%d+)') do
      p[#p + 1] = skill
      p[#p + 1] = tonumber(level)
    end
    return p
  end)

  -- Agent record a's skills (read with the record) as name -> level.
  agent_levels = function(a)
    local levels = a.levels
    if not levels then
      levels = levels_of(a.sk or '')
      a.levels = levels
    end
    return levels
  end

  -- Whether skills `levels` (name -> level) meet every requirement of set `sg`.
  levels_meet = function(levels, sg)
    local p = parsed_set(sg)
    for i = 1, #p, 2 do
      local have = levels[p[i]]
      if not have or have < p[i + 1] then return false end
    end
    return true
  end
end

-- Whether agent `id`, whose record this call has not read, meets set `sg`: one field read,
-- where reading the whole record of an agent who does not would cost more.
local function skills_meet(c, id, sg)
  local sk = redis.call('HGET', key(c.P, 'agent', id), 'sk')
  return levels_meet(agent_levels({sk = sk or nil}), sg)
end

-- Whether agent record a meets every requirement of set `sg` (nil: none).
local function meets(a, sg)
  if not sg then return true end
  return levels_meet(agent_levels(a), sg)
end

-- The requirement sets in use in queue q (a list, empty when none).
local function queue_sets(c, q)
  return redis.call('HKEYS', key(c.P, 'queue_sets', q))
end

local function set_key(c, q, sg)
  return key(c.P, 'queue_required', q .. '|' .. sg)
end

-- The sorted set ticket t waits in (or would wait in) in shared queue q.
local function wait_key(c, t, q)
  local sg = t.f.sg
  if sg then return set_key(c, q, sg) end
  return key(c.P, 'queue', q)
end

local function count_set(c, q, sg, delta)
  local qg = key(c.P, 'queue_sets', q)
  if redis.call('HINCRBY', qg, sg, delta) <= 0 then redis.call('HDEL', qg, sg) end
end

-- Fails (before any write) when ticket t's set would be queue q's MAX_SETS + 1st.
local check_set_room
do
  local MAX_SETS = 64
  check_set_room = function(c, q, sg)
    if not sg then return end
    local qg = key(c.P, 'queue_sets', q)
    if redis.call('HLEN', qg) >= MAX_SETS and redis.call('HEXISTS', qg, sg) == 0 then
      fail('CONFLICT', 'field=requires sets=' .. MAX_SETS)
    end
  end
end

-- Whether requirements list `rq` has one that relaxes (an item skill:level:ms): only then can
-- the ticket have a relax timer.
local function relaxing(rq)
  return rq ~= nil and string.find(rq, ':%d+:%d') ~= nil
end

-- Ticket t is entering shared queues now: its requirement set from now, and its relax timer.
local function take_requirement_set(c, t)
  if not t.f.rq and not t.f.sg then return end
  local sg, relax = requirement_set(c, t)
  if sg then
    put(t, 'sg', sg)
  elseif t.f.sg then
    drop(t, 'sg')
  end
  if relax then redis.call('ZADD', key(c.P, 'timers'), relax, 'x|' .. t.id) end
end

-- Ticket t left its shared queues: no set, no relax timer.
local function drop_requirement_set(c, t)
  if not t.f.sg then return end
  t.left_sg = t.f.sg  -- what a hand-out now met (note_handed_out)
  drop(t, 'sg')
  if relaxing(t.f.rq) then redis.call('ZREM', key(c.P, 'timers'), 'x|' .. t.id) end
end

-- What a hand-out met, for verify (`hs`: the requirement set in force, `|`, the holder's skills
-- then): a ticket with requirements handed to `agent` (the functions only hand out to agents
-- who meet them; a supervisor's reassign, c.bypass, records nothing). verify reports a held
-- ticket whose holder, with the same skills, does not meet the set it recorded.
local function note_handed_out(c, t, agent)
  -- The set it waited under when it leaves a queue for the agent (what next and push checked);
  -- else (a personal queue, a return) the requirements in force now.
  local sg = not c.bypass and (t.left_sg or requirement_set(c, t))
  t.left_sg = nil
  local a = sg and agent_rec(c, agent)
  if a then
    put(t, 'hs', sg .. '|' .. (a.sk or ''))
  else
    drop(t, 'hs')
  end
end
