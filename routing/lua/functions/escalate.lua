-- escalate: moves the ticket to an escalation queue, optionally at a higher priority with due
-- times C++ recomputed from the time already spent; marks it escalated and frees the agent.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] ticket id, [6] If-Match ('' none), [7] expected version,
--          [8] queue, [9] priority ('' unchanged), [10] rank ms (from its wait, which goes on),
--          [11] first_reply_due, [12] next_reply_due, [13] resolution_due ('' each: unchanged),
--          [14] reason
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>
local function escalate(keys, argv)
  local id, if_match, expect, queue, priority, rank = argv[5], argv[6], argv[7], argv[8], argv[9],
                                                      argv[10]
  local dues, reason = {argv[11], argv[12], argv[13]}, argv[14]
  local c = context(keys, argv)
  -- An agent's or supervisor's act: the channel's wrap-up follows (include/capacity.lua).
  if c.cfg.units then c.wrap_exit = true end
  local t = begin_action(c, id, if_match, expect, 'escalate')
  local from, holder = t.f.q, assignee(t)
  unqueue(c, t)
  -- Supervisors take what they get: the requirements go.
  if t.f.rq then
    drop(t, 'rq')
    drop(t, 'hs')
  end
  enqueue(c, t, queue, score_of(rank), t.f.qa)
  if priority ~= '' then put(t, 'p', priority) end
  for n = 1, 3 do
    if dues[n] ~= '' then set_due(t, n, dues[n]) end
  end
  put(t, 'es', 1)
  local v = commit(c, t)
  emit_text(c, reason, 'ticket.escalated', t.id,
            'queue', queue, 'from', from, 'priority', priority, 'reason', reason,
            'holder', holder or '')
  return settle(c, v)
end
register('escalate', escalate, 'ticket')
