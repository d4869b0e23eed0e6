-- queue_head: the first waiting tickets of a queue in rank order, with its depth and oldest
-- enqueue second.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] queue, [6] limit
-- Returns  {depth, oldest second or -1, {{id, ticket fields}...}}
local function queue_head(keys, argv)
  local q, limit = argv[5], argv[6]
  local c = context(keys, argv)
  local depth = redis.call('ZCARD', key(c.P, 'queue', q))
  -- Tickets with requirements in force wait in the queue's requirement sets, counted there.
  for _, n in ipairs(redis.call('HVALS', key(c.P, 'queue_sets', q))) do
    depth = depth + tonumber(n)
  end
  local tickets = {}
  for i, id in ipairs(queue_heads(c, q, tostring(tonumber(limit) - 1))) do
    tickets[i] = {id, redis.call('HGETALL', key(c.P, 'ticket', id))}
  end
  local oldest = redis.call('ZRANGE', key(c.P, 'queue_age', q), 0, 0)
  return {depth, tonumber(oldest[1]) or -1, tickets}
end
register('queue_head', queue_head, 'read')
