-- Keys ----------------------------------------------------------------------------------------
-- Every key of a workspace is the prefix KEYS[1] (`ticketd:{<ws>}:`) and one of these parts.
-- Keep in step with routing/keyspace.cpp (tests/unit/routing/keyspace_test.cpp).
local KEY = {
  ticket = 't:',
  queue = 'q:',
  queue_age = 'qo:',
  queue_age_count = 'qc:',
  queue_agents = 'qa:',
  personal_queue = 'pq:',
  agent = 'a:',
  held = 'h:',
  agents = 'agents',
  timers = 'timers',
  events = 'events',
  settings = 'settings',
  config = 'cfg:',
  idempotency = 'i:',
  forced = 'forced',
  queue_required = 'qr:',
  queue_sets = 'qg:',
  customer = 'cu:',
  queue_departures = 'qd:',
  stream_token = 'st:',
}

local function key(P, part, id)
  if id then return P .. KEY[part] .. id end
  return P .. KEY[part]
end
