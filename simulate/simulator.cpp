#include "simulate/simulator.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <queue>
#include <random>
#include <span>
#include <stdexcept>
#include <unordered_map>

#include "daemon/events/stream_event.hpp"
#include "routing/lua_library.hpp"
#include "routing/operation.hpp"

namespace ticketd::simulate {

namespace {

constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();
// Events read per round trip; a call writes far fewer.
constexpr int event_page = 10'000;
// A tick fires at most this many timers; more due at once take more ticks.
constexpr std::size_t tick_limit = 100;
// The stream is cut back to what was read every this many reads, so a long day stays small.
constexpr int trim_every = 256;

std::int64_t parse_ms(const std::string& text) {
  return static_cast<std::int64_t>(std::stod(text));
}

class simulation {
 public:
  simulation(sync_redis& redis, std::shared_ptr<const daemon::runtime> rt, const workload& w,
             const options& o)
      : redis_(redis),
        rt_(std::move(rt)),
        workload_(w),
        options_(o),
        handling_(o.handlings),
        rng_(o.seed),
        now_(w.ops.empty() ? 0 : w.ops.front().at),
        recorder_(now_, counts(config::status_kind::pending),
                  counts(config::status_kind::postponed)) {}

  report run() {
    prepare();
    std::size_t next_op = 0;
    for (;;) {
      const std::int64_t op_at = next_op < workload_.ops.size() ? workload_.ops[next_op].at : never;
      const std::int64_t action_at = actions_.empty() ? never : actions_.top().at;
      const bool work_left = op_at != never || action_at != never;
      if (!work_left && !work_ended_) {
        // The agents' time ends with their work; the timers may run on (below).
        work_ended_ = now_;
        recorder_.close_agents(now_);
      }
      // With the workload and the agents done, timers run up to --until, or else until every
      // SLA clock started is decided (met or breached), so that tickets left waiting count.
      const std::int64_t horizon = work_left ? never : options_.until.value_or(sla_horizon());
      const std::int64_t timer_at = next_timer_ && *next_timer_ <= horizon ? *next_timer_ : never;
      const std::int64_t at = std::min({timer_at, op_at, action_at});
      if (at == never) break;
      if (options_.stop != nullptr && *options_.stop != 0) throw interrupted{};
      now_ = std::max(now_, at);
      if (at == timer_at) {
        tick();
      } else if (at == op_at) {
        apply(workload_.ops[next_op++]);
      } else {
        const auto a = actions_.top();
        actions_.pop();
        act(a);
      }
      settle();
    }
    if (options_.until && *options_.until > now_) now_ = *options_.until;
    return recorder_.finish(now_);
  }

 private:
  struct action {
    std::int64_t at = 0;
    std::uint64_t seq = 0;
    bool resolve = false;  // else the reply
    std::string ticket;
    std::string agent;
    std::uint64_t generation = 0;
    std::int64_t resolve_after = 0;
  };
  struct later {
    bool operator()(const action& a, const action& b) const {
      return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
  };
  struct ticket_state {
    std::optional<handling> handle;
    std::string channel;
    std::vector<std::string> queues;  // the shared queues it waits in (or last waited in)
    std::uint64_t generation = 0;     // one per assignment: older actions are stale
  };
  struct agent_state {
    std::vector<std::string> pull_queues;
    bool online = false;
    bool full = false;
    std::int64_t last_assigned = 0;
  };

  // The latest SLA timer (`s|<ticket>`, one per ticket: its next warning or breach); now_ when
  // none is left. Read again only once reached, as firing one may arm the ticket's next stage.
  std::int64_t sla_horizon() {
    if (sla_horizon_ && *sla_horizon_ > now_) return *sla_horizon_;
    sla_horizon_ = now_;
    const auto all = redis_.command({"ZRANGE", timers_key_, "0", "-1", "WITHSCORES"});
    for (std::size_t i = 0; i + 1 < all.elements.size(); i += 2) {
      if (all.elements[i].str.starts_with("s|")) {
        sla_horizon_ = std::max(*sla_horizon_, parse_ms(all.elements[i + 1].str));
      }
    }
    return *sla_horizon_;
  }

  bool counts(config::status_kind s) const {
    const auto& c = rt_->cfg->agents.counted_statuses;
    return std::find(c.begin(), c.end(), s) != c.end();
  }

