-- tick: fires up to `limit` due timers atomically, so each fires once however many daemons
-- call it. Stale timers (the ticket moved on) are dropped. Then caps the event stream.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] limit
-- Returns  {{timers fired, due ms of the earliest remaining timer or -1, offers timed out,
--          overflows, {notes}}, assignments...}; a note is what the daemon counts in its
--          metrics: 'sla.warning|<queue>|<target>', 'sla.breached|<queue>|<target>',
--          'followup', 'resolved|<reason>', 'closed', 'returned|<reason>', 'missed_offer',
--          'missed_offers_away'

local LIFECYCLE_FIELDS = with_sla({'zr', 'os', 'oq', 'cd', 'z1', 'z2', 'fc', 'fa'})
local function fire_lifecycle(c, id)
  local t = find_ticket(c, id, LIFECYCLE_FIELDS)
  if not t or not t.f.lk then return end
  local kind = t.f.lk
  -- The popped timer is gone from the set; only the ticket's note of it remains.
  drop(t, 'lk')
  local status = t.f.s
  if kind == 'wake' and status == 'postponed' then
    local agent = assignee(t)
    local rank = t.f.zr or rank_of(t.f.r) or c.now_ms
    -- The reply targets resume where C++ put them for this wake-up.
    if t.f.z1 then set_due(t, 1, t.f.z1) end
    if t.f.z2 then set_due(t, 2, t.f.z2) end
    end_pause(t, status)
    -- Snoozed work is work again from now: its wait begins (its rank counted from the wake-up).
    wait_from(t, c.now_ms)
    local now_status = return_to_agent(c, t, agent, rank, now_of(c) + c.cfg.affinity_ms)
    commit(c, t)
    emit_returned(c, t, now_status, 'wake')
  elseif (kind == 'affinity' or kind == 'preference') and status == 'queued' and t.f.pq then
    -- The customer has waited since the personal queue took the ticket: its age goes along.
    leave_personal(c, t, nil, kind == 'preference' and 'preference_ended' or 'affinity_timeout')
  elseif kind == 'offer' and status == 'offered' then
    withdraw_offer(c, t, 'timeout', '')
    c.timeouts = c.timeouts + 1
  elseif kind == 'overflow' and status == 'queued' and not t.f.pq then
    local pol = c.cfg.queues[t.f.q]
    local step = pol and pol.overflow[tonumber(t.f.os) or 0]
    if step then
      add_to_queue(c, t, step.to)
      owe(c, 'requeued', step.to)
      arm_overflow(c, t, (tonumber(t.f.os) or 0) + 1)
      commit(c, t)
      c.overflows = c.overflows + 1
      emit(c, 'ticket.overflowed', t.id, 'queue', step.to, 'from', t.f.q)
    else
      redis.call('HDEL', t.key, 'lk', 'os')
    end
  elseif kind == 'close' and status == 'resolved' then
    close_ticket(c, t, 'auto')
    c.notes[#c.notes + 1] = 'closed'
  elseif kind == 'followup' and (status == 'pending' or status == 'assigned') and t.f.fc then
    local list = parse_cadence(t.f.fc)
    local n = (tonumber(t.f.fa) or 0) + 1
    put(t, 'fa', tostring(n))
    local agent = t.f.la
    emit(c, 'ticket.followup_due', t.id, 'attempt', n, 'of', #list, 'agent', agent or '')
    c.notes[#c.notes + 1] = 'followup'
    if status == 'pending' then
      -- Back to the agent's inbox so the agent follows up (or waiting for it, like a customer
      -- reply, when it is at capacity or offline).
      local now_status = return_to_agent(c, t, agent, rank_of(t.f.r) or c.now_ms,
                                         now_of(c) + c.cfg.affinity_ms)
      emit_returned(c, t, now_status, 'followup')
    end
    arm_cadence(c, t)
    commit(c, t)
  elseif kind == 'unresponsive' and (status == 'pending' or status == 'assigned') and t.f.fc then
    local list, _, reopen_until, close_at = parse_cadence(t.f.fc)
    -- Follow-ups went unanswered: unresponsive; with no follow-ups configured: inactivity.
    local reason = #list > 0 and 'unresponsive' or 'inactivity'
    resolve_ticket(c, t, reason, reopen_until, close_at)
    c.notes[#c.notes + 1] = 'resolved|' .. reason
  else
    redis.call('HDEL', t.key, 'lk')
  end
end

-- The other timers' handlers, in one table (the library's main chunk has a limit of 200 locals).
local fire = {}

-- The relax timer: requirements of a waiting ticket whose time is up no longer hold; it moves to
-- the sorted sets of its weaker requirement set in every queue it waits in (same score), and
-- push queues hand it out if an agent can take it now.
function fire.relax(c, id)
  local t = find_ticket(c, id)
  if not t or t.f.s ~= 'queued' or t.f.pq or not t.f.sg then return end
  local was = t.f.sg
  local sg, relax = requirement_set(c, t)
  if move_to_set(c, t, sg) then
    local kept = {}
    for skill in string.gmatch(sg or '', '([^:,]+):%d+') do kept[skill] = true end
    for skill, level in string.gmatch(was, '([^:,]+):(%d+)') do
      if not kept[skill] then
        emit(c, 'ticket.relaxed', t.id, 'skill', skill, 'level', level)
      end
    end
    write_fields(c, t)
  end
  if relax then redis.call('ZADD', key(c.P, 'timers'), relax, 'x|' .. t.id) end
end

-- Absent assignees: an assigned ticket goes back to its home queue with its rank and its wait
-- (`ticket.returned`); `reason` no_reply (the holder is skipped for it for the queue's
-- reject_cooldown, as after a release) or agent_offline.
function fire.give_back(c, t, reason)
  local agent = assignee(t)
  if reason == 'no_reply' then cool_down(c, t, agent, t.f.q) end
  enqueue(c, t, t.f.q, t.f.r or score_of(c.now_ms), t.f.qa)
  commit(c, t)
  emit(c, 'ticket.returned', t.id, 'agent', agent, 'queue', t.f.q, 'reason', reason)
  c.notes[#c.notes + 1] = 'returned|' .. reason
end

-- The agent-keyed timers: `w|<agent>` its earliest wrap-up end, `o|<agent>` offline long
-- enough that its assigned tickets go back (not pending or postponed ones: they wait on the
-- customer or a date, not on the agent).
function fire.agent_timer(c, slot, id)
  local a = agent_rec(c, id)
  if not a then return end
  if slot == 'w' then
    if a.cap then units.end_wrap_ups(c, a, false) end
  elseif a.st == 'offline' and tonumber(a.ss) + c.cfg.offline_ms <= now_of(c) and
      c.cfg.offline_ms > 0 then
    for _, held in ipairs(redis.call('SMEMBERS', key(c.P, 'held', id))) do
      local t = find_ticket(c, held, {'cd'})
      if t and t.f.s == 'assigned' then fire.give_back(c, t, 'agent_offline') end
    end
  end
end

-- The SLA timer: warnings and breaches now due, then the next one.
do
  local SLA_TICK_FIELDS = with_sla({'p', 'br'})
  function fire.sla(c, id)
    local t = find_ticket(c, id, SLA_TICK_FIELDS)
    if not t then return end
    local holder = assignee(t) or ''
    for n = 1, 3 do
      local due = tonumber(t.f[DUE[n]])
      if due then
        local stage = tonumber(t.f[STAGE[n]]) or 0
        local target = TARGETS[n]
        local etype
        if stage < 2 and now_of(c) >= due then
          put(t, STAGE[n], '2')
          etype = 'sla.breached'
          if not string.find(',' .. (t.f.br or '') .. ',', ',' .. target .. ',', 1, true) then
            put(t, 'br', t.f.br and (t.f.br .. ',' .. target) or target)
          end
        elseif stage < 1 and now_of(c) >= due - c.cfg.warn_ms then
          put(t, STAGE[n], '1')
          etype = 'sla.warning'
        end
        if etype then
          emit(c, etype, t.id, 'target', target, 'due', t.f[DUE[n]], 'queue', t.f.q,
               'priority', t.f.p or '', 'agent', holder)
          c.notes[#c.notes + 1] = etype .. '|' .. t.f.q .. '|' .. target
        end
      end
    end
    write_fields(c, t)
    arm_sla(c, t)
  end
end

local function tick(keys, argv)
  local limit = argv[5]
  local c = context(keys, argv)
  c.notes = {}
  c.timeouts, c.overflows = 0, 0
  local tkey = key(c.P, 'timers')
  local due = redis.call('ZRANGEBYSCORE', tkey, '-inf', c.now_ms, 'LIMIT', '0', limit)
  if #due > 0 then redis.call('ZREM', tkey, unpack(due)) end
  for _, member in ipairs(due) do
    local slot, id = string.match(member, '^(%a)|(.+)$')
    if slot == 'l' then
      fire_lifecycle(c, id)
    elseif slot == 's' then
      fire.sla(c, id)
    elseif slot == 'x' then
      fire.relax(c, id)
    elseif slot == 'n' then
      local t = find_ticket(c, id, {'cd'})
      if t and t.f.s == 'assigned' then fire.give_back(c, t, 'no_reply') end
    elseif slot == 'w' or slot == 'o' then
      fire.agent_timer(c, slot, id)
    elseif slot == 'c' then
      local t = find_ticket(c, id)
      if t and t.f.s == 'queued' and not t.f.pq then
        for _, q in ipairs(shared_queues(t)) do owe(c, 'requeued', q) end
      end
    end
  end
  local out = settle_list(c, 0)
  -- The event stream trimmed to about `maxlen` entries (whole nodes, so a little over). Every
  -- daemon's timer loop ticks at least once a second, so the stream passes its cap by at most
  -- that second's events. Up to 100,000 entries go per call (Redis's default for `~` is 10,000,
  -- fewer than a busy second writes); a cap lowered by a reload is reached over a few ticks.
  redis.call('XTRIM', key(c.P, 'events'), 'MAXLEN', '~', c.cfg.maxlen, 'LIMIT', '100000')
  local nxt = redis.call('ZRANGE', tkey, 0, 0, 'WITHSCORES')
  out[1] = {#due, tonumber(nxt[2]) or -1, c.timeouts, c.overflows, c.notes}
  return out
end
register('tick', tick)
