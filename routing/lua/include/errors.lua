-- Errors --------------------------------------------------------------------------------------
-- A domain error is an error reply whose first word is a stable code, then key=value details:
-- `TICKETD_INVALID_TRANSITION status=pending`. routing/errors.cpp maps the code.

-- Aborts the call with a domain error. Only ever raised before the first write.
local function fail(code, detail)
  local msg = 'TICKETD_' .. code
  if detail then msg = msg .. ' ' .. detail end
  error({err = msg})
end