  void prepare() {
    redis_.command({"FLUSHALL"});
    auto loaded = redis_.command(
        {"FUNCTION", "LOAD", "REPLACE", std::string{routing::lua::library_source()}});
    if (loaded.is_error()) throw std::runtime_error("loading the functions: " + loaded.str);
    auto configured = send_one(routing::configure_call(rt_->plan.base(now_)));
    if (configured.is_error()) throw std::runtime_error("configuring: " + configured.str);
    settle();
  }

  routing::operation& drive(routing::operation& op) {
    while (!op.done()) op.receive(send(op.batch()));
    return op;
  }

  routing::resp_value send_one(const routing::command& cmd) {
    return std::move(send({&cmd, 1}).front());
  }

  // Sends `cmds` with, in the same round trip, the reads of what they did: the next timer and
  // the new events (kept for settle()). Returns the replies to `cmds`.
  std::vector<routing::resp_value> send(std::span<const routing::command> cmds) {
    std::vector<routing::command> all(cmds.begin(), cmds.end());
    all.push_back(
        std::move(routing::command{"ZRANGE"}.arg(timers_key_).arg("0").arg("0").arg("WITHSCORES")));
    all.push_back(std::move(routing::command{"XRANGE"}
                                .arg(events_key_)
                                .arg("(" + last_event_)
                                .arg("+")
                                .arg("COUNT")
                                .arg(event_page)));
    auto replies = redis_.run_all(all);
    auto events = std::move(replies.back());
    replies.pop_back();
    const auto& first = replies.back().elements;
    next_timer_.reset();
    if (first.size() >= 2) next_timer_ = parse_ms(first[1].str);
    replies.pop_back();
    more_events_ = events.elements.size() >= static_cast<std::size_t>(event_page);
    if (!events.elements.empty()) {
      last_event_ = events.elements.back().elements[0].str;
      for (auto& e : daemon::decode_entries(events)) unread_.push_back(std::move(e));
      if (++reads_ % trim_every == 0) redis_.command({"XTRIM", events_key_, "MINID", last_event_});
    }
    return replies;
  }

  void tick() {
    auto r = routing::decode_tick(send_one(routing::tick_call(rt_->plan.base(now_), tick_limit)));
    if (!r) throw std::runtime_error("tick failed: " + r.error().message);
    if (r->fired == 0 && next_timer_ && *next_timer_ <= now_) {
      throw std::runtime_error("a timer due at " + std::to_string(*next_timer_) + " does not fire");
    }
  }

  void refuse(const routing::error& e) {
    recorder_.refused(std::string{routing::code_name(e.code)});
  }

  void apply(const workload_op& op) {
    if (const auto* a = std::get_if<agent_op>(&op.what)) {
      auto cmd = rt_->plan.put_agent(a->id, a->request, now_);
      if (!cmd) return refuse(cmd.error());
      auto r = routing::decode_agent_reply(a->id, send_one(*cmd));
      if (!r) return refuse(r.error());
      auto& s = agents_[a->id];
      s.pull_queues.clear();
      for (const auto& q : r->value.queues) {
        const auto* cfg = rt_->cfg->find_queue(q);
        if (cfg != nullptr && cfg->mode == config::queue_mode::pull) s.pull_queues.push_back(q);
      }
      recorder_.agent_defined(a->id,
                              r->value.max_concurrent.value_or(rt_->cfg->agents.max_concurrent));
      s.online = r->value.status == routing::agent_status::online;
      pull(a->id, true);
    } else if (const auto* st = std::get_if<status_op>(&op.what)) {
      auto r = routing::decode_agent_reply(
          st->agent, send_one(routing::agent_status_call(rt_->plan.base(now_), st->agent,
                                                         st->request.status, st->request.channel)));
      // Coming online pulls when its agent.status is answered (react).
      if (!r) return refuse(r.error());
    } else if (const auto* c = std::get_if<create_op>(&op.what)) {
      auto op_create = routing::create_operation(rt_->plan, c->request, now_);
      auto r = routing::create_result_of(drive(op_create));
      if (!r) return refuse(r.error());
      if (!r->created) return;  // a repeated line: the ticket is there already
      const auto& t = r->value;
      recorder_.arrived(t.id, t.queue, c->request.created_at.value_or(now_),
                        t.first_reply_due.has_value(), t.resolution_due.has_value());
      auto& s = tickets_[t.id];
      s.handle = c->handle;
      s.channel = c->request.channel;
      s.queues = {t.queue};
    } else if (const auto* cr = std::get_if<customer_reply_op>(&op.what)) {
      auto act = routing::action_operation(rt_->plan, routing::ticket_action::customer_reply,
                                           cr->ticket, std::nullopt, {}, now_);
      auto r = routing::ticket_result_of(drive(act));
      if (!r) return refuse(r.error());
      recorder_.customer_replied(cr->ticket, r->value.next_reply_due.has_value());
    } else if (const auto* h = std::get_if<handling_op>(&op.what)) {
      handling_[h->channel] = h->value;
    }
  }

