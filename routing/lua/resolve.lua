-- resolve: the ticket is solved (any open status -> resolved); the survey goes out on the
-- ticket.resolved event. It can reopen until reopen_until and closes itself at close_at.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] ticket id, [4] If-Match ('' none), [5] expected version,
--          [6] reason, [7] reopen_until ms, [8] close_at ms
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>
local function resolve(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'resolve', SLA_FIELDS)
  return settle(c, resolve_ticket(c, t, argv[6], argv[7], argv[8]))
end
register('resolve', resolve)
