-- customer_reply: the customer wrote. Pending or postponed: back to the last agent when it is
-- online (its personal queue while it is at capacity), else to the home queue. Resolved inside
-- the reopen window: reopened the same way. Closed: a later message is a new ticket.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] ticket id, [6] If-Match ('' none), [7] expected version,
--          [8] first_reply_due, [9] next_reply_due, [10] resolution_due (ms; '' leaves the
--          target as it is; paused targets resume with them), [11] rank ms if it queues,
--          [12] affinity deadline ms
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_CONFLICT reason=closed|reopen_window; TICKETD_INVALID_TRANSITION status=<s>
local function customer_reply(keys, argv)
  local id, if_match, expect = argv[5], argv[6], argv[7]
  local dues, rank, affinity_until = {argv[8], argv[9], argv[10]}, argv[11], argv[12]
  local c = context(keys, argv)
  local t = load_ticket(c, id, REOPEN_FIELDS)
  check_version(t, if_match, expect)
  if t.f.s == 'closed' then fail('CONFLICT', 'reason=closed') end
  check_transition(t, 'customer-reply')
  local reopening = t.f.s == 'resolved'
  if reopening then
    check_and_count_reopen(c, t)
  end
  local status = customer_returns(c, t, dues, rank, affinity_until)
  local v = commit(c, t)
  if reopening then
    emit(c, 'ticket.reopened', t.id, 'status', status, 'via', 'customer_reply')
  end
  emit_returned(c, t, status, 'customer_reply')
  return settle(c, v)
end
register('customer_reply', customer_reply, 'ticket')
