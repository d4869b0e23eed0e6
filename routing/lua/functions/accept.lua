-- accept: the agent takes a ticket offered to it (offered -> assigned).
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] ticket id, [6] If-Match ('' none), [7] expected version,
--          [8] agent, [9] offer token ('' none)
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CONFLICT reason=offer
local function accept(keys, argv)
  local id, if_match, expect, agent_id, token = argv[5], argv[6], argv[7], argv[8], argv[9]
  local c = context(keys, argv)
  local t = begin_action(c, id, if_match, expect, 'accept', OFFER_FIELDS)
  check_offer(t, agent_id, token)
  local agent = assignee(t)
  -- The push that offered it decided; the accept makes it the agent's (mode accept).
  put(t, 'dr', 'accept' .. (string.match(t.f.dr or '', '^[^|]*(|.*|)[^|]*$') or '|||1|') ..
      c.now_ms)
  if c.cfg.missed_n > 0 then
    -- An accept ends a run of missed offers.
    local a = agent_rec(c, agent)
    if a and a.mo > 0 then
      a.mo = 0
      touch(a, 'mo')
    end
  end
  move(c, t, 'assigned', agent)
  drop(t, 'ot')
  drop(t, 'oq')
  local v = commit(c, t)
  emit(c, 'ticket.assigned', t.id, 'agent', agent, 'via', 'accept')
  return settle(c, v)
end
register('accept', accept, 'ticket')
