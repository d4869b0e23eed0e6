// The fields of the ticket hash (`t:<id>`) and the agent hash (`a:<id>`), named once for C++ as
// routing/lua/include/fields.lua names and describes them for the functions; the decoders read
// them by these names only (tests/unit/routing/hash_fields_test.cpp checks both tables and every
// name the Lua files use).
#pragma once

#include <array>
#include <string_view>

namespace ticketd::routing {

namespace ticket_field {
inline constexpr std::string_view status = "s";
inline constexpr std::string_view version = "v";
inline constexpr std::string_view queue = "q";
inline constexpr std::string_view shared_queues = "qs";
inline constexpr std::string_view personal_queue = "pq";
inline constexpr std::string_view waiting_since = "qa";
inline constexpr std::string_view score = "r";
inline constexpr std::string_view priority = "p";
inline constexpr std::string_view channel = "ch";
inline constexpr std::string_view skills = "sk";
inline constexpr std::string_view attributes = "at";
inline constexpr std::string_view last_agent = "la";
inline constexpr std::string_view created_at = "ca";
inline constexpr std::string_view updated_at = "ua";
inline constexpr std::string_view fingerprint = "fp";
inline constexpr std::string_view first_reply_due = "d1";
inline constexpr std::string_view next_reply_due = "d2";
inline constexpr std::string_view resolution_due = "d3";
inline constexpr std::string_view first_reply_stage = "w1";
inline constexpr std::string_view next_reply_stage = "w2";
inline constexpr std::string_view resolution_stage = "w3";
inline constexpr std::string_view paused_first_reply = "p1";
inline constexpr std::string_view paused_next_reply = "p2";
inline constexpr std::string_view paused_resolution = "p3";
inline constexpr std::string_view paused_at = "ps";
inline constexpr std::string_view breached = "br";
inline constexpr std::string_view first_replied_at = "f1";
inline constexpr std::string_view customer_replied_at = "cr";
inline constexpr std::string_view cadence = "fc";
inline constexpr std::string_view followups_due = "fa";
inline constexpr std::string_view reopens = "ro";
inline constexpr std::string_view escalated = "es";
inline constexpr std::string_view timer_kind = "lk";
inline constexpr std::string_view overflow_step = "os";
inline constexpr std::string_view offer_token = "ot";
inline constexpr std::string_view offer_queue = "oq";
inline constexpr std::string_view cooldowns = "cd";
inline constexpr std::string_view postponed_until = "pu";
inline constexpr std::string_view wake_rank = "zr";
inline constexpr std::string_view wake_first_reply = "z1";
inline constexpr std::string_view wake_next_reply = "z2";
inline constexpr std::string_view resolved_at = "rz";
inline constexpr std::string_view reopen_until = "rw";
inline constexpr std::string_view resolve_reason = "rr";
inline constexpr std::string_view requirements = "rq";
inline constexpr std::string_view requirement_set = "sg";
inline constexpr std::string_view customer = "cu";
inline constexpr std::string_view preference = "pf";
inline constexpr std::string_view handed_out = "hs";
inline constexpr std::string_view charged = "uc";
inline constexpr std::string_view decision = "dr";
}  // namespace ticket_field

namespace agent_field {
inline constexpr std::string_view name = "n";
inline constexpr std::string_view status = "st";
inline constexpr std::string_view status_since = "ss";
inline constexpr std::string_view queues = "qs";
inline constexpr std::string_view effective_queues = "qe";
inline constexpr std::string_view skills = "sk";
inline constexpr std::string_view max_concurrent = "m";
inline constexpr std::string_view load = "l";
inline constexpr std::string_view last_assigned_at = "lt";
inline constexpr std::string_view round_robin = "rr";
inline constexpr std::string_view personal_waiting = "pn";
inline constexpr std::string_view forced_excess = "fx";
inline constexpr std::string_view connections = "cn";
inline constexpr std::string_view capacity = "cp";
inline constexpr std::string_view units_used = "u";
inline constexpr std::string_view channel_use = "cc";
inline constexpr std::string_view channel_presence = "ch";
inline constexpr std::string_view wrap_ups = "wu";
inline constexpr std::string_view missed_offers = "mo";
}  // namespace agent_field

// Every field of each hash (what each holds: routing/lua/include/fields.lua).
inline constexpr std::array<std::string_view, 51> ticket_fields{
    ticket_field::status,
    ticket_field::version,
    ticket_field::queue,
    ticket_field::shared_queues,
    ticket_field::personal_queue,
    ticket_field::waiting_since,
    ticket_field::score,
    ticket_field::priority,
    ticket_field::channel,
    ticket_field::skills,
    ticket_field::attributes,
    ticket_field::last_agent,
    ticket_field::created_at,
    ticket_field::updated_at,
    ticket_field::fingerprint,
    ticket_field::first_reply_due,
    ticket_field::next_reply_due,
    ticket_field::resolution_due,
    ticket_field::first_reply_stage,
    ticket_field::next_reply_stage,
    ticket_field::resolution_stage,
    ticket_field::paused_first_reply,
    ticket_field::paused_next_reply,
    ticket_field::paused_resolution,
    ticket_field::paused_at,
    ticket_field::breached,
    ticket_field::first_replied_at,
    ticket_field::customer_replied_at,
    ticket_field::cadence,
    ticket_field::followups_due,
    ticket_field::reopens,
    ticket_field::escalated,
    ticket_field::timer_kind,
    ticket_field::overflow_step,
    ticket_field::offer_token,
    ticket_field::offer_queue,
    ticket_field::cooldowns,
    ticket_field::postponed_until,
    ticket_field::wake_rank,
    ticket_field::wake_first_reply,
    ticket_field::wake_next_reply,
    ticket_field::resolved_at,
    ticket_field::reopen_until,
    ticket_field::resolve_reason,
    ticket_field::requirements,
    ticket_field::requirement_set,
    ticket_field::customer,
    ticket_field::preference,
    ticket_field::handed_out,
    ticket_field::charged,
    ticket_field::decision,
};
inline constexpr std::array<std::string_view, 19> agent_fields{
    agent_field::name,
    agent_field::status,
    agent_field::status_since,
    agent_field::queues,
    agent_field::effective_queues,
    agent_field::skills,
    agent_field::max_concurrent,
    agent_field::load,
    agent_field::last_assigned_at,
    agent_field::round_robin,
    agent_field::personal_waiting,
    agent_field::forced_excess,
    agent_field::connections,
    agent_field::capacity,
    agent_field::units_used,
    agent_field::channel_use,
    agent_field::channel_presence,
    agent_field::wrap_ups,
    agent_field::missed_offers,
};

}  // namespace ticketd::routing
