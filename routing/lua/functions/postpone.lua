-- postpone: the agent snoozes the ticket until a time (assigned -> postponed); at that time the
-- tick hands it back to the agent as after a customer reply.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] ticket id, [6] If-Match ('' none), [7] expected version,
--          [8] until ms, [9] rank ms should it queue when it wakes, [10] first_reply_due and
--          [11] next_reply_due at the wake-up ('' none): the reply targets pause meanwhile
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>
local function postpone(keys, argv)
  local id, if_match, expect, until_ms, wake_rank = argv[5], argv[6], argv[7], argv[8], argv[9]
  local wake_first_reply, wake_next_reply = argv[10], argv[11]
  local c = context(keys, argv)
  local t = begin_action(c, id, if_match, expect, 'postpone', SLA_FIELDS)
  local agent = assignee(t)
  move(c, t, 'postponed', agent)
  put(t, 'pu', until_ms)
  put(t, 'zr', wake_rank)
  pause_due(c, t, 1)
  pause_due(c, t, 2)
  if wake_first_reply ~= '' then put(t, 'z1', wake_first_reply) end
  if wake_next_reply ~= '' then put(t, 'z2', wake_next_reply) end
  set_lifecycle_timer(c, t, 'wake', until_ms)
  local v = commit(c, t)
  emit(c, 'ticket.postponed', t.id, 'agent', agent, 'until', until_ms)
  return settle(c, v)
end
register('postpone', postpone, 'ticket')
