-- reassign: a supervisor puts an open ticket on a named agent (-> assigned); capacity is
-- enforced unless forced, and a forced excess is marked on the agent for verify.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] ticket id, [4] If-Match ('' none), [5] expected version,
--          [6] agent, [7] force ('1' or ''), [8] first_reply_due, [9] next_reply_due (ms;
--          '' none): a postponed ticket's reply targets run again with them
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND ticket|agent; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CAPACITY_EXCEEDED load= max=
local function reassign(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'reassign')
  local a = load_agent(c, argv[6])
  local from = assignee(t)
  local already = from == a.id and counted(c, t.f.s)
  local room = has_room(a, already)
  if not room and argv[7] ~= '1' then
    fail('CAPACITY_EXCEEDED', 'load=' .. a.load .. ' max=' .. a.max)
  end
  if t.f.s == 'postponed' then
    -- The postponement ends here: its wake-up goes (move clears it), the targets run again.
    set_due(t, 1, argv[8] ~= '' and argv[8] or nil)
    set_due(t, 2, argv[9] ~= '' and argv[9] or nil)
    end_pause(t, 'postponed')
  end
  unqueue(c, t)
  move(c, t, 'assigned', a.id)
  note_assigned(c, a, nil)
  local v = commit(c, t)
  if not room then redis.call('HSET', a.key, 'fx', 1) end
  emit(c, 'ticket.assigned', 'ticket', t.id,
       'agent', a.id, 'via', 'reassign', 'from', from or '')
  return settle(c, v)
end
register('reassign', reassign)
