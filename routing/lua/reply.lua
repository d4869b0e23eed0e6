-- reply: the agent answered; the ticket waits for the customer (assigned -> pending).
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [6] ticket id, [7] If-Match version ('' none), [8] expected version
--          ('' none), [9] agent ('' any: else it must be the assignee)
-- Returns  ticket fields
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CONFLICT reason=assignee
local function reply(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'reply')
  if argv[9] ~= '' and argv[9] ~= t.a then fail('CONFLICT', 'reason=assignee assignee=' .. t.a) end
  local first = redis.call('HMGET', t.key, 'd1', 'f1')
  if not first[2] then put(t, 'f1', c.now) end
  if first[1] then drop(t, 'd1') end
  drop(t, 'd2')
  move(c, t, 'pending', t.a)
  commit(c, t)
  emit(c, 'ticket.pending', 'ticket', t.id, {'agent', t.a})
  return ticket_reply(t)
end
register('reply', reply)
