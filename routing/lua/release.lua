-- release: the agent gives the ticket back; it queues in its home queue (assigned -> queued).
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] ticket id, [4] If-Match ('' none), [5] expected version,
--          [6] agent ('' any: else it must be the assignee), [7] rank ms
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CONFLICT reason=assignee
local function release(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'release', {'cd'})
  local agent = assignee(t)
  if argv[6] ~= '' and argv[6] ~= agent then
    fail('CONFLICT', 'reason=assignee assignee=' .. agent)
  end
  -- Given back, like a rejected offer: push routing does not hand it straight back.
  cool_down(c, t, agent, t.f.q)
  enqueue(c, t, t.f.q, score_of(argv[7]))
  local v = commit(c, t)
  emit(c, 'ticket.queued', 'ticket', t.id, 'queue', t.f.q, 'via', 'release', 'agent', agent)
  return settle(c, v)
end
register('release', release)
