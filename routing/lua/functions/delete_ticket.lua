-- delete_ticket: forgets a ticket (spam, merged): frees the agent's capacity, removes its timers.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] ticket id
-- Returns  1; {1, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND
local function delete_ticket(keys, argv)
  local id = argv[5]
  local c = context(keys, argv)
  local t = load_ticket(c, id)
  local status, holder = t.f.s, assignee(t)
  unqueue(c, t)
  move(c, t, 'deleted', nil)
  redis.call('ZREM', key(c.P, 'timers'), 's|' .. t.id, 'c|' .. t.id, 'l|' .. t.id, 'x|' .. t.id)
  redis.call('DEL', t.key)
  emit(c, 'ticket.deleted', t.id, 'status', status, 'holder', holder or '')
  return settle(c, 1)
end
register('delete_ticket', delete_ticket)
