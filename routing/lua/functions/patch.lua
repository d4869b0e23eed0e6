-- patch: PATCH /v1/tickets/{id} replaces what the request names; the status stays. A priority
-- change moves the due times C++ computed from the time already spent, and re-ranks a waiting
-- ticket in place (offered: the rank it goes back with; postponed: the one it wakes with).
-- KEYS[1]  workspace prefix
-- ARGV     header, then: [5] ticket id, [6] If-Match ('' none), [7] expected version,
--          [8] priority, [9] rank ms, [10] [11] [12] first reply, next reply and resolution due
--          ms, [13] [14] [15] the same paused, [16] [17] first and next reply due at a
--          postponed ticket's wake-up, [18] its wake rank ms ('' each: unchanged); [19] which
--          of ch, sk, at, rq change (comma list), [20] channel, [21] skills (comma list),
--          [22] attributes (JSON object), [23] requirements (skill:level:relax_ms list),
--          [24] preference (for_ms|agent,agent) ('' each removes)
-- New requirements take effect at once: a waiting ticket moves to the set of those in force
-- (and may be handed out), an offer to an agent who no longer meets them is withdrawn.
-- Returns  the ticket's new version; {it, assignments...} when push routing handed tickets out
-- Errors   TICKETD_NOT_FOUND; TICKETD_VERSION_MISMATCH; TICKETD_STALE;
--          TICKETD_CONFLICT status=closed; TICKETD_CONFLICT field=requires (a 65th set);
--          TICKETD_CAPACITY_EXCEEDED reason=... (a held ticket's new channel does not fit its
--          holder)
local PATCHED_ARG = {ch = 20, sk = 21, at = 22, rq = 23, pf = 24}
local PATCHED_NAME = {ch = 'channel', sk = 'skills', at = 'attributes', rq = 'requires',
                      pf = 'preferred_agents'}
local PATCH_FIELDS = with_sla(OFFER_FIELDS)

local function patch(keys, argv)
  local id, if_match, expect, priority, rank = argv[5], argv[6], argv[7], argv[8], argv[9]
  local c = context(keys, argv)
  local t = load_ticket(c, id, PATCH_FIELDS)
  check_version(t, if_match, expect)
  if t.f.s == 'closed' then fail('CONFLICT', 'status=closed') end
  -- New requirements: the set they put the ticket in, checked before anything is written.
  local new_rq, new_sg, new_relax
  if string.find(argv[19], 'rq', 1, true) then
    local was = t.f.rq
    new_rq = argv[23]
    t.f.rq = new_rq ~= '' and new_rq or nil
    new_sg, new_relax = requirement_set(c, t)
    t.f.rq = was
    if t.f.s == 'queued' and not t.f.pq and new_sg and new_sg ~= t.f.sg then
      for _, q in ipairs(shared_queues(t)) do check_set_room(c, q, new_sg) end
    end
  end
  -- A held ticket's new channel must fit its holder, its own old cost given back.
  local charged = t.f.uc and string.find(argv[19], 'ch', 1, true) and assignee(t)
  local holder = charged and agent_rec(c, charged)
  if holder and holder.cap then
    local new = {f = {ch = argv[20] ~= '' and argv[20] or nil}}
    local name, ch = units.channel(c, new)
    local old_name, old_cost = string.match(t.f.uc, '^(.*):(%d+)$')
    if holder.used - tonumber(old_cost) + ch.cost > holder.cap then
      units.refuse(c, holder, new, 'no_room')
    elseif name ~= old_name and ch.max > 0 and units.in_channel(holder, name) >= ch.max then
      units.refuse(c, holder, new, 'channel_full')
    end
  end
  local changed = {}
  if priority ~= '' then
    put(t, 'p', priority)
    changed[#changed + 1] = 'priority'
  end
  for n = 1, 3 do
    if argv[9 + n] ~= '' then set_due(t, n, argv[9 + n]) end
    if argv[12 + n] ~= '' then put(t, PAUSED[n], argv[12 + n]) end
  end
  if argv[16] ~= '' then put(t, 'z1', argv[16]) end
  if argv[17] ~= '' then put(t, 'z2', argv[17]) end
  if argv[18] ~= '' then put(t, 'zr', argv[18]) end
  if rank ~= '' then
    if t.f.s == 'queued' then
      rerank(c, t, rank)
    elseif t.f.s == 'offered' then
      put(t, 'r', score_of(rank))
    end
  end
  local old_rq = t.f.rq
  -- A held ticket's new channel moves its cost on its holder at once (checked above).
  if charged then units.count(c, t, charged, -1) end
  for name in string.gmatch(argv[19], '[^,]+') do
    local value = argv[PATCHED_ARG[name]]
    if value == '' then drop(t, name) else put(t, name, value) end
    changed[#changed + 1] = PATCHED_NAME[name]
  end
  if charged then units.count(c, t, charged, 1) end
  local withdraw = false
  -- What a hand-out met no longer applies to requirements given since.
  if new_rq and HELD[t.f.s] then drop(t, 'hs') end
  if new_rq then
    if t.f.s == 'queued' and not t.f.pq then
      if relaxing(old_rq) then redis.call('ZREM', key(c.P, 'timers'), 'x|' .. id) end
      move_to_set(c, t, new_sg)
      if new_sg and new_relax then
        redis.call('ZADD', key(c.P, 'timers'), new_relax, 'x|' .. id)
      end
    elseif t.f.s == 'offered' then
      local a = agent_rec(c, assignee(t))
      withdraw = not a or not meets(a, new_sg)
    end
  end
  -- A new preference, or none: a waiting ticket is placed again (its rank and wait kept).
  if string.find(argv[19], 'pf', 1, true) and t.f.s == 'queued' then
    unqueue(c, t)
    enqueue(c, t, t.f.q, t.f.r, t.f.qa)
  end
  local v
  if withdraw then
    v = withdraw_offer(c, t, 'withdrawn', 'requirements')
  else
    v = commit(c, t)
  end
  if priority ~= '' then
    emit(c, 'ticket.updated', id, 'changed', table.concat(changed, ','),
         'priority', priority)
  else
    emit(c, 'ticket.updated', id, 'changed', table.concat(changed, ','))
  end
  return settle(c, v)
end
register('patch', patch, 'ticket')
