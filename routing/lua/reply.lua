-- reply: the agent answered; the ticket waits for the customer (assigned -> pending).
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] ticket id, [4] If-Match version ('' none), [5] expected version
--          ('' none), [6] agent ('' any: else it must be the assignee), [7] the follow-up cadence
--          from now ('f,f,...;resolve_at;reopen_until;close_at', '' none): used when this is
--          the first agent reply since the customer's last message
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CONFLICT reason=assignee
local REPLY_FIELDS = with_sla({'f1', 'fc', 'fa'})
local function reply(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'reply', REPLY_FIELDS)
  local agent = assignee(t)
  if argv[6] ~= '' and argv[6] ~= agent then
    fail('CONFLICT', 'reason=assignee assignee=' .. agent)
  end
  if not t.f.f1 then put(t, 'f1', c.now_ms) end
  set_due(t, 1, nil)
  set_due(t, 2, nil)
  move(c, t, 'pending', agent)
  if not t.f.fc and argv[7] ~= '' then
    put(t, 'fc', argv[7])
    put(t, 'fa', '0')
  end
  arm_cadence(c, t)
  local v = commit(c, t)
  emit(c, 'ticket.pending', 'ticket', t.id, 'agent', agent)
  return settle(c, v)
end
register('reply', reply)
