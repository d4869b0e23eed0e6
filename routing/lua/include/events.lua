-- Appends one event to the workspace stream. `subject` is 'ticket' or 'agent'; the rest are
-- field/value pairs the event type carries. The stream is capped by tick (cap_events), not
-- here: a cap on every append cost each call a trim check and longer AOF entries.
local function emit(c, etype, subject, id, ...)
  redis.call('XADD', key(c.P, 'events'), '*', 'type', etype, subject, id, 'at', c.now_ms, ...)
end

-- Trims the stream to about `maxlen` entries (whole nodes, so a little over). Every daemon's
-- timer loop ticks at least once a second, so the stream passes its cap by at most that
-- second's events. Up to 100,000 entries go per call (Redis's default for `~` is 10,000, fewer
-- than a busy second writes); a cap lowered by a reload is reached over a few ticks.
local function cap_events(c)
  redis.call('XTRIM', key(c.P, 'events'), 'MAXLEN', '~', c.cfg.maxlen, 'LIMIT', '100000')
end
