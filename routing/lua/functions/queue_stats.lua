-- queue_stats: depth, oldest enqueue second, head rank and agents for each named queue, plus
-- agents by status, read in one consistent step.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5...] queue names
-- Returns  {{depth, oldest second or -1, head score or '', agents online, agents available,
--           units used, units of capacity (online agents; 0 without channels)} per queue,
--           {online, away, offline}, {channel, online, away, offline, agents in its wrap-up}
--           per configured channel}
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
    out[#out + 1] = {depth, tonumber(oldest[1]) or -1, head_score or '', 0, 0, 0, 0}
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
