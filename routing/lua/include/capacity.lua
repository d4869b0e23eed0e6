-- Capacity in units ----------------------------------------------------------------------------
-- With `channels` configured, a ticket costs its channel's units while it counts toward its
-- holder (a counted status): the agent record keeps the units used (`u`), how many of each
-- channel's tickets and wrap-ups it carries (`cc`: channel=n list), which channels are not online
-- for it (`ch`: channel=status list; a channel not listed follows the agent) and its running
-- wrap-ups (`wu`: until_ms:channel:cost list). The ticket keeps what it was charged (`uc`:
-- channel:cost), so a reload that changes a cost frees exactly what was taken. Without channels
-- none of this runs: a.cap is nil and capacity is the count of version 1.
-- (One table, declared with the agents (include/agents.lua) whose indexes it keeps: the library's
-- main chunk has a limit of 200 locals.)

-- The channel ticket t counts under (configured, else `default`) and that channel's settings.
function units.channel(c, t)
  local name = t.f.ch
  local ch = name and c.cfg.channels[name]
  if not ch then return 'default', c.cfg.channels.default end
  return name, ch
end

-- How many tickets and wrap-ups of channel `name` count on agent record a.
function units.in_channel(a, name)
  return count_of(listed(a.cc, name)) or 0
end

-- Agent record a's presence on channel `name`: its own status when the channel follows it.
function units.presence(a, name)
  local st = listed(a.chp, name)
  if not st or a.st ~= 'online' then return a.st end
  return st
end

