-- resolve: the ticket is solved (any open status -> resolved); the survey goes out on the
-- ticket.resolved event. It can reopen until reopen_until and closes itself at close_at.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] ticket id, [4] If-Match ('' none), [5] expected version,
--          [6] reason, [7] reopen_until ms, [8] close_at ms
-- Returns  {the ticket's new version, assignments...}
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>
local function resolve(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'resolve')
  unqueue(c, t)
  move(c, t, 'resolved', nil)
  put(t, 'rr', argv[6])
  put(t, 'rz', c.now_ms)
  put(t, 'rw', argv[7])
  set_lifecycle_timer(c, t, 'close', argv[8])
  local v = commit(c, t)
  emit(c, 'ticket.resolved', 'ticket', t.id, 'reason', argv[6], 'agent', t.f.la or '')
  return settle(c, v)
end
register('resolve', resolve)