  // A simulated agent's reply or resolve, unless the ticket moved on since it was planned.
  void act(const action& a) {
    const auto it = tickets_.find(a.ticket);
    if (it == tickets_.end() || it->second.generation != a.generation) return;
    routing::action_request body;
    body.agent = a.agent;
    const auto what = a.resolve ? routing::ticket_action::resolve : routing::ticket_action::reply;
    if (a.resolve) body.agent.clear();  // resolve takes no agent
    auto op = routing::action_operation(rt_->plan, what, a.ticket, std::nullopt, body, now_);
    auto r = routing::ticket_result_of(drive(op));
    if (!r || a.resolve) return;
    auto next = a;
    next.at = now_ + a.resolve_after;
    next.seq = ++seq_;
    next.resolve = true;
    actions_.push(std::move(next));
  }

  std::int64_t drawn(std::int64_t ms, double spread) {
    if (spread <= 0 || ms == 0) return ms;
    // 53 random bits as a fraction: the same on every platform for a given seed.
    const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
    return static_cast<std::int64_t>(static_cast<double>(ms) * (1 - spread + 2 * spread * u));
  }

  handling handling_for(const ticket_state& t) {
    if (t.handle) return *t.handle;
    auto it = handling_.find(t.channel.empty() ? std::string{"default"} : t.channel);
    if (it == handling_.end()) it = handling_.find("default");
    const handling h = it == handling_.end() ? built_in_handling : it->second;
    return {drawn(h.reply_after_ms, h.spread), drawn(h.resolve_after_ms, h.spread), 0};
  }

  // The agent takes what its pull queues offer while it has room; `freed`: it may have room now.
  void pull(const std::string& agent, bool freed) {
    const auto it = agents_.find(agent);
    if (it == agents_.end() || it->second.pull_queues.empty() || !it->second.online) return;
    if (freed) it->second.full = false;
    while (!it->second.full && take_next(agent, it->second)) {
    }
  }

  // One `next` for the agent: whether it got a ticket.
  bool take_next(const std::string& agent, agent_state& s) {
    auto op = routing::next_operation(rt_->plan, agent, now_);
    auto r = routing::next_result_of(drive(op));
    if (!r) {
      s.full = true;  // at capacity (or gone): until something frees it
      return false;
    }
    return r->ticket.has_value();
  }

  // Something waits in pull queue `queue`: the agents of it with room, the longest without work
  // first, pull until one gets a ticket.
  void wake(const std::string& queue) {
    std::vector<std::pair<std::int64_t, const std::string*>> idle;
    for (const auto& [id, s] : agents_) {
      if (!s.online || s.full) continue;
      if (std::find(s.pull_queues.begin(), s.pull_queues.end(), queue) != s.pull_queues.end()) {
        idle.emplace_back(s.last_assigned, &id);
      }
    }
    std::sort(idle.begin(), idle.end(), [](const auto& a, const auto& b) {
      return std::tie(a.first, *a.second) < std::tie(b.first, *b.second);
    });
    for (const auto& [since, id] : idle) {
      if (take_next(*id, agents_[*id])) return;
    }
  }

  void wake_if_pull(std::string_view queue) {
    const auto* cfg = rt_->cfg->find_queue(queue);
    if (cfg != nullptr && cfg->mode == config::queue_mode::pull) wake(std::string{queue});
  }

