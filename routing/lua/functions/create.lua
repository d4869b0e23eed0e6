-- create: creates a ticket and queues it in its home queue; idempotent by id.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] id, [6] payload fingerprint, [7] queue, [8] priority, [9] channel
--          ('' none), [10] skills (comma list), [11] attributes (JSON object, '' none),
--          [12] created_at ms (its wait begins there), [13] first_reply_due ms,
--          [14] resolution_due ms, [15] rank ms, [16] when the SLA timer first fires, ms (C++
--          computes it as arm_sla would), [17] requirements (skill:level:relax_ms list, '' none),
--          [18] customer ('' none), [19] preference (for_ms|agent,agent; '' none), [20] the
--          create body as the client sent it without its id, compact JSON, for the new ticket's
--          `ticket.queued` ('' when the body was only the id)
-- Returns  'created' when the ticket is stored as the arguments describe it, 'routed' when this
--          call also moved it further (an overflow step due at once, a preferred agent took it
--          or keeps it waiting, its customer's agent keeps it waiting, the queue's push after it
--          joined the queue: the caller reads it back); {word, assignments...} when push routing
--          handed tickets out; 'existing' when the same payload was created before;
--          {'handed', version, decision record, assignments...} when push routing (hand_new) or
--          its customer's agent took the new ticket as it was created: it is then as the
--          arguments describe it but for the hand-out (status and holder from its assignment,
--          that version, `ua` the call's time, that `dr`), and the caller needs no read of it
-- Errors   TICKETD_CONFLICT reason=payload  (the id exists with another payload);
--          TICKETD_CONFLICT field=requires  (its requirement set would be the queue's 65th)
-- The agent of `customer` (note_customer_agent), or nil when none or its window has passed.
local function customer_agent(c, customer)
  local v = redis.call('GET', key(c.P, 'customer', customer))
  if not v then return nil end
  local agent, left = string.match(v, '^([^|]+)|?(%d*)$')
  if left ~= '' and tonumber(left) + c.cfg.customer_ms <= now_of(c) then return nil end
  return agent
end

-- Customer affinity: a new ticket of a customer goes to the agent who last held one of the
-- customer's tickets (within lifecycle.customer_affinity of its leaving): at once when that
-- agent is online, meets its requirements and has room; into its personal queue for
-- lifecycle.customer_affinity_wait when it is online but full. Returns whether it went.
local function to_customer_agent(c, t, score)
  if not t.f.cu or c.cfg.customer_ms <= 0 then return false end
  local agent = customer_agent(c, t.f.cu)
  local a = agent and agent_rec(c, agent)
  if not a or a.st ~= 'online' or not meets(a, t.f.sg) then return false end
  local full = not units.room(c, a, t, false, true)
  if full and c.cfg.customer_wait_ms <= 0 then return false end
  t.unlisted = true  -- in no waiting set yet: only its requirement set is dropped
  if full then
    unqueue(c, t)
    t.unlisted = nil
    enqueue_personal(c, t, agent, score, tostring(now_of(c) + c.cfg.customer_wait_ms))
    commit(c, t)
    emit(c, 'ticket.queued', t.id, 'agent', agent, 'via', 'customer_affinity')
    return true
  end
  -- Its own agent: assigned, not offered.
  hand_to(c, t, a, nil, PERSONAL, 'customer_affinity', {mode = 'affinity'})
  t.unlisted = nil
  return true
end

-- The reply of a create whose new ticket a hand-out took as it was created: settle's, with the
-- ticket's version and decision record after the word (see Returns above).
local function handed(c, t)
  local reply = settle(c, 'handed')  -- a table: it holds the new ticket's assignment
  table.insert(reply, 2, t.f.v)
  table.insert(reply, 3, t.f.dr)
  return reply
end

local function create(keys, argv)
  local id, fingerprint, queue, priority, channel = argv[5], argv[6], argv[7], argv[8], argv[9]
  local skills, attributes, created_at, first_reply_due = argv[10], argv[11], argv[12], argv[13]
  local resolution_due, rank, sla_timer, requires = argv[14], argv[15], argv[16], argv[17]
  local customer, preference, request = argv[18], argv[19], argv[20]
  local c = context(keys, argv)
  local tk = key(c.P, 'ticket', id)
  local existing = redis.call('HGET', tk, 'fp')
  if existing then
    if existing ~= fingerprint then fail('CONFLICT', 'reason=payload') end
    return 'existing'
  end
  local score = score_of(rank)
  -- The new ticket as the helpers know it: they schedule its overflow (and, with FAST_PATHS
  -- off, its SLA timer from d1/d3) and note what they set on it, written with everything else
  -- by the one HSET below. With FAST_PATHS on, the SLA timer is the planner's.
  local t = {key = tk, id = id, dirty = {}, sla = true,
             f = {s = 'queued', v = '1', q = queue, r = score, qa = created_at,
                  d1 = first_reply_due, d3 = resolution_due}}
  local relax_at
  if requires ~= '' then
    t.f.rq = requires
    local sg
    sg, relax_at = requirement_set(c, t)
    check_set_room(c, queue, sg)
    -- Written with the rest; its relax timer only once it waits (not when handed out at once).
    if sg then put(t, 'sg', sg) end
  end
  if FAST_PATHS then
    redis.call('ZADD', key(c.P, 'timers'), sla_timer, 's|' .. id)
  else
    arm_sla(c, t)
  end
  arm_overflow(c, t, 1)
  -- No 'ua' yet: the first change writes it; until then the ticket was updated when created.
  -- No 'ca' either: the ticket was created when its wait began (wait_from keeps it).
  local fields = {'s', 'queued', 'q', queue, 'p', priority, 'r', score, 'v', '1',
                  'qa', created_at, 'd1', first_reply_due,
                  'd3', resolution_due, 'fp', fingerprint}
  if channel ~= '' then
    fields[#fields + 1] = 'ch'
    fields[#fields + 1] = channel
    t.f.ch = channel
  end
  if skills ~= '' then fields[#fields + 1] = 'sk'; fields[#fields + 1] = skills end
  if requires ~= '' then fields[#fields + 1] = 'rq'; fields[#fields + 1] = requires end
  if customer ~= '' then
    fields[#fields + 1] = 'cu'
    fields[#fields + 1] = customer
    t.f.cu = customer
  end
  if preference ~= '' then
    fields[#fields + 1] = 'pf'
    fields[#fields + 1] = preference
    t.f.pf = preference
  end
  if attributes ~= '' then fields[#fields + 1] = 'at'; fields[#fields + 1] = attributes end
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
  if request ~= '' then
    emit(c, 'ticket.queued', id, 'queue', queue, 'request', request)
  else
    emit(c, 'ticket.queued', id, 'queue', queue)
  end
  -- An explicit preference first, then the customer's own agent: both win over push routing.
  if t.f.pf and not t.f.qs and wait_for_preferred(c, t, score) then
    if t.f.sg then drop(t, 'sg') end  -- written above; it waits in no requirement set
    write_fields(c, t)
    emit(c, 'ticket.queued', id, 'agent', t.f.pq, 'via', 'preferred')
    return settle(c, 'routed')
  end
  if not t.f.qs and to_customer_agent(c, t, score) then
    if t.f.s == 'queued' then return settle(c, 'routed') end  -- waits for its agent
    return handed(c, t)
  end
  local pol = push_queue_policy(c, queue)
  if pol and not t.f.qs and hand_new(c, t, queue, pol) then return handed(c, t) end
  if relax_at then redis.call('ZADD', key(c.P, 'timers'), relax_at, 'x|' .. id) end
  join_queue(c, t, queue, score)
  if pol then owe(c, 'requeued', queue) end
  local reply = settle(c, t.f.qs and 'routed' or 'created')
  if type(reply) == 'table' and reply[1] == 'created' then
    -- Handed out by the queues' push after all (rare: hand_new found no one just before).
    for i = 2, #reply do
      if reply[i][1] == id then
        reply[1] = 'routed'
        break
      end
    end
  end
  return reply
end
register('create', create, 'ticket')
