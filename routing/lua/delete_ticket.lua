-- delete_ticket: forgets a ticket (spam, merged): frees the agent's capacity, removes its timers.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] ticket id
-- Returns  {1, assignments...}
-- Errors   TICKETD_NOT_FOUND
local function delete_ticket(keys, argv)
  local c = context(keys, argv)
  local t = load_ticket(c, argv[3])
  local status = t.f.s
  unqueue(c, t)
  move(c, t, 'deleted', nil)
  redis.call('ZREM', key(c.P, 'timers'), 's|' .. t.id, 'c|' .. t.id)
  redis.call('DEL', t.key)
  emit(c, 'ticket.deleted', 'ticket', t.id, 'status', status)
  return settle(c, 1)
end
register('delete_ticket', delete_ticket)
