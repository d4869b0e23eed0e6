#include "routing/ticket.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "routing/hash_fields.hpp"
#include "routing/resp_fields.hpp"
#include "routing/skills.hpp"

namespace ticketd::routing {

std::optional<std::int64_t> ticket::next_due() const {
  std::optional<std::int64_t> due;
  for (const auto& d : {first_reply_due, next_reply_due, resolution_due}) {
    if (d && (!due || *d < *due)) due = d;
  }
  return due;
}

std::optional<std::int64_t> ticket::relaxes_at(const config::requirement& r) const {
  if (!r.relax_after) return std::nullopt;
  return queued_at + r.relax_after->count();
}

std::vector<std::string> ticket::paused() const {
  std::vector<std::string> out;
  if (paused_first_reply) out.emplace_back("first_reply");
  if (paused_next_reply) out.emplace_back("next_reply");
  if (paused_resolution) out.emplace_back("resolution");
  return out;
}

std::optional<decision_record> parse_decision(std::string_view text) {
  std::array<std::string_view, 5> part{};
  std::size_t n = 0;
  std::string_view rest = text;
  while (n < part.size()) {
    const auto bar = rest.find('|');
    part[n++] = rest.substr(0, bar);
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 1);
  }
  if (n != part.size()) return std::nullopt;
  decision_record d{std::string{part[0]}, std::string{part[1]}, std::string{part[2]}, 1, 0};
  std::from_chars(part[3].data(), part[3].data() + part[3].size(), d.candidates);
  std::from_chars(part[4].data(), part[4].data() + part[4].size(), d.at);
  return d;
}

std::optional<ticket> decode_ticket(std::string_view id, const resp_value& fields) {
  std::optional<ticket> t{std::in_place};
  if (!decode_ticket_into(*t, id, fields)) t.reset();
  return t;
}

bool decode_ticket_into(ticket& t, std::string_view id, const resp_value& fields) {
  if (!fields.is_array() || fields.elements.empty() || fields.elements.size() % 2 != 0) {
    return false;
  }
  t.id = id;
  bool has_status = false;
  bool has_updated = false;
  bool has_created = false;
  std::string shared_queues;
  for (std::size_t i = 0; i < fields.elements.size(); i += 2) {
    const std::string_view name = fields.elements[i].str;
    const resp_value& value = fields.elements[i + 1];
    const std::string_view text = value.str;
    // The field names are routing/hash_fields.hpp's: short, to keep each ticket small.
    switch (field_code(name)) {
      case field_code(ticket_field::status): {
        const auto s = parse_ticket_status(text);
        if (!s) return false;
        t.status = *s;
        has_status = true;
        break;
      }
      case field_code(ticket_field::queue):
        t.queue = text;
        break;
      case field_code(ticket_field::shared_queues):
        shared_queues = text;
        break;
      case field_code(ticket_field::personal_queue):
        t.personal_queue = text;
        break;
      case field_code(ticket_field::priority):
        t.priority = text;
        break;
      case field_code(ticket_field::channel):
        t.channel = text;
        break;
      case field_code(ticket_field::skills):
        t.skills = split_list(text);
        break;
      case field_code(ticket_field::attributes):
        t.attributes_json = text;
        break;
      case field_code(ticket_field::last_agent):
        t.last_agent = std::string{text};
        break;
      case field_code(ticket_field::score):
        t.score = to_double(value);
        break;
      case field_code(ticket_field::first_reply_due):
        t.first_reply_due = to_int(value);
        break;
      case field_code(ticket_field::next_reply_due):
        t.next_reply_due = to_int(value);
        break;
      case field_code(ticket_field::resolution_due):
        t.resolution_due = to_int(value);
        break;
      case field_code(ticket_field::paused_first_reply):
        t.paused_first_reply = to_int(value);
        break;
      case field_code(ticket_field::paused_next_reply):
        t.paused_next_reply = to_int(value);
        break;
      case field_code(ticket_field::paused_resolution):
        t.paused_resolution = to_int(value);
        break;
      case field_code(ticket_field::paused_at):
        t.paused_at = to_int(value);
        break;
      case field_code(ticket_field::first_replied_at):
        t.first_replied_at = to_int(value);
        break;
      case field_code(ticket_field::customer_replied_at):
        t.last_customer_reply_at = to_int(value);
        break;
      case field_code(ticket_field::breached):
        t.breached = split_list(text);
        break;
      case field_code(ticket_field::followups_due):
        t.followup_attempt = static_cast<int>(to_int(value));
        break;
      case field_code(ticket_field::reopens):
        t.reopens = static_cast<int>(to_int(value));
        break;
      case field_code(ticket_field::escalated):
        t.escalated = to_int(value) != 0;
        break;
      case field_code(ticket_field::version):
        t.version = to_int(value);
        break;
      case field_code(ticket_field::created_at):
        t.created_at = to_int(value);
        has_created = true;
        break;
      case field_code(ticket_field::updated_at):
        t.updated_at = to_int(value);
        has_updated = true;
        break;
      case field_code(ticket_field::waiting_since):
        t.queued_at = to_int(value);
        break;
      case field_code(ticket_field::postponed_until):
        t.postponed_until = to_int(value);
        break;
      case field_code(ticket_field::customer):
        t.customer = text;
        break;
      case field_code(ticket_field::decision):
        if (auto d = parse_decision(text)) t.decision = std::move(*d);
        break;
      case field_code(ticket_field::preference): {
        const auto bar = text.find('|');
        if (bar == std::string_view::npos) break;
        preference p;
        std::from_chars(text.data(), text.data() + bar, p.for_ms);
        p.agents = split_list(text.substr(bar + 1));
        t.preferred = std::move(p);
        break;
      }
      case field_code(ticket_field::requirements):
        t.requirements = parse_requirements(text);
        break;
      case field_code(ticket_field::wake_rank):
        t.wake_rank = to_int(value);
        break;
      case field_code(ticket_field::wake_first_reply):
        t.wake_first_reply = to_int(value);
        break;
      case field_code(ticket_field::wake_next_reply):
        t.wake_next_reply = to_int(value);
        break;
      case field_code(ticket_field::resolved_at):
        t.resolved_at = to_int(value);
        break;
      case field_code(ticket_field::reopen_until):
        t.reopen_until = to_int(value);
        break;
      case field_code(ticket_field::resolve_reason):
        t.resolve_reason = text;
        break;
      case field_code(ticket_field::fingerprint):
        t.fingerprint = text;
        break;
      default:
        break;  // fields C++ does not read (timer kinds, offers, cooldowns, ...)
    }
  }
  if (!has_status) return false;
  // Create writes neither `ca` nor `ua` (two fields less per waiting ticket): until its wait
  // first begins again (which keeps `ca`), the ticket was created when it was queued, and until
  // the first change it was last updated then.
  if (!has_created) t.created_at = t.queued_at;
  if (!has_updated) t.updated_at = t.queued_at;
  // The assignee is not stored: while an agent holds the ticket it is the last agent.
  if (is_held(t.status)) t.assignee = t.last_agent;
  if (t.status == ticket_status::queued && !shared_queues.empty()) {
    t.queues = split_list(shared_queues);
  } else if (t.status != ticket_status::queued || t.personal_queue.empty()) {
    t.queues = {t.queue};
  }
  return true;
}

}  // namespace ticketd::routing
