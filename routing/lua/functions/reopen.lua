-- reopen: an agent or the helpdesk reopens a resolved ticket inside its reopen window; it goes
-- back to its last agent (or waits) exactly as after a customer reply.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] ticket id, [6] If-Match ('' none), [7] expected version,
--          [8] first_reply_due, [9] next_reply_due, [10] resolution_due (ms; '' leaves the
--          target as it is; paused targets resume with them), [11] rank ms if it queues,
--          [12] affinity deadline ms
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CONFLICT reason=reopen_window
local function reopen(keys, argv)
  local id, if_match, expect = argv[5], argv[6], argv[7]
  local dues, rank, affinity_until = {argv[8], argv[9], argv[10]}, argv[11], argv[12]
  local c = context(keys, argv)
  local t = begin_action(c, id, if_match, expect, 'reopen', REOPEN_FIELDS)
  check_and_count_reopen(c, t)
  local status = customer_returns(c, t, dues, rank, affinity_until)
  local v = commit(c, t)
  emit(c, 'ticket.reopened', t.id, 'status', status, 'via', 'reopen')
  emit_returned(c, t, status, 'reopen')
  return settle(c, v)
end
register('reopen', reopen, 'ticket')
