-- create: creates a ticket and queues it in its home queue; idempotent by id.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] id, [4] payload fingerprint, [5] queue, [6] priority, [7] channel
--          ('' none), [8] skills (comma list), [9] attributes (JSON object, '' none),
--          [10] created_at ms, [11] first_reply_due ms, [12] resolution_due ms, [13] rank ms,
--          [14] when the SLA timer first fires, ms (C++ computes it as arm_sla would)
-- Returns  'created' ({'created', assignments...} when push routing handed tickets out), or
--          'existing' when the same payload was created before
-- Errors   TICKETD_CONFLICT reason=payload  (the id exists with another payload)
local function create(keys, argv)
  local c = context(keys, argv)
  local id = argv[3]
  local tk = key(c.P, 'ticket', id)
  local existing = redis.call('HGET', tk, 'fp')
  if existing then
    if existing ~= argv[4] then fail('CONFLICT', 'reason=payload') end
    return 'existing'
  end
  local queue = argv[5]
  local score = score_of(argv[13])
  -- The new ticket as the helpers know it: they schedule its overflow (and, with FAST_PATHS
  -- off, its SLA timer from d1/d3) and note what they set on it, written with everything else
  -- by the one HSET below. With FAST_PATHS on, the SLA timer is ARGV[14], worked out by the
  -- planner.
  local t = {key = tk, id = id, dirty = {}, sla = true,
             f = {s = 'queued', v = '1', q = queue, r = score, qa = c.now_ms, d1 = argv[11],
                  d3 = argv[12]}}
  if FAST_PATHS then
    redis.call('ZADD', key(c.P, 'timers'), argv[14], 's|' .. id)
  else
    arm_sla(c, t)
  end
  arm_overflow(c, t, 1)
  -- No 'ua' yet: the first change writes it; until then the ticket was updated when queued.
  local fields = {'s', 'queued', 'q', queue, 'p', argv[6], 'r', score, 'v', '1',
                  'ca', argv[10], 'qa', c.now_ms, 'd1', argv[11], 'd3', argv[12], 'fp', argv[4]}
  if argv[7] ~= '' then fields[#fields + 1] = 'ch'; fields[#fields + 1] = argv[7] end
  if argv[8] ~= '' then fields[#fields + 1] = 'sk'; fields[#fields + 1] = argv[8] end
  if argv[9] ~= '' then fields[#fields + 1] = 'at'; fields[#fields + 1] = argv[9] end
  for name in pairs(t.dirty) do
    if t.f[name] ~= nil then
      fields[#fields + 1] = name
      fields[#fields + 1] = t.f[name]
    end
  end
  redis.call('HSET', tk, unpack(fields))
  -- Written: the push below takes this ticket as it is, without reading it back.
  t.dirty = {}
  c.created = t
  emit(c, 'ticket.queued', 'ticket', id, 'queue', queue)
  local pol = push_queue_policy(c, queue)
  if pol and not t.f.qs and hand_new(c, t, queue, pol) then return settle(c, 'created') end
  redis.call('ZADD', key(c.P, 'queue', queue), score, id)
  age_add(c, queue, c.now_ms)
  if pol then c.requeued[queue] = true end
  return settle(c, 'created')
end
register('create', create)
