-- close: the ticket is final (any open status or resolved -> closed). A later customer message
-- is a new ticket. Closed tickets expire after the retention of the header.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] ticket id, [6] If-Match ('' none), [7] expected version
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>
local function close(keys, argv)
  local id, if_match, expect = argv[5], argv[6], argv[7]
  local c = context(keys, argv)
  -- An agent's or supervisor's act: the channel's wrap-up follows (include/capacity.lua).
  if c.cfg.units then c.wrap_exit = true end
  local t = begin_action(c, id, if_match, expect, 'close', SLA_FIELDS)
  return settle(c, close_ticket(c, t, 'close'))
end
register('close', close, 'ticket')
