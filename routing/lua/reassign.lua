-- reassign: a supervisor puts an open ticket on a named agent (-> assigned); capacity is
-- enforced unless forced, and a forced excess is marked on the agent for verify.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] ticket id, [4] If-Match ('' none), [5] expected version,
--          [6] agent, [7] force ('1' or '')
-- Returns  {the ticket's new version, assignments...}
-- Errors   TICKETD_NOT_FOUND ticket|agent; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_INVALID_TRANSITION status=<s>; TICKETD_CAPACITY_EXCEEDED load= max=
local function reassign(keys, argv)
  local c = context(keys, argv)
  local t = begin_action(c, argv, 'reassign')
  local a = load_agent(c, argv[6])
  local from = assignee(t)
  local already = from == a.id and counted(c, t.f.s)
  local room = has_room(a, already)
  if not room and argv[7] ~= '1' then
    fail('CAPACITY_EXCEEDED', 'load=' .. a.load .. ' max=' .. a.max)
  end
  unqueue(c, t)
  move(c, t, 'assigned', a.id)
  note_assigned(c, a, nil)
  local v = commit(c, t)
  if not room then redis.call('HSET', a.key, 'fx', 1) end
  emit(c, 'ticket.assigned', 'ticket', t.id,
       'agent', a.id, 'via', 'reassign', 'from', from or '')
  return settle(c, v)
end
register('reassign', reassign)
