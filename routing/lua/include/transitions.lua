-- Transitions ----------------------------------------------------------------------------------
-- Which action may run in which status: keep in step with routing/transitions.cpp
-- (tests/integration/transition_table_test.cpp drives every pair through these functions).
local OPEN = {queued = true, offered = true, assigned = true, pending = true, postponed = true}
local ALLOWED = {
  accept = {offered = true},
  reject = {offered = true},
  reply = {assigned = true},
  ['customer-reply'] = {pending = true, postponed = true, resolved = true},
  postpone = {assigned = true},
  release = {assigned = true},
  resolve = OPEN,
  reopen = {resolved = true},
  close = {queued = true, offered = true, assigned = true, pending = true, postponed = true,
           resolved = true},
  transfer = {queued = true, offered = true, assigned = true},
  escalate = {queued = true, offered = true, assigned = true},
  reassign = OPEN,
}
local HELD = {offered = true, assigned = true, pending = true, postponed = true}
