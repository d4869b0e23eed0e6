-- create: creates a ticket and queues it in its home queue; idempotent by id.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] id, [4] payload fingerprint, [5] queue, [6] priority, [7] channel
--          ('' none), [8] skills (comma list), [9] attributes (JSON object, '' none),
--          [10] created_at ms, [11] first_reply_due ms, [12] resolution_due ms, [13] rank ms
-- Returns  {'created', assignments...}, or {'existing'} when the same payload was created
--          before
-- Errors   TICKETD_CONFLICT reason=payload  (the id exists with another payload)
local function create(keys, argv)
  local c = context(keys, argv)
  local id = argv[3]
  local tk = key(c.P, 'ticket', id)
  local existing = redis.call('HGET', tk, 'fp')
  if existing then
    if existing ~= argv[4] then fail('CONFLICT', 'reason=payload') end
    return {'existing'}
  end
  local queue = argv[5]
  local score = score_of(argv[13])
  local fields = {'s', 'queued', 'q', queue, 'p', argv[6], 'r', score, 'v', '1',
                  'ca', argv[10], 'ua', c.now_ms, 'qa', c.now_ms, 'd1', argv[11], 'd3', argv[12],
                  'fp', argv[4]}
  if argv[7] ~= '' then fields[#fields + 1] = 'ch'; fields[#fields + 1] = argv[7] end
  if argv[8] ~= '' then fields[#fields + 1] = 'sk'; fields[#fields + 1] = argv[8] end
  if argv[9] ~= '' then fields[#fields + 1] = 'at'; fields[#fields + 1] = argv[9] end
  redis.call('HSET', tk, unpack(fields))
  -- The SLA timer: the first warning (or breach) of the two running targets.
  local first = math.min(tonumber(argv[11]), tonumber(argv[12]))
  if c.cfg.warn_ms > 0 then first = first - c.cfg.warn_ms end
  redis.call('ZADD', key(c.P, 'timers'), first, 's|' .. id)
  redis.call('ZADD', key(c.P, 'queue', queue), score, id)
  age_add(c, queue, c.now_ms)
  emit(c, 'ticket.queued', 'ticket', id, 'queue', queue)
  local pol = c.cfg.queues[queue]
  if pol and (pol.mode == 'push' or #pol.overflow > 0) then
    -- The new ticket as the other helpers know it; they change only a few fields of it.
    local t = {key = tk, id = id, dirty = {},
               f = {s = 'queued', v = '1', q = queue, r = score, qa = c.now_ms}}
    arm_overflow(c, t, 1)
    local later = {}
    for name in pairs(t.dirty) do
      later[#later + 1] = name
      later[#later + 1] = t.f[name]
    end
    if #later > 0 then redis.call('HSET', tk, unpack(later)) end
    c.requeued[queue] = true
  end
  return settle(c, 'created')
end
register('create', create)
