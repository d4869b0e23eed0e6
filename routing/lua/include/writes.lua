-- The argument lists of the HSETs and HDELs that write tickets and agents back, built in place
-- and kept for the life of the loaded library (one call runs at a time; a list is used up by
-- the redis.call it was built for). A call's Lua work is mostly paid through the garbage
-- collector, about 6 instructions per byte allocated (bench/README.md), and growing a new list
-- for every write allocated more than the fields it carried.
local set_args, del_args = {}, {}

-- Writes the changed fields as they are (no new version: bookkeeping such as SLA stages).
local function write_fields(c, t)
  if t.dirty.d1 or t.dirty.d2 or t.dirty.d3 then arm_sla(c, t) end
  if t.slot_cleared then
    redis.call('ZREM', key(c.P, 'timers'), 'l|' .. t.id)
    t.slot_cleared = nil
  end
  local ns, nd = 0, 0
  for name in pairs(t.dirty) do
    local value = t.f[name]
    if value == nil then
      nd = nd + 1
      del_args[nd] = name
    else
      set_args[ns + 1] = name
      set_args[ns + 2] = value
      ns = ns + 2
    end
  end
  if t.created_at then
    redis.call('HSETNX', t.key, 'ca', t.created_at)
    t.created_at = nil
  end
  if nd > 0 then redis.call('HDEL', t.key, unpack(del_args, 1, nd)) end
  if ns > 0 then redis.call('HSET', t.key, unpack(set_args, 1, ns)) end
  t.dirty = {}
end

-- Writes the changed fields with the next version; returns that version.
local function commit(c, t)
  local v = next_version(t)
  put(t, 'v', v)
  put(t, 'ua', c.now_ms)
  write_fields(c, t)
  return v
end
