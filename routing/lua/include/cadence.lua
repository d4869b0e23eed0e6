-- Follow-up cadence -------------------------------------------------------------------------
-- `fc`: the schedule C++ computed at the first agent reply after the customer's last message,
-- 'followup,followup,...;resolve_at;reopen_until;close_at' (resolve part empty when none);
-- `fa`: how many follow-ups fell due. It runs while the agent holds the ticket (pending, or
-- assigned after a follow-up fell due) on the lifecycle slot.
local function parse_cadence(fc)
  local list, resolve_at, reopen_until, close_at =
      string.match(fc, '^([^;]*);([^;]*);([^;]*);(.*)$')
  return split(list), resolve_at or '', reopen_until or '', close_at or ''
end

local function arm_cadence(c, t)
  if not t.f.fc or (t.f.s ~= 'pending' and t.f.s ~= 'assigned') then return end
  local list, resolve_at = parse_cadence(t.f.fc)
  local done = tonumber(t.f.fa) or 0
  if done < #list then
    set_lifecycle_timer(c, t, 'followup', list[done + 1])
  elseif resolve_at ~= '' then
    set_lifecycle_timer(c, t, 'unresponsive', resolve_at)
  end
end
