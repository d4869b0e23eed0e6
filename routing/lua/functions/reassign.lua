-- reassign: a supervisor puts an open ticket on a named agent (-> assigned); capacity is
-- enforced unless forced, and a forced excess is marked on the agent for verify.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] ticket id, [6] If-Match ('' none), [7] expected version,
--          [8] agent, [9] force ('1' or ''), [10] first_reply_due, [11] next_reply_due (ms;
--          '' none): a postponed ticket's reply targets run again with them
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND ticket|agent; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CAPACITY_EXCEEDED load= max=
local function reassign(keys, argv)
  local id, if_match, expect, agent_id, force = argv[5], argv[6], argv[7], argv[8], argv[9]
  local first_reply_due, next_reply_due = argv[10], argv[11]
  local c = context(keys, argv)
  -- An agent's or supervisor's act: the channel's wrap-up follows (include/capacity.lua).
  if c.cfg.units then c.wrap_exit = true end
  local t = begin_action(c, id, if_match, expect, 'reassign')
  local a = load_agent(c, agent_id)
  local from = assignee(t)
  local already = from == a.id and counted(c, t.f.s)
  local room, why = units.room(c, a, t, already, false)
  if not room and force ~= '1' then units.refuse(c, a, t, why) end
  if t.f.s == 'postponed' then
    -- The postponement ends here: its wake-up goes (move clears it), the targets run again.
    set_due(t, 1, first_reply_due ~= '' and first_reply_due or nil)
    set_due(t, 2, next_reply_due ~= '' and next_reply_due or nil)
    end_pause(t, 'postponed')
  end
  unqueue(c, t)
  c.bypass = true  -- a supervisor's decision: requirements are not checked, nor recorded
  move(c, t, 'assigned', a.id)
  c.bypass = nil
  note_assigned(c, a, nil)
  put(t, 'dr', 'reassign|||1|' .. c.now_ms)
  local v = commit(c, t)
  if not room then mark_forced(c, a) end
  emit(c, 'ticket.assigned', t.id,
       'agent', a.id, 'via', 'reassign', 'from', from or '')
  return settle(c, v)
end
register('reassign', reassign, 'ticket')