  void react(const event_view& e) {
    const auto type = e.type;
    const std::string ticket{e.field("ticket")};
    const std::string agent{e.field("agent")};
    if (type == "ticket.offered") {
      routing::action_request body;
      body.agent = agent;
      body.token = std::string{e.field("token")};
      auto op = routing::action_operation(rt_->plan, routing::ticket_action::accept, ticket,
                                          std::nullopt, body, now_);
      drive(op);
    } else if (type == "ticket.assigned") {
      auto& t = tickets_[ticket];
      const auto h = handling_for(t);
      action a{now_ + h.reply_after_ms, ++seq_, false, ticket, agent, ++t.generation,
               h.resolve_after_ms};
      actions_.push(std::move(a));
      agents_[agent].last_assigned = now_;
      if (auto from = e.field("from"); !from.empty()) pull(std::string{from}, true);
    } else if (type == "ticket.queued") {
      if (auto q = e.field("queue"); !q.empty()) {
        tickets_[ticket].queues = {std::string{q}};
        wake_if_pull(q);
      }
      if (!agent.empty() && e.field("via") == "release") pull(agent, true);
    } else if (type == "ticket.overflowed") {
      tickets_[ticket].queues.emplace_back(e.field("queue"));
      wake_if_pull(e.field("queue"));
    } else if (type == "ticket.relaxed") {
      if (const auto it = tickets_.find(ticket); it != tickets_.end()) {
        for (const auto& q : it->second.queues) wake_if_pull(q);
      }
    } else if (type == "ticket.returned") {
      pull(agent, true);
      tickets_[ticket].queues = {std::string{e.field("queue")}};
      wake_if_pull(e.field("queue"));
    } else if (type == "ticket.pending" || type == "ticket.resolved" || type == "agent.ready") {
      pull(agent, true);
    } else if (type == "ticket.closed" || type == "ticket.transferred" ||
               type == "ticket.escalated" || type == "ticket.deleted") {
      if (auto holder = e.field("holder"); !holder.empty()) pull(std::string{holder}, true);
    } else if (type == "agent.status") {
      auto& a = agents_[agent];
      if (e.field("channel").empty()) a.online = e.field("status") == "online";
      if (e.field("status") == "online") pull(agent, true);  // online, or on one more channel
    }
    // A ticket that moved on (queued again, returned, transferred, resolved...) drops what its
    // last holder planned for it; its agent's own reply (pending) and the clocks do not.
    if (type.starts_with("ticket.") && type != "ticket.assigned" && type != "ticket.pending" &&
        type != "ticket.followup_due" && type != "ticket.updated" && type != "ticket.relaxed" &&
        type != "ticket.overflowed") {
      if (const auto it = tickets_.find(ticket); it != tickets_.end()) ++it->second.generation;
    }
  }

  // Answers what the last calls wrote, in stream order: the recorder counts each event and the
  // simulated agents react (their calls write more, answered in turn).
  void settle() {
    for (;;) {
      if (unread_.empty() && more_events_) send({});
      if (unread_.empty()) return;
      const auto entry = std::move(unread_.front());
      unread_.pop_front();
      event_view e;
      e.type = entry.type;
      for (const auto& [name, value] : entry.fields) e.fields.emplace_back(name, value);
      recorder_.event(e);
      react(e);
    }
  }

  sync_redis& redis_;
  std::shared_ptr<const daemon::runtime> rt_;
  const workload& workload_;
  const options& options_;
  std::map<std::string, handling> handling_;
  std::mt19937_64 rng_;
  std::int64_t now_;
  recorder recorder_;
  std::priority_queue<action, std::vector<action>, later> actions_;
  std::uint64_t seq_ = 0;
  std::unordered_map<std::string, ticket_state> tickets_;
  std::map<std::string, agent_state> agents_;
  const std::string timers_key_ = rt_->keys.key(routing::key_part::timers);
  const std::string events_key_ = rt_->keys.key(routing::key_part::events);
  std::optional<std::int64_t> next_timer_;
  std::string last_event_ = "0-0";
  std::deque<daemon::stream_event> unread_;  // events read, not yet answered
  bool more_events_ = false;                 // the last read stopped at a full page
  std::uint64_t reads_ = 0;
  std::optional<std::int64_t> work_ended_;
  std::optional<std::int64_t> sla_horizon_;
};

}  // namespace

report run_simulation(sync_redis& redis, std::shared_ptr<const daemon::runtime> rt,
                      const workload& w, const options& o) {
  return simulation(redis, std::move(rt), w, o).run();
}

}  // namespace ticketd::simulate
