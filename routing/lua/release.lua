-- release: the agent gives the ticket back; it queues in its home queue (assigned -> queued).
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [6] ticket id, [7] If-Match ('' none), [8] expected version,
--          [9] agent ('' any: else it must be the assignee), [10] rank ms
-- Returns  ticket fields
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CONFLICT reason=assignee
local function release(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'release')
  if argv[9] ~= '' and argv[9] ~= t.a then fail('CONFLICT', 'reason=assignee assignee=' .. t.a) end
  local agent = t.a
  enqueue(c, t, t.q, score_of(c, argv[10]))
  commit(c, t)
  emit(c, 'ticket.queued', 'ticket', t.id, {'queue', t.q, 'via', 'release', 'agent', agent})
  return ticket_reply(t)
end
register('release', release)
