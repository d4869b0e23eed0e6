#!lua name=floor
-- Two bare models of ticketd's create -> next -> resolve, for bench/run_floor.sh: what the
-- cycle's Redis work costs when it keeps only the writes every design must make (the ticket, the
-- queue entry, the SLA timer, the agent's load and held set, one event per step), with the
-- ticket stored two ways. Not ticketd's functions: no rules, no checks beyond what picks the
-- ticket, no push, no age index. KEYS[1] is a prefix; ARGV[1] the time, ms.
--
-- h_*: the ticket as a hash of fields (ticketd's layout, 10 fields on create); the caller reads
--      it back with HGETALL after next and resolve, as ticketd does.
-- p_*: the ticket as one string value. The fields a step reads and writes lead it, one '|'
--      after each: status|version|agent|updated|first reply due|resolution due|rest. The
--      caller packs the rest on create; next and resolve answer the new value, so nothing is
--      read back.

-- One event as ticketd writes it (routing/lua/include/events.lua): one field named by the type.
local function emit(P, etype, id, now, name, value)
  redis.call('XADD', P .. 'events', '*', etype,
             id .. '\31' .. now .. '\31' .. name .. '\31' .. value)
end

-- ARGV: now, id, score, first reply due, resolution due, fingerprint
redis.register_function('h_create', function(keys, argv)
  local P, now, id = keys[1], argv[1], argv[2]
  redis.call('HSET', P .. 't:' .. id, 's', 'queued', 'q', 'general', 'p', 'normal', 'r', argv[3],
             'v', '1', 'qa', now, 'd1', argv[4], 'd3', argv[5], 'fp', argv[6],
             'ch', 'email')
  redis.call('ZADD', P .. 'timers', argv[4], 's|' .. id)
  redis.call('ZADD', P .. 'q:general', argv[3], id)
  emit(P, 'ticket.queued', id, now, 'queue', 'general')
  return 'created'
end)

-- next's part that does not touch the ticket: takes the queue's head and counts it on the
-- agent. Answers the ticket's id and key, or nil when nothing waits.
local function take_head(P, agent)
  local ak = P .. 'a:' .. agent
  local load = tonumber(redis.call('HGET', ak, 'l')) or 0
  local id = redis.call('ZRANGE', P .. 'q:general', '0', '0')[1]
  if not id then return nil end
  redis.call('ZREM', P .. 'q:general', id)
  redis.call('HSET', ak, 'l', tostring(load + 1))
  return id, P .. 't:' .. id
end

-- ARGV: now, agent
redis.register_function('h_next', function(keys, argv)
  local P, now, agent = keys[1], argv[1], argv[2]
  local id, tk = take_head(P, agent)
  if not id then return false end
  local v = redis.call('HGET', tk, 'v')
  redis.call('HSET', tk, 's', 'assigned', 'v', tostring(tonumber(v) + 1), 'ua', now, 'la', agent)
  redis.call('SADD', P .. 'h:' .. agent, id)
  emit(P, 'ticket.assigned', id, now, 'agent', agent)
  return id
end)

-- ARGV: now, id, close at
redis.register_function('h_resolve', function(keys, argv)
  local P, now, id = keys[1], argv[1], argv[2]
  local tk = P .. 't:' .. id
  local f = redis.call('HMGET', tk, 's', 'v', 'la', 'd1', 'd3')
  if f[1] ~= 'assigned' then return redis.error_reply('not held') end
  redis.call('SREM', P .. 'h:' .. f[3], id)
  redis.call('HINCRBY', P .. 'a:' .. f[3], 'l', '-1')
  redis.call('ZREM', P .. 'timers', 's|' .. id)
  redis.call('ZADD', P .. 'timers', argv[3], 'l|' .. id)
  redis.call('HDEL', tk, 'd1')
  local after = tostring(tonumber(f[2]) + 1)
  redis.call('HSET', tk, 's', 'resolved', 'v', after, 'ua', now, 'rz', now, 'lk', 'close',
             'p3', f[5], 'ps', now)
  emit(P, 'ticket.resolved', id, now, 'agent', f[3])
  return after
end)

local LEAD = '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$'

-- ARGV: now, id, score, first reply due, the packed value
redis.register_function('p_create', function(keys, argv)
  local P, now, id = keys[1], argv[1], argv[2]
  redis.call('SET', P .. 't:' .. id, argv[5])
  redis.call('ZADD', P .. 'timers', argv[4], 's|' .. id)
  redis.call('ZADD', P .. 'q:general', argv[3], id)
  emit(P, 'ticket.queued', id, now, 'queue', 'general')
  return 'created'
end)

-- ARGV: now, agent
redis.register_function('p_next', function(keys, argv)
  local P, now, agent = keys[1], argv[1], argv[2]
  local id, tk = take_head(P, agent)
  if not id then return false end
  local _, v, _, _, d1, d3, rest = string.match(redis.call('GET', tk), LEAD)
  local value = 'assigned|' .. (tonumber(v) + 1) .. '|' .. agent .. '|' .. now .. '|' .. d1 ..
                '|' .. d3 .. '|' .. rest
  redis.call('SET', tk, value)
  redis.call('SADD', P .. 'h:' .. agent, id)
  emit(P, 'ticket.assigned', id, now, 'agent', agent)
  return {id, value}
end)

-- ARGV: now, id, close at
redis.register_function('p_resolve', function(keys, argv)
  local P, now, id = keys[1], argv[1], argv[2]
  local tk = P .. 't:' .. id
  local s, v, agent, _, _, d3, rest = string.match(redis.call('GET', tk), LEAD)
  if s ~= 'assigned' then return redis.error_reply('not held') end
  redis.call('SREM', P .. 'h:' .. agent, id)
  redis.call('HINCRBY', P .. 'a:' .. agent, 'l', '-1')
  redis.call('ZREM', P .. 'timers', 's|' .. id)
  redis.call('ZADD', P .. 'timers', argv[3], 'l|' .. id)
  local value = 'resolved|' .. (tonumber(v) + 1) .. '|' .. agent .. '|' .. now .. '||' .. d3 ..
                '|' .. rest .. '|rz=' .. now .. ',lk=close,ps=' .. now
  redis.call('SET', tk, value)
  emit(P, 'ticket.resolved', id, now, 'agent', agent)
  return value
end)
