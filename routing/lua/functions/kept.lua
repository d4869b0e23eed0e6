-- kept: the answer an Idempotency-Key kept, read before a request whose plan depends on the
-- ticket's current state: a repeat is answered as the first request was, however the ticket
-- moved since (the first request moved it).
-- KEYS[1]  workspace prefix
-- ARGV     header (ARGV[3] the Idempotency-Key, ARGV[4] the request's fingerprint), nothing else
-- Returns  {'replayed', reply, ticket fields} as the writing functions answer a repeat, or nil
--          when nothing is kept under the key
-- Errors   TICKETD_IDEMPOTENCY_CONFLICT  (the key was used for another request)
local function kept(keys, argv)
  return kept_answer(keys[1], argv[3], argv[4]) or false
end
register('kept', kept, 'read')
