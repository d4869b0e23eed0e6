-- reopen: an agent or the helpdesk reopens a resolved ticket inside its reopen window; it goes
-- back to its last agent (or waits) exactly as after a customer reply.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] ticket id, [4] If-Match ('' none), [5] expected version,
--          [6] first_reply_due, [7] next_reply_due, [8] resolution_due (ms; '' leaves the
--          target as it is; paused targets resume with them), [9] rank ms if it queues,
--          [10] affinity deadline ms
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CONFLICT reason=reopen_window
local function reopen(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'reopen', REOPEN_FIELDS)
  check_and_count_reopen(c, t)
  local status = customer_returns(c, t, {argv[6], argv[7], argv[8]}, argv[9], argv[10])
  local v = commit(c, t)
  emit(c, 'ticket.reopened', 'ticket', t.id, 'status', status, 'via', 'reopen')
  emit_returned(c, t, status, 'reopen')
  return settle(c, v)
end
register('reopen', reopen)
