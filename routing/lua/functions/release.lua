-- release: the agent gives the ticket back; it queues in its home queue (assigned -> queued).
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] ticket id, [6] If-Match ('' none), [7] expected version,
--          [8] agent ('' any: else it must be the assignee), [9] rank ms (from its wait, which
--          goes on)
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CONFLICT reason=assignee
local function release(keys, argv)
  local id, if_match, expect, agent_id, rank = argv[5], argv[6], argv[7], argv[8], argv[9]
  local c = context(keys, argv)
  -- An agent's or supervisor's act: the channel's wrap-up follows (include/capacity.lua).
  if c.cfg.units then c.wrap_exit = true end
  local t = begin_action(c, id, if_match, expect, 'release', {'cd'})
  local agent = assignee(t)
  if agent_id ~= '' and agent_id ~= agent then
    fail('CONFLICT', 'reason=assignee assignee=' .. agent)
  end
  -- Given back, like a rejected offer: push routing does not hand it straight back.
  cool_down(c, t, agent, t.f.q)
  enqueue(c, t, t.f.q, score_of(rank), t.f.qa)
  local v = commit(c, t)
  emit(c, 'ticket.queued', t.id, 'queue', t.f.q, 'via', 'release', 'agent', agent)
  return settle(c, v)
end
register('release', release, 'ticket')
