-- transfer: moves the ticket to another queue, where it waits for an agent; SLA clocks go on.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] ticket id, [6] If-Match ('' none), [7] expected version,
--          [8] queue, [9] rank ms in that queue (from its wait, which goes on)
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CONFLICT field=requires (its
--          requirement set would be the queue's 65th)
local function transfer(keys, argv)
  local id, if_match, expect, queue, rank = argv[5], argv[6], argv[7], argv[8], argv[9]
  local c = context(keys, argv)
  -- An agent's or supervisor's act: the channel's wrap-up follows (include/capacity.lua).
  if c.cfg.units then c.wrap_exit = true end
  local t = begin_action(c, id, if_match, expect, 'transfer')
  local from, holder = t.f.q, assignee(t)
  check_set_room(c, queue, (requirement_set(c, t)))
  unqueue(c, t)
  enqueue(c, t, queue, score_of(rank), t.f.qa)
  local v = commit(c, t)
  emit(c, 'ticket.transferred', t.id, 'queue', queue, 'from', from,
       'holder', holder or '')
  return settle(c, v)
end
register('transfer', transfer, 'ticket')
