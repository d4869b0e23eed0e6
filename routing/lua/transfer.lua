-- transfer: moves the ticket to another queue, where it waits for an agent; SLA clocks go on.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] ticket id, [4] If-Match ('' none), [5] expected version,
--          [6] queue, [7] rank ms in that queue
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>
local function transfer(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'transfer')
  local from, holder = t.f.q, assignee(t)
  unqueue(c, t)
  enqueue(c, t, argv[6], score_of(argv[7]))
  local v = commit(c, t)
  emit(c, 'ticket.transferred', 'ticket', t.id, 'queue', argv[6], 'from', from,
       'holder', holder or '')
  return settle(c, v)
end
register('transfer', transfer)
