-- Offers --------------------------------------------------------------------------------------

-- An accept or reject must come from the agent the ticket is offered to, with the offer's token
-- when one is given, so a stale or foreign answer never moves the ticket. Needs OFFER_FIELDS.
local OFFER_FIELDS = {'ot', 'oq', 'cd', 'dr'}
local function check_offer(t, agent, token)
  local holder = assignee(t)
  if agent ~= holder then fail('CONFLICT', 'reason=offer offered_to=' .. holder) end
  if token ~= '' and token ~= t.f.ot then
    fail('CONFLICT', 'reason=offer_token')
  end
end

-- An offered ticket goes back to where it waited, with its rank and its wait kept; the agent
-- cools down for it. `outcome`: rejected, timeout or withdrawn (the agent went offline).
local function withdraw_offer(c, t, outcome, reason)
  local agent = assignee(t)
  local q = t.f.oq or t.f.q
  local pol = c.cfg.queues[q]
  cool_down(c, t, agent, q)
  drop(t, 'ot')
  drop(t, 'oq')
  enqueue(c, t, t.f.q, t.f.r, t.f.qa)
  if outcome == 'timeout' and pol and pol.away then
    local a = agent_rec(c, agent)
    if a and a.st == 'online' then
      set_status(c, a, 'away')
      emit(c, 'agent.status', agent, 'status', 'away', 'via', 'offer_timeout')
    end
  end
  -- agents.missed_offers_away consecutive timeouts (any queue) set the agent away.
  if outcome == 'timeout' and c.cfg.missed_n > 0 then
    local a = agent_rec(c, agent)
    if a then
      a.mo = a.mo + 1
      touch(a, 'mo')
      if c.notes then c.notes[#c.notes + 1] = 'missed_offer' end
      if a.mo >= c.cfg.missed_n and a.st == 'online' then
        set_status(c, a, 'away')
        emit(c, 'agent.status', agent, 'status', 'away', 'reason', 'missed_offers',
             'missed_offers', a.mo)
        if c.notes then c.notes[#c.notes + 1] = 'missed_offers_away' end
      end
    end
  end
  local v = commit(c, t)
  emit_text(c, reason or '', 'offer.' .. outcome, t.id, 'agent', agent, 'reason',
            reason or '')
  emit(c, 'ticket.queued', t.id, 'queue', t.f.q, 'via', outcome)
  return v
end
