-- reject: the agent declines a ticket offered to it; it returns to its queue with its original
-- rank and wait (offered -> queued), and the agent is not offered it again for the queue's
-- reject_cooldown.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] ticket id, [4] If-Match ('' none), [5] expected version,
--          [6] agent, [7] reason, [8] offer token ('' none)
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CONFLICT reason=offer
local function reject(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'reject', OFFER_FIELDS)
  check_offer(t, argv[6], argv[8])
  return settle(c, withdraw_offer(c, t, 'rejected', argv[7]))
end
register('reject', reject)
