-- Limits ---------------------------------------------------------------------------------------

-- The hottest calls (next from one shared queue, resolve of a held ticket) are also written
-- out command by command beside the general path, and create sets the SLA timer C++ computed
-- for it; off, every call takes the general path (and create runs arm_sla). Only
-- tests/integration/fast_path_test.cpp turns them off, to hold the two to the same result.
local FAST_PATHS = true

-- How many tickets one call may hand out, and how deep it looks into a queue for a ticket an
-- agent is not cooling down for: bounds on the work of any single call.
local PUSH_LIMIT = 50
-- Written as the last index a ZRANGE reads: a number argument to redis.call is formatted as
-- text on every call.
local HEAD_SCAN_LAST = '4'   -- 5 tickets
local AGENT_SCAN_LAST = '9'  -- 10 agents
-- For a ticket with requirements in force, how far down the availability index of its rarest
-- required skill (agents having it) a push looks for an agent who meets them all.
local AGENT_SCAN_WIDE = '99'  -- 100 agents
