-- close: the ticket is final (any open status or resolved -> closed). A later customer message
-- is a new ticket. Closed tickets expire after the retention of the header.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] ticket id, [4] If-Match ('' none), [5] expected version
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>
local function close(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'close', SLA_FIELDS)
  return settle(c, close_ticket(c, t, 'close'))
end
register('close', close)
