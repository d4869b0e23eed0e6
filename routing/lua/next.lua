-- next: "To Solve". Assigns the agent the lowest-rank ticket over its queues and its personal
-- queue, never above max_concurrent.
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [3] agent id
-- Returns  the assigned ticket's id, or nil when nothing waits; {id, assignments...} when push
--          routing handed tickets out too
-- Errors   TICKETD_NOT_FOUND agent=<id>; TICKETD_CAPACITY_EXCEEDED load=<n> max=<m>

-- The lower of (best, best_score) and the head of zset zkey; equal scores go by ticket id.
local function lower_head(zkey, best, best_score)
  local head = redis.call('ZRANGE', zkey, '0', '0', 'WITHSCORES')
  if head[1] then
    local score = tonumber(head[2])
    if not best or score < best_score or (score == best_score and head[1] < best) then
      return head[1], score
    end
  end
  return best, best_score
end

local function next_ticket(keys, argv)
  local c = context(keys, argv)
  local agent_id = argv[3]
  local a = load_agent(c, agent_id)
  if not has_room(a, false) then
    fail('CAPACITY_EXCEEDED', 'load=' .. a.load .. ' max=' .. a.max)
  end
  local best, best_score
  local qe = a.qe or ''
  if a.waiting == 0 and not string.find(qe, ',', 1, true) then
    -- One place to look: its head needs no score to compare.
    if qe ~= '' then best = redis.call('ZRANGE', key(c.P, 'queue', qe), '0', '0')[1] end
  else
    if a.waiting > 0 then
      best, best_score = lower_head(key(c.P, 'personal_queue', agent_id))
    end
    for q in string.gmatch(qe, '[^,]+') do
      best, best_score = lower_head(key(c.P, 'queue', q), best, best_score)
    end
  end
  if not best then return false end
  local t = load_ticket(c, best)
  unqueue(c, t)
  move(c, t, 'assigned', agent_id)
  note_assigned(c, a, nil)
  commit(c, t)
  emit(c, 'ticket.assigned', 'ticket', t.id, 'agent', agent_id, 'via', 'pull')
  return settle(c, t.id)
end
register('next', next_ticket)
