-- reject: the agent declines a ticket offered to it; it returns to its queue with its original
-- rank and wait (offered -> queued), and the agent is not offered it again for the queue's
-- reject_cooldown.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] ticket id, [6] If-Match ('' none), [7] expected version,
--          [8] agent, [9] reason, [10] offer token ('' none)
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CONFLICT reason=offer
local function reject(keys, argv)
  local id, if_match, expect, agent_id, reason, token =
      argv[5], argv[6], argv[7], argv[8], argv[9], argv[10]
  local c = context(keys, argv)
  local t = begin_action(c, id, if_match, expect, 'reject', OFFER_FIELDS)
  check_offer(t, agent_id, token)
  return settle(c, withdraw_offer(c, t, 'rejected', reason))
end
register('reject', reject, 'ticket')
