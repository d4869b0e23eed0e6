-- SLA -----------------------------------------------------------------------------------------
-- Targets 1 first_reply, 2 next_reply, 3 resolution. A running target has its due time in d<n>
-- and, once its warning or breach fired for that due time, its stage in w<n> (1 warned,
-- 2 breached). A paused target keeps its due time frozen in p<n>, paused since `ps`; C++
-- computes where it resumes. One timer per ticket, `s|<id>`, at its next warning or breach.
local TARGETS = {'first_reply', 'next_reply', 'resolution'}

local SLA_FIELDS = {'d1', 'd2', 'd3', 'w1', 'w2', 'w3', sla = true}
-- Target n's field names, spelled out: building 'd' .. n formats a number on every call.
local DUE = {'d1', 'd2', 'd3'}
local STAGE = {'w1', 'w2', 'w3'}
local PAUSED = {'p1', 'p2', 'p3'}

-- A list of extra ticket fields plus the SLA fields, marked so find_ticket notes they are read.
local function with_sla(list)
  -- Runs while the library loads, where only the bare language is at hand (no ipairs).
  local out = {sla = true}
  for i = 1, #list do out[#out + 1] = list[i] end
  for i = 1, #SLA_FIELDS do out[#out + 1] = SLA_FIELDS[i] end
  return out
end

-- Reads the SLA fields once per ticket and call (unless they came with the ticket, see
-- with_sla): afterwards t.f holds them, so only fields that exist are deleted.
local function read_sla(t)
  if t.sla then return end
  local stored = redis.call('HMGET', t.key, unpack(SLA_FIELDS))
  for i, name in ipairs(SLA_FIELDS) do
    if not t.dirty[name] then t.f[name] = stored[i] or nil end
  end
  t.sla = true
end

-- Sets (or, with nil, stops) target n's due time; its warning and breach are owed again.
local function set_due(t, n, due)
  read_sla(t)
  local dn, wn = DUE[n], STAGE[n]
  -- The same due time keeps its stage: what fired for it stays fired.
  if due and due == t.f[dn] then return end
  if due then
    put(t, dn, due)
  elseif t.f[dn] then
    drop(t, dn)
  end
  if t.f[wn] then drop(t, wn) end
end

-- Stops running target n and keeps its due time for resuming.
local function pause_due(c, t, n)
  read_sla(t)
  local due = t.f[DUE[n]]
  if not due then return end
  put(t, PAUSED[n], due)
  put(t, 'ps', c.now_ms)
  set_due(t, n, nil)
end

-- Puts the SLA timer at the next warning or breach of the running targets (or removes it).
local function arm_sla(c, t)
  read_sla(t)
  local at
  for n = 1, 3 do
    local due = tonumber(t.f[DUE[n]])
    if due then
      local stage = tonumber(t.f[STAGE[n]]) or 0
      local when
      if stage == 0 and c.cfg.warn_ms > 0 then
        when = due - c.cfg.warn_ms
      elseif stage < 2 then
        when = due
      end
      if when and (not at or when < at) then at = when end
    end
  end
  if at then
    redis.call('ZADD', key(c.P, 'timers'), at, 's|' .. t.id)
  else
    redis.call('ZREM', key(c.P, 'timers'), 's|' .. t.id)
  end
end
