-- queue_stats: depth, oldest enqueue second, head rank and agents for each named queue, plus
-- agents by status, read in one consistent step.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5...] queue names
-- Returns  {{depth, oldest second or -1, head score or '', agents online, agents available,
--           units used, units of capacity (online agents; 0 without channels), tickets at risk,
--           expected wait in seconds or -1 (none left the queue lately)} per queue,
--           {online, away, offline}, {channel, online, away, offline, agents in its wrap-up}
--           per configured channel}
-- The expected wait of queue q holding `depth` tickets: the depth over the rate tickets left
-- its waiting sets in the last 200-300 s (qd:<queue>, include/waiting.lua); nil when none left.
local function expected_wait_ms(c, q, depth)
  local now = now_of(c)
  local from = tonumber(string.sub(c.now_ms, 1, -6)) - 2
  local left = 0
  local periods = redis.call('HGETALL', key(c.P, 'queue_departures', q))
  for i = 1, #periods, 2 do
    if tonumber(periods[i]) >= from then left = left + tonumber(periods[i + 1]) end
  end
  if left == 0 then return nil end
  return depth * (now - from * 100000) / left
end

-- At risk: waiting tickets of queue q whose next due time falls before now + `wait` ms (every
-- one with a due time when `wait` is nil). A ticket's rank is at most its due time plus the
-- queue's rank offset, so only the sets' heads up to that rank are read: at most AT_RISK_READ
-- tickets per queue over all its sets (the count stops there), so a scrape in a crisis stays
-- short.
local AT_RISK_READ = 1000
local function at_risk(c, q, sets, wait)
  local horizon = wait and now_of(c) + wait or math.huge
  local top = '+inf'
  if wait then
    local offset = math.max(0, tonumber(c.cfg['ro:' .. q]) or 0)
    top = string.format('%.0f', (horizon + offset) * 1000 + 999)
  end
  local n = 0
  local zkeys = {key(c.P, 'queue', q)}
  for i = 1, #sets, 2 do zkeys[#zkeys + 1] = set_key(c, q, sets[i]) end
  local budget = AT_RISK_READ
  for _, zkey in ipairs(zkeys) do
    if budget <= 0 then break end
    local ids = redis.call('ZRANGE', zkey, '-inf', top, 'BYSCORE', 'LIMIT', 0, budget)
    budget = budget - #ids
    for _, id in ipairs(ids) do
      local due = redis.call('HMGET', key(c.P, 'ticket', id), 'd1', 'd2', 'd3')
      local next_due
      for k = 1, 3 do
        local d = tonumber(due[k])
        if d and (not next_due or d < next_due) then next_due = d end
      end
      if next_due and next_due < horizon then n = n + 1 end
    end
  end
  return n
end

local function queue_stats(keys, argv)
  local c = context(keys, argv)
  local index, out = {}, {}
  for i = 5, #argv do
    local q = argv[i]
    local oldest = redis.call('ZRANGE', key(c.P, 'queue_age', q), 0, 0)
    local head = redis.call('ZRANGE', key(c.P, 'queue', q), 0, 0, 'WITHSCORES')
    local depth, head_score = redis.call('ZCARD', key(c.P, 'queue', q)), head[2]
    -- Tickets with requirements in force wait in the queue's requirement sets.
    local sets = redis.call('HGETALL', key(c.P, 'queue_sets', q))
    for i = 1, #sets, 2 do
      depth = depth + tonumber(sets[i + 1])
      local h = redis.call('ZRANGE', set_key(c, q, sets[i]), 0, 0, 'WITHSCORES')
      if h[2] and (not head_score or tonumber(h[2]) < tonumber(head_score)) then
        head_score = h[2]
      end
    end
    -- (Nothing waits: no wait and nobody at risk.)
    local wait, risk = 0, 0
    if depth > 0 then
      wait = expected_wait_ms(c, q, depth)
      risk = at_risk(c, q, sets, wait)
    end
    out[#out + 1] = {depth, tonumber(oldest[1]) or -1, head_score or '', 0, 0, 0, 0, risk,
                     wait and math.floor(wait / 1000) or -1}
    index[q] = out[#out]
  end
  local by_status = {online = 0, away = 0, offline = 0}
  -- Per channel: agents by their presence on it, and those in one of its wrap-ups.
  local channels, by_channel = {}, {}
  if c.cfg.units then
    for name in pairs(c.cfg.channels) do
      channels[#channels + 1] = name
      by_channel[name] = {name, 0, 0, 0, 0}
    end
    table.sort(channels)
  end
  local column = {online = 2, away = 3, offline = 4}
  for _, id in ipairs(redis.call('ZRANGE', key(c.P, 'agents'), 0, -1)) do
    local a = agent_rec(c, id)
    local st = a.st or 'offline'
    by_status[st] = (by_status[st] or 0) + 1
    local used, cap = a.used or 0, a.cap or 0
    if st == 'online' then
      for _, q in ipairs(split(a.qe)) do
        local row = index[q]
        if row then
          row[4] = row[4] + 1
          if available(a) then row[5] = row[5] + 1 end
          row[6] = row[6] + used
          row[7] = row[7] + cap
        end
      end
    end
    for _, name in ipairs(channels) do
      local row = by_channel[name]
      local n = column[units.presence(a, name)] or 4
      row[n] = row[n] + 1
    end
    for name in string.gmatch(a.wu or '', '%d+:([^:,]+):%d+') do
      local row = by_channel[name]
      if row then row[5] = row[5] + 1 end
    end
  end
  local per_channel = {}
  for i, name in ipairs(channels) do per_channel[i] = by_channel[name] end
  return {out, {by_status.online, by_status.away, by_status.offline}, per_channel}
end
register('queue_stats', queue_stats, 'read')
