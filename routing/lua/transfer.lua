-- transfer: moves the ticket to another queue, where it waits for an agent; SLA clocks go on.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [6] ticket id, [7] If-Match ('' none), [8] expected version,
--          [9] queue, [10] rank ms in that queue
-- Returns  the ticket's new version
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>
local function transfer(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'transfer')
  local from = t.f.q
  unqueue(c, t)
  enqueue(c, t, argv[9], score_of(argv[10]))
  local v = commit(c, t)
  emit(c, 'ticket.transferred', 'ticket', t.id, 'queue', argv[9], 'from', from)
  return v
end
register('transfer', transfer)
