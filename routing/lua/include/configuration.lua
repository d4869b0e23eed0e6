-- Configuration ------------------------------------------------------------------------------
-- cfg:<epoch> holds, as text: counted (comma list of statuses), max (default max_concurrent),
-- maxlen (event stream cap), retention (closed tickets, ms), affinity (ms), push ('1' when any
-- queue pushes), warn (sla.warn_before, ms), db (the Redis database the daemon uses) and per
-- queue `q:<name>` = mode;strategy;accept_ms;cooldown_ms;away;overflow with overflow =
-- after_ms>queue,after_ms>queue (empty when none). With channels configured: capacity (default
-- units per agent) and per channel `ch:<name>` = cost;wrap_up_ms;max_per_agent (0: no limit).
-- Optional: missed (agents.missed_offers_away), offline_return (ms), no_reply (ms).

local configs = {}  -- parsed, by epoch, for the life of the loaded library

local function parse_queue(text)
  local mode, strategy, accept, cooldown, away, overflow =
      string.match(text, '^([^;]*);([^;]*);([^;]*);([^;]*);([^;]*);(.*)$')
  local q = {mode = mode, strategy = strategy, accept = tonumber(accept) or 0,
             cooldown = tonumber(cooldown) or 0, away = away == '1', overflow = {}}
  for after, to in string.gmatch(overflow or '', '(%d+)>([^,]+)') do
    q.overflow[#q.overflow + 1] = {after = tonumber(after), to = to}
  end
  return q
end

local function configuration(P, epoch)
  local cfg = configs[epoch]
  if cfg then return cfg end
  -- The pace of Lua's garbage collector in Redis's function engine, set here because a loaded
  -- library parses a configuration before anything else (so off every call's path): at Lua's
  -- default step multiplier (200, twice as much collector work as memory allocated) it cost a
  -- cycle about 22 k Redis instructions (3 %) more than at 5, which finishes each collection over
  -- more calls: the Lua heap then peaked at 1.7 MB instead of 0.5 MB over 20,000 cycles
  -- (bench/HISTORY.md, "2026-12-07, 17:40"). A Redis whose sandbox lacks collectgarbage keeps
  -- its own pace.
  pcall(function() collectgarbage('setstepmul', 5) end)
  local flat = redis.call('HGETALL', P .. KEY.config .. epoch)
  if #flat == 0 then fail('UNCONFIGURED', 'epoch=' .. epoch) end
  cfg = {queues = {}}
  cfg.channels = {}
  for i = 1, #flat, 2 do
    local name, value = flat[i], flat[i + 1]
    local kind = string.sub(name, 1, 3)
    if kind == 'ch:' then
      local cost, wrap, max = string.match(value, '^(%d+);(%d+);(%d+)$')
      cfg.channels[string.sub(name, 4)] = {cost = tonumber(cost), cost_text = cost,
                                           wrap = tonumber(wrap), max = tonumber(max)}
    elseif string.sub(name, 1, 2) == 'q:' then
      cfg.queues[string.sub(name, 3)] = parse_queue(value)
    else
      cfg[name] = value
    end
  end
  cfg.counted_text = cfg.counted or ''
  cfg.counted = {}
  for status in string.gmatch(cfg.counted_text, '[^,]+') do cfg.counted[status] = true end
  cfg.max_default = tonumber(cfg.max) or 5
  cfg.any_push = cfg.push == '1'
  cfg.affinity_ms = tonumber(cfg.affinity) or 0
  cfg.customer_ms = tonumber(cfg.customer) or 0
  cfg.customer_wait_ms = tonumber(cfg.customer_wait) or 0
  cfg.warn_ms = tonumber(cfg.warn) or 0
  -- Channels: capacity in units (include/capacity.lua); without them, a count as in version 1.
  cfg.units = cfg.capacity ~= nil
  cfg.capacity_default = tonumber(cfg.capacity) or 0
  if cfg.units and not cfg.channels.default then
    cfg.channels.default = {cost = 1, cost_text = '1', wrap = 0, max = 0}
  end
  cfg.missed_n = tonumber(cfg.missed) or 0
  cfg.offline_ms = tonumber(cfg.offline_return) or 0
  cfg.no_reply_ms = tonumber(cfg.no_reply) or 0
  -- Agent records carry unit and missed-offer fields only when something reads them; the fast
  -- paths (next, resolve) write version 1's fields only, so they run only without channels or
  -- the no-reply return (whose timer follows every assignment).
  cfg.extended = cfg.units or cfg.missed_n > 0
  cfg.plain = not cfg.units and cfg.no_reply_ms == 0
  configs[epoch] = cfg
  return cfg
end

-- The header every call starts with: ARGV[1] now_ms and ARGV[2] the configuration epoch (see
-- "Configuration" above); ARGV[3] an Idempotency-Key and ARGV[4] the request's fingerprint, ''
-- when the request has none (include/idempotency.lua). A function's own arguments start at
-- ARGV[5], named at its top.

-- One call's state: the header, its configuration, the agents it touched (read once, written
-- back by settle), the pushes it owes, and the assignments it made. Seven fields in a table
-- sized for eight: Lua sizes a table's fields in powers of two, and a ninth doubles what the
-- call allocates for it (see set_args). `now` (now_of) is the eighth; a create that needs the
-- time (overflow, push) and also notes `created` pays for the ninth. What push routing is owed
-- (freed agents, requeued queues) and the assignments start as false and become tables on
-- first use (owe, push.lua): most calls owe nothing, and each table made for nothing cost a
-- call about 0.9 k instructions.
local function context(keys, argv)
  return {
    P = keys[1],
    now_ms = argv[1],
    cfg = configuration(keys[1], argv[2]),
    agents = {},
    freed = false,
    requeued = false,
    assignments = false,
  }
end

-- Notes what push routing is owed, for settle: `kind` 'freed', an agent whose load dropped or
-- who came online (it is offered what waits), or 'requeued', a push queue that got a ticket
-- (it hands out what it can).
local function owe(c, kind, name)
  local owed = c[kind]
  if not owed then
    owed = {}
    c[kind] = owed
  end
  owed[name] = true
end

-- The call's time as a number, converted on first use (most calls only pass the text on).
local function now_of(c)
  local now = c.now
  if not now then
    now = tonumber(c.now_ms)
    c.now = now
  end
  return now
end

local function counted(c, status)
  return c.cfg.counted[status] == true
end

local function push_queue_policy(c, q)
  local pol = c.cfg.queues[q]
  if pol and pol.mode == 'push' then return pol end
  return nil
end
