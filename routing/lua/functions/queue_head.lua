-- queue_head: the first waiting tickets of a queue in rank order, with its depth and oldest
-- enqueue second.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] queue, [6] limit
-- Returns  {depth, oldest second or -1, {{id, ticket fields}...}}
local function queue_head(keys, argv)
  local q, limit = argv[5], argv[6]
  local c = context(keys, argv)
  local n = tonumber(limit)
  local zkeys, depth = {key(c.P, 'queue', q)}, redis.call('ZCARD', key(c.P, 'queue', q))
  local sets = redis.call('HGETALL', key(c.P, 'queue_sets', q))
  for i = 1, #sets, 2 do
    zkeys[#zkeys + 1] = set_key(c, q, sets[i])
    depth = depth + tonumber(sets[i + 1])
  end
  -- The first `limit` of each sorted set, merged in rank order (equal ranks by id).
  local scored = {}
  for _, zkey in ipairs(zkeys) do
    local r = redis.call('ZRANGE', zkey, 0, n - 1, 'WITHSCORES')
    for i = 1, #r, 2 do scored[#scored + 1] = {r[i], tonumber(r[i + 1])} end
  end
  if #zkeys > 1 then
    table.sort(scored, function(x, y) return x[2] < y[2] or (x[2] == y[2] and x[1] < y[1]) end)
  end
  local tickets = {}
  for i = 1, math.min(n, #scored) do
    local id = scored[i][1]
    tickets[i] = {id, redis.call('HGETALL', key(c.P, 'ticket', id))}
  end
  local oldest = redis.call('ZRANGE', key(c.P, 'queue_age', q), 0, 0)
  return {depth, tonumber(oldest[1]) or -1, tickets}
end
register('queue_head', queue_head, 'read')
