-- release: the agent gives the ticket back; it queues in its home queue (assigned -> queued).
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [6] ticket id, [7] If-Match ('' none), [8] expected version,
--          [9] agent ('' any: else it must be the assignee), [10] rank ms
-- Returns  the ticket's new version
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CONFLICT reason=assignee
local function release(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'release')
  local agent = assignee(t)
  if argv[9] ~= '' and argv[9] ~= agent then
    fail('CONFLICT', 'reason=assignee assignee=' .. agent)
  end
  enqueue(c, t, t.f.q, score_of(argv[10]))
  local v = commit(c, t)
  emit(c, 'ticket.queued', 'ticket', t.id, 'queue', t.f.q, 'via', 'release', 'agent', agent)
  return v
end
register('release', release)
