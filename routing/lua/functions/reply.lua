-- reply: the agent answered; the ticket waits for the customer (assigned -> pending).
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] ticket id, [6] If-Match version ('' none), [7] expected version
--          ('' none), [8] agent ('' any: else it must be the assignee), [9] the follow-up cadence
--          from now ('f,f,...;resolve_at;reopen_until;close_at', '' none): used when this is
--          the first agent reply since the customer's last message
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CONFLICT reason=assignee
local REPLY_FIELDS = with_sla({'f1', 'fc', 'fa'})
local function reply(keys, argv)
  local id, if_match, expect, agent_id, cadence = argv[5], argv[6], argv[7], argv[8], argv[9]
  local c = context(keys, argv)
  local t = begin_action(c, id, if_match, expect, 'reply', REPLY_FIELDS)
  local agent = assignee(t)
  if agent_id ~= '' and agent_id ~= agent then
    fail('CONFLICT', 'reason=assignee assignee=' .. agent)
  end
  if not t.f.f1 then put(t, 'f1', c.now_ms) end
  set_due(t, 1, nil)
  set_due(t, 2, nil)
  move(c, t, 'pending', agent)
  if not t.f.fc and cadence ~= '' then
    put(t, 'fc', cadence)
    put(t, 'fa', '0')
  end
  arm_cadence(c, t)
  local v = commit(c, t)
  emit(c, 'ticket.pending', t.id, 'agent', agent)
  return settle(c, v)
end
register('reply', reply, 'ticket')
