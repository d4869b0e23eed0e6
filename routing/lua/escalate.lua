-- escalate: moves the ticket to an escalation queue, optionally at a higher priority with due
-- times C++ recomputed from the time already spent; marks it escalated and frees the agent.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] ticket id, [4] If-Match ('' none), [5] expected version,
--          [6] queue, [7] priority ('' unchanged), [8] rank ms, [9] first_reply_due,
--          [10] next_reply_due, [11] resolution_due ('' each: unchanged), [12] reason
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>
local function escalate(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'escalate')
  local from, holder = t.f.q, assignee(t)
  unqueue(c, t)
  enqueue(c, t, argv[6], score_of(argv[8]))
  if argv[7] ~= '' then put(t, 'p', argv[7]) end
  for n = 1, 3 do
    if argv[8 + n] ~= '' then set_due(t, n, argv[8 + n]) end
  end
  put(t, 'es', 1)
  local v = commit(c, t)
  emit(c, 'ticket.escalated', 'ticket', t.id,
       'queue', argv[6], 'from', from, 'priority', argv[7], 'reason', argv[12],
       'holder', holder or '')
  return settle(c, v)
end
register('escalate', escalate)
