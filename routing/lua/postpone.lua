-- postpone: the agent snoozes the ticket until a time (assigned -> postponed); at that time the
-- tick hands it back to the agent as after a customer reply.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] ticket id, [4] If-Match ('' none), [5] expected version,
--          [6] until ms, [7] rank ms should it queue when it wakes, [8] first_reply_due and
--          [9] next_reply_due at the wake-up ('' none): the reply targets pause meanwhile
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>
local function postpone(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'postpone', SLA_FIELDS)
  local agent = assignee(t)
  move(c, t, 'postponed', agent)
  put(t, 'pu', argv[6])
  put(t, 'zr', argv[7])
  pause_due(c, t, 1)
  pause_due(c, t, 2)
  if argv[8] ~= '' then put(t, 'z1', argv[8]) end
  if argv[9] ~= '' then put(t, 'z2', argv[9]) end
  set_lifecycle_timer(c, t, 'wake', argv[6])
  local v = commit(c, t)
  emit(c, 'ticket.postponed', 'ticket', t.id, 'agent', agent, 'until', argv[6])
  return settle(c, v)
end
register('postpone', postpone)
