-- Agents -------------------------------------------------------------------------------------
-- An agent record, read at most once per call and cached in c.agents (false: no such agent).
-- Changes to load, status and last assignment are made on the record and written by settle(),
-- which also keeps the push queues' availability indexes (qa:<queue>) in step.

-- Forced excess: a supervisor's forced reassign, or a max_concurrent lowered under the load,
-- leaves an agent above its maximum; the mark `fx` lets verify tell that from a broken
-- invariant, and goes as soon as the load is back at or under the maximum (so a later excess
-- that nobody forced is reported). The marked agents are also listed in the workspace set
-- `forced`, which the library keeps parsed per database and workspace for the life of the loaded
-- library (as it keeps configurations), so that a load that drops tells whether it must look
-- without a Redis read: the marks are rare, and the drops are on the hottest path (resolve).
-- Every mark is set and cleared by these functions; a library loaded anew (every daemon connect)
-- reads the set again. The database comes from the configuration (`db`): one Redis server runs
-- one library for all its databases, and two daemons may name the same workspace in two of them.
-- verify checks the set against the marks.
local forced_by_database = {}

-- Capacity in units (include/capacity.lua), declared here: the push queues' availability indexes
-- below keep its per-channel indexes.
local units = {}
local function forced_agents(c)
  local db = c.cfg.db or '0'
  local workspaces = forced_by_database[db]
  if not workspaces then
    workspaces = {}
    forced_by_database[db] = workspaces
  end
  local set = workspaces[c.P]
  if not set then
    set = {}
    for _, id in ipairs(redis.call('SMEMBERS', key(c.P, 'forced'))) do set[id] = true end
    workspaces[c.P] = set
  end
  return set
end

local function mark_forced(c, a)
  redis.call('HSET', a.key, 'fx', '1')
  redis.call('SADD', key(c.P, 'forced'), a.id)
  forced_agents(c)[a.id] = true
  a.fx = true
end

-- Ends agent `id`'s forced excess once its load is back at or under its maximum (`max`, read
-- from its record `ak` when not given). True when it ended one.
local function end_forced_excess(c, ak, id, load, max)
  local forced = forced_agents(c)
  if not forced[id] then return false end
  max = max or count_of(redis.call('HGET', ak, 'm')) or c.cfg.max_default
  if load > max then return false end
  redis.call('HDEL', ak, 'fx')
  redis.call('SREM', key(c.P, 'forced'), id)
  forced[id] = nil
  return true
end

-- Online with room for one more ticket; with channels, also some units left (whether a given
-- ticket fits: units.fit()).
local function available(a)
  return a.st == 'online' and a.load < a.max and (not a.cap or a.used < a.cap)
end

-- What push routing ranks agents by (lt, ss, rr) is read only while some queue pushes: each
-- field read costs about half what a small command costs.
local function agent_rec(c, id)
  local a = c.agents[id]
  if a == nil then
    local ak = key(c.P, 'agent', id)
    local f
    -- `sk` (skills) last: eligibility reads it only when requirements are in force.
    local cfg = c.cfg
    if cfg.extended then
      -- Channels and missed offers: units used, per-channel use and presence, wrap-ups.
      f = redis.call('HMGET', ak, 'st', 'm', 'l', 'qe', 'pn', 'sk', 'lt', 'ss', 'rr', 'cp', 'u',
                     'cc', 'ch', 'wu', 'mo')
    elseif cfg.any_push then
      f = redis.call('HMGET', ak, 'st', 'm', 'l', 'qe', 'pn', 'sk', 'lt', 'ss', 'rr')
    else
      f = redis.call('HMGET', ak, 'st', 'm', 'l', 'qe', 'pn', 'sk')
    end
    if f[1] then
      a = {key = ak, id = id, st = f[1], max = count_of(f[2]) or cfg.max_default,
           load = count_of(f[3]) or 0, qe = f[4], waiting = count_of(f[5]) or 0,
           fx = forced_agents(c)[id], sk = f[6] or nil, lt = f[7] or nil, ss = f[8] or '0',
           rr = f[9] or '', changed = {}}
      if cfg.extended then
        if cfg.units then
          a.cap = count_of(f[10]) or cfg.capacity_default
          a.used = count_of(f[11]) or 0
          a.cc = f[12] or nil
          a.chp = f[13] or nil
          a.wu = f[14] or nil
        end
        a.mo = count_of(f[15]) or 0
      end
      -- Whether the push queues' availability indexes list it (they list exactly the
      -- available agents): an agent that was not, and still is not, needs no removal.
      a.listed = available(a)
    else
      a = false
    end
    c.agents[id] = a
  end
  return a or nil
end

local function load_agent(c, id)
  local a = agent_rec(c, id)
  if not a then fail('NOT_FOUND', 'agent=' .. id) end
  return a
end

-- Room for one more ticket in a counted status; `already` is true when the ticket already
-- counts toward this agent's load.
local function has_room(a, already)
  if already then return true end
  return a.load < a.max
end

-- When this agent last got a ticket from queue q (round robin), from its `rr` field
-- (queue=ms,queue=ms).
local function last_from(a, q)
  return listed(a.rr, q) or '0'
end

-- Marks fields of agent record a as changed (written back by write_agent).
local function touch(a, name, other)
  a.changed[name] = true
  if other then a.changed[other] = true end
end

local function set_last_from(a, q, ms)
  a.rr = relisted(a.rr, q, ms)
  touch(a, 'rr')
end

