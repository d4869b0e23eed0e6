-- resolve: the ticket is solved (any open status -> resolved); the survey goes out on the
-- ticket.resolved event. It can reopen until reopen_until and closes itself at close_at.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] ticket id, [6] If-Match ('' none), [7] expected version,
--          [8] reason, [9] reopen_until ms, [10] close_at ms
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>

-- What resolve_ticket does to a ticket an agent holds (assigned or pending), written out
-- command by command: the ticket record, its dirty set and the SLA helpers cost the
-- interpreter more than the commands cost Redis, and this is most of the resolves. Answers
-- nil, having written nothing, for any other ticket (or a version that does not match): the
-- general path then decides, and fails where it must. It must leave exactly the state
-- resolve_ticket leaves (tests/integration/fast_path_test.cpp holds the two to that).
local HELD_FIELDS = {'s', 'v', 'la', 'd1', 'd2', 'd3', 'w1', 'w2', 'w3'}
-- With customer affinity on, the customer too (an absent field still costs HMGET a scan).
local HELD_FIELDS_CU = {'s', 'v', 'la', 'd1', 'd2', 'd3', 'w1', 'w2', 'w3', 'cu'}
local function resolve_held(c, id, if_match, expect, reason, reopen_until, close_at)
  local tk = key(c.P, 'ticket', id)
  local f = redis.call('HMGET', tk, unpack(c.cfg.customer_ms > 0 and HELD_FIELDS_CU or HELD_FIELDS))
  local s, v, agent = f[1], f[2], f[3]
  if (s ~= 'assigned' and s ~= 'pending') or not agent then return nil end
  if (if_match ~= '' and if_match ~= v) or (expect ~= '' and expect ~= v) then return nil end
  redis.call('SREM', key(c.P, 'held', agent), id)
  if counted(c, s) then adjust_load(c, agent, -1) end
  if f[10] then note_customer_agent(c, f[10], agent, true) end
  local timers = key(c.P, 'timers')
  redis.call('ZADD', timers, close_at, 'l|' .. id)
  -- No target runs once resolved: the first and next reply stop (their due times and stages
  -- go), the resolution pauses (its due time moves to p3; its stage goes with it, see
  -- pause_due). The follow-up cadence ends with the agent's hold, as in move().
  local nd = 1
  del_args[1] = 'fc'
  for i = 4, 9 do
    if f[i] and (i ~= 9 or f[6]) then
      nd = nd + 1
      del_args[nd] = HELD_FIELDS[i]
    end
  end
  if f[4] or f[5] or f[6] then redis.call('ZREM', timers, 's|' .. id) end
  redis.call('HDEL', tk, unpack(del_args, 1, nd))
  local after = successor(v)
  local now = c.now_ms
  if f[6] then
    redis.call('HSET', tk, 's', 'resolved', 'v', after, 'ua', now, 'rr', reason, 'rz', now,
               'rw', reopen_until, 'lk', 'close', 'p3', f[6], 'ps', now)
  else
    redis.call('HSET', tk, 's', 'resolved', 'v', after, 'ua', now, 'rr', reason, 'rz', now,
               'rw', reopen_until, 'lk', 'close')
  end
  emit_text(c, reason, 'ticket.resolved', id, 'reason', reason, 'agent', agent)
  return after
end

local function resolve(keys, argv)
  local id, if_match, expect, reason, reopen_until, close_at =
      argv[5], argv[6], argv[7], argv[8], argv[9], argv[10]
  local c = context(keys, argv)
  -- An agent's act: the channel's wrap-up follows (include/capacity.lua).
  if c.cfg.units then c.wrap_exit = true end
  local v = c.cfg.plain and
      FAST_PATHS and resolve_held(c, id, if_match, expect, reason, reopen_until, close_at)
  if not v then
    local t = begin_action(c, id, if_match, expect, 'resolve', SLA_FIELDS)
    v = resolve_ticket(c, t, reason, reopen_until, close_at)
  end
  return settle(c, v)
end
register('resolve', resolve, 'ticket')
