-- escalate: moves the ticket to an escalation queue, optionally at a higher priority with due
-- times C++ recomputed from the time already spent; marks it escalated and frees the agent.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [6] ticket id, [7] If-Match ('' none), [8] expected version,
--          [9] queue, [10] priority ('' unchanged), [11] rank ms, [12] first_reply_due,
--          [13] next_reply_due, [14] resolution_due ('' each: unchanged), [15] reason
-- Returns  the ticket's new version
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>
local function escalate(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'escalate')
  local from = t.f.q
  unqueue(c, t)
  enqueue(c, t, argv[9], score_of(argv[11]))
  if argv[10] ~= '' then put(t, 'p', argv[10]) end
  if argv[12] ~= '' then put(t, 'd1', argv[12]) end
  if argv[13] ~= '' then put(t, 'd2', argv[13]) end
  if argv[14] ~= '' then put(t, 'd3', argv[14]) end
  put(t, 'es', 1)
  local v = commit(c, t)
  emit(c, 'ticket.escalated', 'ticket', t.id,
       'queue', argv[9], 'from', from, 'priority', argv[10], 'reason', argv[15])
  return v
end
register('escalate', escalate)
