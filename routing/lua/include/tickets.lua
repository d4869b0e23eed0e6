-- Tickets ------------------------------------------------------------------------------------
-- A ticket in memory: the hash fields an action needs in `f` (as stored, text), the names
-- changed since in `dirty`. One HMGET reads it, one HSET (and HDEL) writes it back. The
-- assignee is not stored: while the status is held it is the last agent `la`.

-- Fields every action reads (in this order); an action names any others it needs. `rq` and `sg`
-- (requirements), `cu` (customer) and `pf` (preference) are absent on most tickets: a field that
-- is not there costs HMGET little.
local function find_ticket(c, id, extra)
  local tk = key(c.P, 'ticket', id)
  local v
  if c.cfg.units then
    -- With channels, also the channel and what it costs its holder now.
    local all = {'ch', 'uc'}
    if extra then
      for i = 1, #extra do all[i + 2] = extra[i] end
      all.sla = extra.sla
    end
    extra = all
  end
  if extra then
    v = redis.call('HMGET', tk, 's', 'v', 'la', 'q', 'qs', 'pq', 'qa', 'lk', 'r', 'rq', 'sg',
                   'cu', 'pf', unpack(extra))
  else
    v = redis.call('HMGET', tk, 's', 'v', 'la', 'q', 'qs', 'pq', 'qa', 'lk', 'r', 'rq', 'sg', 'cu',
                   'pf')
  end
  if not v[1] then return nil end
  -- A constructor sizes the table once; `or nil` turns HMGET's false into absent.
  local f = {s = v[1], v = v[2], la = v[3] or nil, q = v[4] or nil, qs = v[5] or nil,
             pq = v[6] or nil, qa = v[7] or nil, lk = v[8] or nil, r = v[9] or nil,
             rq = v[10] or nil, sg = v[11] or nil, cu = v[12] or nil, pf = v[13] or nil}
  if extra then
    for i = 1, #extra do
      if v[13 + i] then f[extra[i]] = v[13 + i] end
    end
  end
  -- Extras built with with_sla() hold every SLA field: read_sla() need not read them again.
  return {key = tk, id = id, f = f, dirty = {}, sla = extra ~= nil and extra.sla}
end

local function load_ticket(c, id, extra)
  local t = find_ticket(c, id, extra)
  if not t then fail('NOT_FOUND', 'ticket=' .. id) end
  return t
end

local function assignee(t)
  if HELD[t.f.s] then return t.f.la end
  return nil
end

local function put(t, field, value)
  t.f[field] = value
  t.dirty[field] = true
end

-- The ticket waits from `since` on. A new ticket's hash holds no `ca` (one field less per
-- waiting ticket): it was created when its first wait began, `qa`. The first time `qa` moves,
-- write_fields keeps that time as `ca` (HSETNX: a ticket that already has one keeps it).
local function wait_from(t, since)
  if t.f.qa and t.f.qa ~= since and not t.created_at then t.created_at = t.f.qa end
  put(t, 'qa', since)
end

-- Removes a field; a field the action did not read is removed blindly.
local function drop(t, field)
  t.f[field] = nil
  t.dirty[field] = true
end

-- if_match: the client's If-Match (412 on mismatch); expect: the version C++ computed its
-- arguments from (TICKETD_STALE makes C++ read again and retry).
local function check_version(t, if_match, expect)
  local v = t.f.v
  if if_match ~= '' and if_match ~= v then fail('VERSION_MISMATCH', 'version=' .. v) end
  if expect ~= '' and expect ~= v then fail('STALE', 'version=' .. v) end
end

local function check_transition(t, action)
  if not ALLOWED[action][t.f.s] then fail('INVALID_TRANSITION', 'status=' .. t.f.s) end
end

-- The usual opening of a ticket action: load, versions, transition.
local function begin_action(c, id, if_match, expect, action, extra)
  local t = load_ticket(c, id, extra)
  check_version(t, if_match, expect)
  check_transition(t, action)
  return t
end

-- The version the next commit writes. Each version's successor is worked out once and kept
-- (versions are small counts): converting text to a number and back costs more than a lookup.
local version_after = {}
local function successor(v)
  local after = version_after[v]
  if not after then
    after = tostring(tonumber(v) + 1)
    if #v <= 4 then version_after[v] = after end
  end
  return after
end

local function next_version(t)
  return successor(t.f.v)
end
