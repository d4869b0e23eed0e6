#include "routing/hash_fields.hpp"

#include <array>

namespace ticketd::routing {
namespace {

namespace t = ticket_field;
namespace a = agent_field;

constexpr std::array<hash_field, 44> ticket_table{{
    {t::status, "status"},
    {t::version, "version"},
    {t::queue, "home queue"},
    {t::shared_queues, "shared queues it waits in, comma list (absent: only the home queue)"},
    {t::personal_queue, "agent whose personal queue holds it"},
    {t::waiting_since, "when its wait began, ms"},
    {t::score, "queue score: rank ms and three enqueue-counter digits"},
    {t::priority, "priority"},
    {t::channel, "channel"},
    {t::skills, "skills, comma list"},
    {t::attributes, "attributes, JSON object text"},
    {t::last_agent, "last agent (the assignee while the status is held)"},
    {t::created_at, "created_at ms"},
    {t::updated_at, "updated_at ms (absent until the first change)"},
    {t::fingerprint, "create payload fingerprint"},
    {t::first_reply_due, "first reply due ms"},
    {t::next_reply_due, "next reply due ms"},
    {t::resolution_due, "resolution due ms"},
    {t::first_reply_stage, "first reply SLA stage (1 warned, 2 breached)"},
    {t::next_reply_stage, "next reply SLA stage"},
    {t::resolution_stage, "resolution SLA stage"},
    {t::paused_first_reply, "paused first reply due ms"},
    {t::paused_next_reply, "paused next reply due ms"},
    {t::paused_resolution, "paused resolution due ms"},
    {t::paused_at, "paused since ms"},
    {t::breached, "targets that ever breached, comma list"},
    {t::first_replied_at, "first agent reply ms"},
    {t::customer_replied_at, "last customer message ms"},
    {t::cadence, "follow-up cadence"},
    {t::followups_due, "follow-ups fallen due"},
    {t::reopens, "reopens"},
    {t::escalated, "escalated (1)"},
    {t::timer_kind, "kind of its lifecycle timer"},
    {t::overflow_step, "next overflow step"},
    {t::offer_token, "offer token"},
    {t::offer_queue, "queue the offer came from"},
    {t::cooldowns, "cooldowns, agent=until_ms list"},
    {t::postponed_until, "postponed until ms"},
    {t::wake_rank, "rank ms should it queue when it wakes"},
    {t::wake_first_reply, "first reply due ms at the wake-up"},
    {t::wake_next_reply, "next reply due ms at the wake-up"},
    {t::resolved_at, "resolved at ms"},
    {t::reopen_until, "reopen window ends ms"},
    {t::resolve_reason, "resolve reason"},
}};

constexpr std::array<hash_field, 13> agent_table{{
    {a::name, "name"},
    {a::status, "status"},
    {a::status_since, "status since ms"},
    {a::queues, "queues as given, comma list"},
    {a::effective_queues, "effective queues: its queues and those its skills route to"},
    {a::skills, "skills, comma list"},
    {a::max_concurrent, "its own max_concurrent (absent: the configured default)"},
    {a::load, "load: tickets held in a counted status"},
    {a::last_assigned_at, "last assigned ms"},
    {a::round_robin, "round-robin turns, queue=ms list"},
    {a::personal_waiting, "tickets waiting in its personal queue"},
    {a::forced_excess, "forced excess mark"},
    {a::connections, "open streams over every daemon"},
}};

}  // namespace

std::span<const hash_field> ticket_fields() { return ticket_table; }
std::span<const hash_field> agent_fields() { return agent_table; }

}  // namespace ticketd::routing
