-- create: creates a ticket and queues it in its home queue; idempotent by id.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [6] id, [7] payload fingerprint, [8] queue, [9] priority, [10] channel
--          ('' none), [11] skills (comma list), [12] attributes (JSON object, '' none),
--          [13] created_at ms, [14] first_reply_due ms, [15] resolution_due ms, [16] rank ms
-- Returns  'created', or 'existing' when the same payload was created before
-- Errors   TICKETD_CONFLICT reason=payload  (the id exists with another payload)
local function create(keys, argv)
  local c = context(keys, argv)
  local id = argv[6]
  local tk = key(c.P, 'ticket', id)
  local existing = redis.call('HGET', tk, 'fp')
  if existing then
    if existing ~= argv[7] then fail('CONFLICT', 'reason=payload') end
    return 'existing'
  end
  local queue = argv[8]
  local score = score_of(argv[16])
  local fields = {'s', 'queued', 'q', queue, 'p', argv[9], 'r', score, 'v', '1',
                  'ca', argv[13], 'ua', c.now_ms, 'qa', c.now_ms, 'd1', argv[14], 'd3', argv[15],
                  'fp', argv[7]}
  if argv[10] ~= '' then fields[#fields + 1] = 'ch'; fields[#fields + 1] = argv[10] end
  if argv[11] ~= '' then fields[#fields + 1] = 'sk'; fields[#fields + 1] = argv[11] end
  if argv[12] ~= '' then fields[#fields + 1] = 'at'; fields[#fields + 1] = argv[12] end
  redis.call('HSET', tk, unpack(fields))
  redis.call('ZADD', key(c.P, 'queue', queue), score, id)
  age_add(c, queue, c.now_ms)
  emit(c, 'ticket.queued', 'ticket', id, 'queue', queue)
  return 'created'
end
register('create', create)
