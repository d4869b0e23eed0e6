-- queue_stats: depth, oldest enqueue second, head rank and agents for each named queue, plus
-- agents by status, read in one consistent step.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5...] queue names
-- Returns  {{depth, oldest second or -1, head score or '', agents online, agents available}
--           per queue, {online, away, offline}}
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
    out[#out + 1] = {depth, tonumber(oldest[1]) or -1, head_score or '', 0, 0}
    index[q] = out[#out]
  end
  local by_status = {online = 0, away = 0, offline = 0}
  for _, id in ipairs(redis.call('ZRANGE', key(c.P, 'agents'), 0, -1)) do
    local f = redis.call('HMGET', key(c.P, 'agent', id), 'st', 'm', 'l', 'qe')
    local st = f[1] or 'offline'
    by_status[st] = (by_status[st] or 0) + 1
    if st == 'online' then
      local room = (tonumber(f[3]) or 0) < (tonumber(f[2]) or c.cfg.max_default)
      for _, q in ipairs(split(f[4])) do
        local row = index[q]
        if row then
          row[4] = row[4] + 1
          if room then row[5] = row[5] + 1 end
        end
      end
    end
  end
  return {out, {by_status.online, by_status.away, by_status.offline}}
end
register('queue_stats', queue_stats, 'read')
