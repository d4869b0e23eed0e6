-- Closing --------------------------------------------------------------------------------------

-- Closes ticket t (open or resolved) and lets it expire after the retention.
local function close_ticket(c, t, via)
  local holder = assignee(t)
  end_pause(t, t.f.s)
  unqueue(c, t)
  move(c, t, 'closed', nil)
  drop(t, 'rw')
  for n = 1, 3 do set_due(t, n, nil) end
  local v = commit(c, t)
  redis.call('PEXPIRE', t.key, c.cfg.retention)
  emit(c, 'ticket.closed', t.id, 'via', via, 'holder', holder or '')
  return v
end

-- Resolving ---------------------------------------------------------------------------------

-- Resolves ticket t (any open status): reply targets stop, resolution pauses (a reopen resumes
-- it), the follow-up cadence ends; it may reopen until `reopen_until` and closes at `close_at`.
local function resolve_ticket(c, t, reason, reopen_until, close_at)
  unqueue(c, t)
  -- Resolving ends a postponement's pause; resolution pauses below.
  end_pause(t, t.f.s)
  move(c, t, 'resolved', nil)
  put(t, 'rr', reason)
  put(t, 'rz', c.now_ms)
  put(t, 'rw', reopen_until)
  set_lifecycle_timer(c, t, 'close', close_at)
  set_due(t, 1, nil)
  set_due(t, 2, nil)
  pause_due(c, t, 3)
  local v = commit(c, t)
  emit_text(c, reason, 'ticket.resolved', t.id, 'reason', reason, 'agent',
            t.f.la or '')
  return v
end
