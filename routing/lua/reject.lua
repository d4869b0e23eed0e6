-- reject: the agent declines a ticket offered to it; it returns to its queue with its original
-- rank (offered -> queued).
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [6] ticket id, [7] If-Match ('' none), [8] expected version,
--          [9] agent, [10] reason, [11] offer token ('' none)
-- Returns  ticket fields
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CONFLICT reason=offer
local function reject(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'reject')
  check_offer(t, argv[9], argv[11])
  local agent = t.a
  drop(t, 'ot')
  enqueue(c, t, t.q, t.r)
  commit(c, t)
  emit(c, 'offer.rejected', 'ticket', t.id, {'agent', agent, 'reason', argv[10]})
  emit(c, 'ticket.queued', 'ticket', t.id, {'queue', t.q, 'via', 'reject'})
  return ticket_reply(t)
end
register('reject', reject)
