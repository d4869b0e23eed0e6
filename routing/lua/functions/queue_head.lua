-- queue_head: the first waiting tickets of a queue in rank order, with its depth and oldest
-- enqueue second.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] queue, [6] limit
-- Returns  {depth, oldest second or -1, {{id, ticket fields}...}}
local function queue_head(keys, argv)
  local q, limit = argv[5], argv[6]
  local c = context(keys, argv)
  local ids = redis.call('ZRANGE', key(c.P, 'queue', q), 0, tonumber(limit) - 1)
  local tickets = {}
  for i, id in ipairs(ids) do
    tickets[i] = {id, redis.call('HGETALL', key(c.P, 'ticket', id))}
  end
  local oldest = redis.call('ZRANGE', key(c.P, 'queue_age', q), 0, 0)
  return {redis.call('ZCARD', key(c.P, 'queue', q)), tonumber(oldest[1]) or -1, tickets}
end
register('queue_head', queue_head, 'read')
