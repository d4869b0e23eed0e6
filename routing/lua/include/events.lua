-- Appends one event to the workspace stream: its type, the id of the ticket it is about (of the
-- agent, for the `agent.*` types) and the field/value pairs the type carries. The stream is
-- capped by tick (functions/tick.lua), not here: a cap on every append cost each call a trim
-- check and longer AOF entries.
--
-- An entry is one field: named by the type, its value the id, the time (ms) and the pairs,
-- joined by EVENT_SEP (daemon/events/stream_event.cpp reads it). One field and one value
-- instead of 4 + n names and values cost Redis about 7 k instructions less per event: fewer
-- arguments to convert, store and write to the AOF (bench/HISTORY.md). Events of one type in a
-- row share their field name in the stream, as the separate fields of one shape did. The values
-- must not hold EVENT_SEP: ids, names, numbers and the daemon's compact JSON cannot; free text
-- (a reason) goes through emit_text.
local emit, emit_text
do
  local EVENT_SEP = '\31'

  emit = function(c, etype, id, ...)
    local S = EVENT_SEP
    local n = select('#', ...)
    local packed
    -- Up to three pairs (most events) joined in one concatenation, without a table.
    if n == 0 then
      packed = id .. S .. c.now_ms
    elseif n == 2 then
      local k1, v1 = ...
      packed = id .. S .. c.now_ms .. S .. k1 .. S .. v1
    elseif n == 4 then
      local k1, v1, k2, v2 = ...
      packed = id .. S .. c.now_ms .. S .. k1 .. S .. v1 .. S .. k2 .. S .. v2
    elseif n == 6 then
      local k1, v1, k2, v2, k3, v3 = ...
      packed = id .. S .. c.now_ms .. S .. k1 .. S .. v1 .. S .. k2 .. S .. v2 .. S .. k3 .. S .. v3
    else
      -- Bounded by the count: a nil value fails the call, as it failed XADD's arguments.
      packed = table.concat({id, c.now_ms, ...}, S, 1, n + 2)
    end
    redis.call('XADD', key(c.P, 'events'), '*', etype, packed)
  end

  -- emit for an event one of whose values, `text`, may hold any character. When it holds
  -- EVENT_SEP, the entry has separate fields: `type`, the subject (`ticket` or `agent`) with
  -- the id, `at` and the pairs. The daemon reads both forms.
  emit_text = function(c, text, etype, id, ...)
    if not string.find(text, EVENT_SEP, 1, true) then return emit(c, etype, id, ...) end
    local subject = string.sub(etype, 1, 6) == 'agent.' and 'agent' or 'ticket'
    redis.call('XADD', key(c.P, 'events'), '*', 'type', etype, subject, id, 'at', c.now_ms, ...)
  end
end
