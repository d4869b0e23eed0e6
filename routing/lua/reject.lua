-- reject: the agent declines a ticket offered to it; it returns to its queue with its original
-- rank (offered -> queued).
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [6] ticket id, [7] If-Match ('' none), [8] expected version,
--          [9] agent, [10] reason, [11] offer token ('' none)
-- Returns  the ticket's new version
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CONFLICT reason=offer
local function reject(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'reject', OFFER_FIELDS)
  check_offer(t, argv[9], argv[11])
  local agent = assignee(t)
  drop(t, 'ot')
  enqueue(c, t, t.f.q, t.f.r)
  local v = commit(c, t)
  emit(c, 'offer.rejected', 'ticket', t.id, 'agent', agent, 'reason', argv[10])
  emit(c, 'ticket.queued', 'ticket', t.id, 'queue', t.f.q, 'via', 'reject')
  return v
end
register('reject', reject)
