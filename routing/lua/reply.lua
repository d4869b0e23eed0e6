-- reply: the agent answered; the ticket waits for the customer (assigned -> pending).
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] ticket id, [4] If-Match version ('' none), [5] expected version
--          ('' none), [6] agent ('' any: else it must be the assignee)
-- Returns  {the ticket's new version, assignments...}
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CONFLICT reason=assignee
local function reply(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'reply', {'f1'})
  local agent = assignee(t)
  if argv[6] ~= '' and argv[6] ~= agent then
    fail('CONFLICT', 'reason=assignee assignee=' .. agent)
  end
  if not t.f.f1 then put(t, 'f1', c.now_ms) end
  drop(t, 'd1')
  drop(t, 'd2')
  move(c, t, 'pending', agent)
  local v = commit(c, t)
  emit(c, 'ticket.pending', 'ticket', t.id, 'agent', agent)
  return settle(c, v)
end
register('reply', reply)
