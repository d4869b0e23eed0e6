-- settings_sync: run by every daemon when it starts and on reload. When the counted statuses
-- changed, every agent's load is recounted so capacity stays exact under the new rule.
-- KEYS[1]  workspace prefix
-- ARGV     header
-- Returns  number of agents recounted (0 when nothing changed)
local function settings_sync(keys, argv)
  local c = context(keys, argv)
  local sk = key(c.P, 'settings')
  if redis.call('HGET', sk, 'counted') == argv[2] then return 0 end
  local agents = redis.call('SMEMBERS', key(c.P, 'agents'))
  for _, id in ipairs(agents) do
    local load = 0
    for _, tid in ipairs(redis.call('SMEMBERS', key(c.P, 'held', id))) do
      local s = redis.call('HGET', key(c.P, 'ticket', tid), 's')
      if s and counted(c, s) then load = load + 1 end
    end
    redis.call('HSET', key(c.P, 'agent', id), 'l', load)
  end
  redis.call('HSET', sk, 'counted', argv[2])
  return #agents
end
register('settings_sync', settings_sync)
