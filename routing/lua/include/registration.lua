-- Registration ---------------------------------------------------------------------------------
-- Each function file ends by registering its function as `ticketd_v<N>_<file name>` (embed.cmake
-- checks the name and derives the C++ side from it). `kind`:
--   'read'    no writes (called with FCALL_RO);
--   'ticket'  a writer whose response shows the ticket ARGV[5] names;
--   'picked'  a writer whose response shows the ticket its reply names (next);
--   nil       any other writer.
-- Every writer honours an Idempotency-Key (include/idempotency.lua).
local function register(name, callback, kind)
  local flags = {}
  if kind == 'read' then
    flags = {'no-writes'}
  else
    callback = idempotent(callback, kind)
  end
  redis.register_function{function_name = FN .. name, callback = callback, flags = flags}
end