-- List `list` (name=value,...) without `name`; nil when nothing is left.
function units.without(list, name)
  local out = {}
  for n, v in string.gmatch(list or '', '([^,=]+)=([^,]*)') do
    if n ~= name then out[#out + 1] = n .. '=' .. v end
  end
  if #out == 0 then return nil end
  return table.concat(out, ',')
end

function units.channel_delta(a, name, delta)
  local n = units.in_channel(a, name) + delta
  if n > 0 then
    a.cc = relisted(a.cc, name, count_text(n))
  else
    a.cc = units.without(a.cc, name)
  end
  touch(a, 'cc')
end

-- Whether ticket t fits agent record a's units and its channel's limit (`push`: and the channel is
-- online for the agent); the load (max_concurrent) is the caller's check. Also the reason when not:
-- channel_away, no_room or channel_full (API.md's explain vocabulary).
function units.fit(c, a, t, push)
  if not a.cap then return true end
  local name, ch = units.channel(c, t)
  if push and a.chp and units.presence(a, name) ~= 'online' then return false, 'channel_away' end
  if a.used + ch.cost > a.cap then return false, 'no_room' end
  if ch.max > 0 and units.in_channel(a, name) >= ch.max then return false, 'channel_full' end
  return true
end

-- Whether agent record a, available, has presence and room for a ticket of channel `name` (with
-- settings `ch`) now.
function units.channel_fits(a, name, ch)
  return units.presence(a, name) == 'online' and a.used + ch.cost <= a.cap and
      (ch.max == 0 or units.in_channel(a, name) < ch.max)
end

-- Each push queue keeps, with channels, one availability index per channel (qa:<queue>|#<channel>)
-- listing, with the same score, the available agents that channel_fits(): a push picks among
-- those who can take the ticket's channel now, never through agents away on it or full.
function units.refresh_channels(c, a, qa, score)
  for name, ch in pairs(c.cfg.channels) do
    if score and units.channel_fits(a, name, ch) then
      redis.call('ZADD', qa .. '|#' .. name, score, a.id)
    else
      redis.call('ZREM', qa .. '|#' .. name, a.id)
    end
  end
end

-- Agent record a keeps the cost of ticket t (`cost` units of channel `name`) for `ms`: a
-- wrap-up. One timer per agent (`w|<agent>`) at its earliest end.
function units.start_wrap_up(c, a, t, name, cost, ms)
  local ends = tostring(now_of(c) + ms)
  local entry = ends .. ':' .. name .. ':' .. cost
  a.wu = a.wu and (a.wu .. ',' .. entry) or entry
  touch(a, 'wu')
  redis.call('ZADD', key(c.P, 'timers'), 'LT', ends, 'w|' .. a.id)
  emit(c, 'agent.wrap_up', a.id, 'until', ends, 'ticket', t.id, 'channel', name)
end

-- Ends agent record a's wrap-ups that are over (`all`: every one, POST .../ready): their units
-- are free and the agent is owed waiting work; `agent.ready` once none is left. True when one
-- ended.
function units.end_wrap_ups(c, a, all)
  if not a.wu then return false end
  local now, rest, next_end, ended = now_of(c), {}, nil, false
  for entry, ends, name, cost in string.gmatch(a.wu, '((%d+):([^:,]+):(%d+))') do
    ends = tonumber(ends)
    if all or ends <= now then
      a.used = a.used - tonumber(cost)
      units.channel_delta(a, name, -1)
      ended = true
    else
      rest[#rest + 1] = entry
      if not next_end or ends < next_end then next_end = ends end
    end
  end
  local timers = key(c.P, 'timers')
  if next_end then
    a.wu = table.concat(rest, ',')
    redis.call('ZADD', timers, next_end, 'w|' .. a.id)
  else
    a.wu = nil
    redis.call('ZREM', timers, 'w|' .. a.id)
  end
  touch(a, 'wu', 'u')
  if ended then
    owe(c, 'freed', a.id)
    if not a.wu then emit(c, 'agent.ready', a.id, 'via', all and 'ready' or 'timer') end
  end
  return ended
end

-- Ticket t starts (delta 1) or stops (-1) counting toward agent `id`: the load, and with
-- channels its cost. Stopping by an agent's or supervisor's act (c.wrap_exit: resolve, release,
-- transfer, escalate, reassign away, close) starts the channel's wrap-up, which keeps the units
-- and the channel's count but not the load.
function units.count(c, t, id, delta)
  adjust_load(c, id, delta)
  if not c.cfg.units then return end
  local a = agent_rec(c, id)
  if not a then return end
  if delta > 0 then
    local name, ch = units.channel(c, t)
    put(t, 'uc', name .. ':' .. ch.cost_text)
    a.used = a.used + ch.cost
    units.channel_delta(a, name, 1)
  else
    local name, cost = string.match(t.f.uc or '', '^(.*):(%d+)$')
    if not name then return end
    drop(t, 'uc')
    local ch = c.cfg.channels[name]
    if c.wrap_exit and ch and ch.wrap > 0 then
      units.start_wrap_up(c, a, t, name, cost, ch.wrap)
      return
    end
    a.used = a.used - tonumber(cost)
    units.channel_delta(a, name, -1)
  end
  touch(a, 'u')
end

-- The no-reply return (lifecycle.assigned.return_after): a ticket entering `assigned` (or
-- assigned to another agent) arms `n|<ticket>`; leaving it cancels the timer.
-- (Called only with the return configured.)
function units.no_reply_timer(c, t, old_s, old_a, status, agent)
  if status == 'assigned' and (old_s ~= 'assigned' or old_a ~= agent) then
    redis.call('ZADD', key(c.P, 'timers'), now_of(c) + c.cfg.no_reply_ms, 'n|' .. t.id)
  elseif status ~= 'assigned' and old_s == 'assigned' then
    redis.call('ZREM', key(c.P, 'timers'), 'n|' .. t.id)
  end
end

-- Whether agent record a has room for ticket t (`already`: t counts toward it already): the
-- load under max_concurrent, then fit(); also the reason when not (at_capacity first).
function units.room(c, a, t, already, push)
  if already then return true end
  if a.load >= a.max then return false, 'at_capacity' end
  if not a.cap then return true end
  return units.fit(c, a, t, push)
end

-- Fails TICKETD_CAPACITY_EXCEEDED for agent record a refused ticket t for `why`.
function units.refuse(c, a, t, why)
  if why == 'at_capacity' or not a.cap then
    fail('CAPACITY_EXCEEDED', 'load=' .. a.load .. ' max=' .. a.max)
  end
  local name, ch = units.channel(c, t)
  fail('CAPACITY_EXCEEDED', 'reason=' .. why .. ' channel=' .. name .. ' cost=' .. ch.cost ..
       ' used=' .. a.used .. ' capacity=' .. a.cap .. ' load=' .. a.load .. ' max=' .. a.max)
end
