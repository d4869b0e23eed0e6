-- Idempotency ----------------------------------------------------------------------------------
-- A writing call whose request carries an Idempotency-Key (ARGV[3], with the request's
-- fingerprint, its method, path and body digest, in ARGV[4]) keeps what it answered under
-- `i:<key>` for 24 hours, written in the same call as its change, so it holds exactly when the
-- change does. A repeat of the request finds it and answers it again without acting; the same
-- key with another request is refused. A call that fails wrote nothing and keeps nothing.
-- What is kept is the reply and the ticket the response shows as it was after the call (HGETALL
-- form), so the daemon renders the repeat from the same data as the first answer.
-- Answers {'kept' | 'replayed', reply, ticket fields ({} for none)}.
local IDEMPOTENCY_MS = '86400000'

-- The answer kept under key `ik` for the request with fingerprint `fp` ({'replayed', reply,
-- ticket fields}), or nil when nothing is kept. Another request under the key is refused.
local function kept_answer(P, ik, fp)
  local kept = redis.call('HMGET', key(P, 'idempotency', ik), 'f', 'r')
  if not kept[1] then return nil end
  if kept[1] ~= fp then fail('IDEMPOTENCY_CONFLICT') end
  local answer = cmsgpack.unpack(kept[2])
  return {'replayed', answer[1], answer[2]}
end

-- `shows`: 'ticket' when the response shows the ticket ARGV[5] names, 'picked' when it shows
-- the ticket the reply names (next), nil when it shows none.
local function idempotent(callback, shows)
  return function(keys, argv)
    local ik = argv[3]
    if ik == '' then return callback(keys, argv) end
    local replay = kept_answer(keys[1], ik, argv[4])
    if replay then return replay end
    local reply = callback(keys, argv)
    local id
    if shows == 'ticket' then
      id = argv[5]
    elseif shows == 'picked' then
      id = reply
      if type(reply) == 'table' then id = reply[1] end
    end
    local ticket = {}
    if id then ticket = redis.call('HGETALL', key(keys[1], 'ticket', id)) end
    local rk = key(keys[1], 'idempotency', ik)
    redis.call('HSET', rk, 'f', argv[4], 'r', cmsgpack.pack({reply, ticket}))
    redis.call('PEXPIRE', rk, IDEMPOTENCY_MS)
    return {'kept', reply, ticket}
  end
end
