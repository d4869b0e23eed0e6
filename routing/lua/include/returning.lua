-- Returning tickets ---------------------------------------------------------------------------

-- Hands ticket t back to `agent` (its last agent): assigned when the agent is online with room;
-- waiting in the agent's personal queue until `affinity_until` when online but at capacity;
-- otherwise (or when the agent does not meet the requirements in force from the ticket's wait)
-- queued in its home queue with `rank`. Returns the new status. Its wait is `qa`: the
-- caller sets it to now for a customer's message or a wake-up (whose rank C++ computed from
-- that moment); a follow-up keeps the wait and the rank the ticket had.
local function return_to_agent(c, t, agent, rank, affinity_until)
  local a = agent and agent_rec(c, agent)
  -- (With channels, the ticket's channel must be online for the agent too.)
  if a and a.st == 'online' and meets(a, (requirement_set(c, t))) and
      (not a.chp or units.presence(a, (units.channel(c, t))) == 'online') then
    if units.room(c, a, t, assignee(t) == agent and counted(c, t.f.s), false) then
      move(c, t, 'assigned', agent)
      note_assigned(c, a, nil)
      put(t, 'dr', 'return|||1|' .. c.now_ms)
      return 'assigned'
    end
    enqueue_personal(c, t, agent, score_of(rank), affinity_until)
    return 'queued'
  end
  enqueue(c, t, t.f.q, score_of(rank), t.f.qa or c.now_ms)
  return 'queued'
end

-- Reopening a resolved ticket: allowed until its reopen window ends (then a later message is
-- a new ticket), and counted. Needs the ticket's REOPEN_FIELDS.
local REOPEN_FIELDS = {'rw', 'ro'}
local function check_and_count_reopen(c, t)
  local until_ms = tonumber(t.f.rw)
  if until_ms and now_of(c) > until_ms then fail('CONFLICT', 'reason=reopen_window') end
  put(t, 'ro', (tonumber(t.f.ro) or 0) + 1)
  drop(t, 'rz')
  drop(t, 'rr')
  drop(t, 'rw')
end

-- What a pause keeps, by the status that paused: postponed keeps the reply targets (p1, p2),
-- their due times at the wake-up (z1, z2), the wake-up and its rank; resolved keeps resolution.
local PAUSE_FIELDS = {postponed = {'p1', 'p2', 'z1', 'z2', 'ps', 'pu', 'zr'}, resolved = {'p3', 'ps'}}

-- Drops what the pause of status `was` kept (nothing for other statuses).
local function end_pause(t, was)
  local fields = PAUSE_FIELDS[was]
  if not fields then return end
  for _, name in ipairs(fields) do drop(t, name) end
end

-- A customer wrote (or an agent reopened) a ticket: it goes back to its last agent, or waits.
-- `dues`: the due times C++ computed for first reply, next reply and resolution ('' leaves a
-- target as it is); paused targets resume with them. Any customer contact ends the follow-up
-- cadence. Returns the new status.
local function customer_returns(c, t, dues, rank, affinity_until)
  for n = 1, 3 do
    if dues[n] ~= '' then set_due(t, n, dues[n]) end
  end
  end_pause(t, t.f.s)
  drop(t, 'fa')
  drop(t, 'fc')
  put(t, 'cr', c.now_ms)
  -- The customer waits again from this message.
  wait_from(t, c.now_ms)
  return return_to_agent(c, t, t.f.la, rank, affinity_until)
end

-- The event of a ticket handed back (customer_returns, wake-up): where it went.
local function emit_returned(c, t, status, via)
  if status == 'assigned' then
    emit(c, 'ticket.assigned', t.id, 'agent', t.f.la, 'via', via)
  elseif t.f.pq then
    emit(c, 'ticket.queued', t.id, 'agent', t.f.pq, 'via', via)
  else
    emit(c, 'ticket.queued', t.id, 'queue', t.f.q, 'via', via)
  end
end
