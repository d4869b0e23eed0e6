-- postpone: the agent snoozes the ticket until a time (assigned -> postponed); at that time the
-- tick hands it back to the agent as after a customer reply.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [6] ticket id, [7] If-Match ('' none), [8] expected version,
--          [9] until ms, [10] rank ms should it queue when it wakes
-- Returns  the ticket's new version
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>
local function postpone(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'postpone')
  local agent = assignee(t)
  move(c, t, 'postponed', agent)
  put(t, 'pu', argv[9])
  put(t, 'zr', argv[10])
  set_lifecycle_timer(c, t, 'wake', argv[9])
  local v = commit(c, t)
  emit(c, 'ticket.postponed', 'ticket', t.id, 'agent', agent, 'until', argv[9])
  return v
end
register('postpone', postpone)
