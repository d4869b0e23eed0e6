-- Timers -------------------------------------------------------------------------------------
-- One lifecycle slot per ticket (`l|<id>`, its kind in the ticket's `lk` field): wake,
-- affinity, close, offer (timeout), overflow, and later follow-ups. Beside it: `s|<id>` (SLA),
-- `c|<id>` (a rejected or missed offer's cooldown ended: push the ticket's queues again) and
-- `x|<id>` (a requirement of a waiting ticket relaxes: include/eligibility.lua).

-- A cleared slot is removed when the ticket is written (write_fields), unless the same call set
-- it again meanwhile (a status change clears it, the new status often sets it): one ZADD, not a
-- ZREM and a ZADD.
local function set_lifecycle_timer(c, t, kind, due)
  redis.call('ZADD', key(c.P, 'timers'), due, 'l|' .. t.id)
  put(t, 'lk', kind)
  t.slot_cleared = nil
end

local function clear_lifecycle_timer(_, t)
  if t.f.lk then
    drop(t, 'lk')
    t.slot_cleared = true
  end
end