-- An agent's place in a push queue's availability index: lowest goes first.
--   least_loaded: load/max in 1/10000 steps, then longest idle (seconds since last ticket);
--   longest_idle: time of its last ticket (or of coming online);
--   round_robin:  time of its last ticket from this queue.
local function availability_score(a, q, pol)
  local idle = a.lt or a.ss
  if pol.strategy == 'longest_idle' then return idle end
  if pol.strategy == 'round_robin' then return last_from(a, q) end
  -- The ratio, then the seconds of the ms time `idle` as 10 digits: text, not formatting.
  local seconds = string.sub(idle, 1, -4)
  if #seconds < 10 then seconds = string.rep('0', 10 - #seconds) .. seconds end
  return count_text(math.floor(a.load * 10000 / a.max)) .. seconds
end

-- Takes agent record a out of availability index `qa` (a push queue's) and the indexes that
-- go with it: its skills' and, with channels, the channels'.
local function leave_availability(c, a, qa)
  redis.call('ZREM', qa, a.id)
  for skill in string.gmatch(a.sk or '', '([^,:]+):?%d*') do
    redis.call('ZREM', qa .. '|' .. skill, a.id)
  end
  if a.cap then units.refresh_channels(c, a, qa, nil) end
end

-- An agent with skills is also kept, with the same score, in the index of each of its skills
-- (qa:<queue>|<skill>): a push looks for an agent who meets a ticket's requirements among the
-- agents having the rarest of them, not through the whole queue.
local function refresh_availability(c, a)
  for q in string.gmatch(a.qe or '', '[^,]+') do
    local pol = push_queue_policy(c, q)
    if pol then
      local qa = key(c.P, 'queue_agents', q)
      if available(a) then
        local score = availability_score(a, q, pol)
        redis.call('ZADD', qa, score, a.id)
        for skill in string.gmatch(a.sk or '', '([^,:]+):?%d*') do
          redis.call('ZADD', qa .. '|' .. skill, score, a.id)
        end
        if a.cap then units.refresh_channels(c, a, qa, score) end
      elseif a.listed then
        leave_availability(c, a, qa)
      end
    end
  end
  a.listed = available(a)
end

-- Writes an agent record's changed fields back and refreshes its place in the push queues.
-- (Units `u` and missed offers `mo` are counts; per-channel use `cc`, presence `ch` and
-- wrap-ups `wu` are removed when empty.)
local AGENT_FIELD = {l = 'load', st = 'st', ss = 'ss', lt = 'lt', rr = 'rr', u = 'used',
                     cc = 'cc', ch = 'chp', wu = 'wu', mo = 'mo'}
local function write_agent(c, a)
  local n = 0
  for name in pairs(a.changed) do
    local value = a[AGENT_FIELD[name]]
    if name == 'l' or name == 'u' or name == 'mo' then value = count_text(value) end
    if value == nil or value == '' then
      redis.call('HDEL', a.key, name)
    else
      set_args[n + 1] = name
      set_args[n + 2] = value
      n = n + 2
    end
  end
  if n > 0 then redis.call('HSET', a.key, unpack(set_args, 1, n)) end
  if a.fx and (a.changed.l or a.changed.u) and (not a.cap or a.used <= a.cap) and
      end_forced_excess(c, a.key, a.id, a.load, a.max) then
    a.fx = nil
  end
  if c.cfg.any_push then refresh_availability(c, a) end
  a.changed = {}
end

-- Sets an agent's presence.
-- Offline for agents.offline_return_after arms the agent's return timer (`o|<agent>`); any
-- other status cancels it. Back online, the count of missed offers starts again.
local function set_status(c, a, status)
  if c.cfg.offline_ms > 0 and (status == 'offline' or a.st == 'offline') then
    if status == 'offline' then
      redis.call('ZADD', key(c.P, 'timers'), now_of(c) + c.cfg.offline_ms, 'o|' .. a.id)
    else
      redis.call('ZREM', key(c.P, 'timers'), 'o|' .. a.id)
    end
  end
  if status == 'online' and a.mo and a.mo > 0 then
    a.mo = 0
    touch(a, 'mo')
  end
  a.st = status
  a.ss = c.now_ms
  touch(a, 'st', 'ss')
end

-- Changes an agent's load by delta (1 or -1). Without push queues an agent the call did not
-- read is changed in place (one command; a marked agent's drop reads what ends its forced
-- excess); otherwise through its record, so the indexes follow.
local function adjust_load(c, id, delta)
  local a = c.agents[id]
  if a == nil and not c.cfg.any_push and not c.cfg.units then
    local ak = key(c.P, 'agent', id)
    if delta > 0 then
      redis.call('HINCRBY', ak, 'l', '1')
      return
    end
    -- No queue pushes, so nobody is owed the room this frees (settle offers it only then).
    end_forced_excess(c, ak, id, redis.call('HINCRBY', ak, 'l', '-1'))
    return
  end
  a = agent_rec(c, id)
  if not a then return end
  a.load = a.load + delta
  touch(a, 'l')
  if delta < 0 then owe(c, 'freed', id) end
end

-- Marks that an agent just got a ticket (pushed from queue q with policy pol, or nil). Only
-- round robin reads when an agent last got a ticket from a given queue, so only it records that.
local function note_assigned(c, a, q, pol)
  a.lt = c.now_ms
  touch(a, 'lt')
  if q and pol.strategy == 'round_robin' then set_last_from(a, q, c.now_ms) end
end
