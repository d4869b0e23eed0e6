-- accept: the agent takes a ticket offered to it (offered -> assigned).
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [6] ticket id, [7] If-Match ('' none), [8] expected version,
--          [9] agent, [10] offer token ('' none)
-- Returns  the ticket's new version
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CONFLICT reason=offer
local function accept(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'accept', OFFER_FIELDS)
  check_offer(t, argv[9], argv[10])
  local agent = assignee(t)
  move(c, t, 'assigned', agent)
  drop(t, 'ot')
  local v = commit(c, t)
  emit(c, 'ticket.assigned', 'ticket', t.id, 'agent', agent, 'via', 'accept')
  return v
end
register('accept', accept)
