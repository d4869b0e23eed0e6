-- accept: the agent takes a ticket offered to it (offered -> assigned).
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] ticket id, [4] If-Match ('' none), [5] expected version,
--          [6] agent, [7] offer token ('' none)
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CONFLICT reason=offer
local function accept(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'accept', OFFER_FIELDS)
  check_offer(t, argv[6], argv[7])
  local agent = assignee(t)
  move(c, t, 'assigned', agent)
  drop(t, 'ot')
  drop(t, 'oq')
  local v = commit(c, t)
  emit(c, 'ticket.assigned', 'ticket', t.id, 'agent', agent, 'via', 'accept')
  return settle(c, v)
end
register('accept', accept)
