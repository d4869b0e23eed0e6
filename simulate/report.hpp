// What a simulation measured, built from the events the real functions wrote (the same stream
// GET /v1/events serves) plus what the simulator knows of its arrivals; rendered as JSON
// (--report) and as a text table, alone or beside a baseline. Sans-io.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ticketd::simulate {

// One event as the stream holds it: its type and its fields (`at` in epoch ms).
struct event_view {
  std::string_view type;
  std::vector<std::pair<std::string_view, std::string_view>> fields;
  std::string_view field(std::string_view name) const;
};

struct target_report {
  std::int64_t measured = 0;  // clocks that ran for this target
  std::int64_t breached = 0;
};

struct queue_report {
  std::int64_t arrived = 0;
  std::vector<std::int64_t> waits;  // ms from arrival to first assignment (sorted by finish())
  // Arrivals that reached an agent: one wait each.
  std::int64_t assigned() const { return static_cast<std::int64_t>(waits.size()); }
  std::map<std::string, target_report> sla;  // first_reply, next_reply, resolution
  std::int64_t warnings = 0;
  std::int64_t breaches = 0;
  std::map<std::string, std::int64_t> assignments;  // by `via`: push, pull, accept, ...
  std::int64_t offers = 0;
  std::int64_t offer_timeouts = 0;
  std::int64_t resolved = 0;
};

struct agent_report {
  std::int64_t assigned = 0;
  std::int64_t resolved = 0;
  std::int64_t online_ms = 0;
  std::int64_t busy_ms = 0;  // online and holding at least one ticket in a counted status
  std::int64_t load_ms = 0;  // such tickets integrated over online time
  unsigned max_concurrent = 1;
};

struct report {
  std::int64_t started = 0;
  std::int64_t ended = 0;
  std::map<std::string, queue_report> queues;
  std::map<std::string, agent_report> agents;
  std::map<std::string, std::int64_t> refused;  // workload operations the API refused, by code
};

// Builds a report as the simulation runs.
class recorder {
 public:
  // `pending_counts`, `postponed_counts`: whether a ticket in that status still takes a place
  // of its agent (agents.counted_statuses); assigned always does.
  recorder(std::int64_t start, bool pending_counts, bool postponed_counts);

  // An arrival: its home queue, and which targets its clocks run for.
  void arrived(const std::string& ticket, const std::string& queue, std::int64_t at,
               bool first_reply, bool resolution);
  // A customer reply the functions took, starting a next_reply clock when `next_reply`.
  void customer_replied(const std::string& ticket, bool next_reply);
  void agent_defined(const std::string& agent, unsigned max_concurrent);
  void refused(const std::string& code) { ++report_.refused[code]; }
  // Every event, in stream order.
  void event(const event_view& e);
  // The agents' time stops here (their work is done; timers may still run).
  void close_agents(std::int64_t at);
  // Closes the books at `end`: time still running is counted up to it.
  report finish(std::int64_t end);

 private:
  struct ticket_facts {
    std::string queue;
    std::int64_t arrived = 0;
    bool assigned_once = false;
    std::string holder;
  };
  struct agent_state {
    bool online = false;
    int held = 0;
    std::int64_t since = 0;
  };
  void accrue(const std::string& agent, std::int64_t now);
  void hold(const std::string& ticket, const std::string& agent, std::int64_t now);
  void let_go(const std::string& ticket, std::int64_t now);
  queue_report* queue_of(std::string_view ticket);

  report report_;
  bool pending_counts_;
  std::optional<std::int64_t> agents_closed_;
  bool postponed_counts_;
  std::map<std::string, ticket_facts, std::less<>> tickets_;
  std::map<std::string, agent_state, std::less<>> agents_;
};

// The value at fraction q (0..1) of sorted values, nearest rank; 0 when there are none.
std::int64_t percentile(const std::vector<std::int64_t>& sorted, double q);

// --report: {"candidate": ..., "baseline": ..., "difference": ...} (baseline parts only with one).
std::string report_json(const report& candidate, const report* baseline);
// The readable table: per queue, then per agent; with a baseline, both and the difference.
std::string report_text(const report& candidate, const report* baseline);

}  // namespace ticketd::simulate
