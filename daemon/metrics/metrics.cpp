#include "daemon/metrics/metrics.hpp"

#include "daemon/common/build_info.hpp"

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include <dlfcn.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace ticketd::daemon {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

const Histogram::BucketBoundaries latency_buckets{
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};

constexpr std::array<int, 18> known_statuses{200, 201, 204, 400, 401, 403, 404, 405, 409,
                                             412, 413, 417, 422, 431, 500, 503, 0,   0};

std::size_t status_index(int status) {
  for (std::size_t i = 0; i < known_statuses.size(); ++i) {
    if (known_statuses[i] == status) return i;
  }
  return known_statuses.size() - 1;  // "other"
}

constexpr std::array<const char*, 5> assignment_modes{"pull", "push", "return", "reassign",
                                                      "accept"};
constexpr std::array<const char*, 5> offer_outcomes{"made", "accepted", "rejected", "timeout",
                                                    "withdrawn"};

const Histogram::BucketBoundaries& wait_buckets() {
  static const Histogram::BucketBoundaries buckets{1,   5,   15,   30,   60,    120,
                                                   300, 600, 1800, 3600, 14400, 86400};
  return buckets;
}

constexpr std::size_t trim_above_bytes = 1024 * 1024;

// Gives the allocator's free pages back to the system. The daemon allocates through jemalloc
// (daemon/CMakeLists.txt), whose pages go back through mallctl; it is looked up at run time, so
// that a process without it (the tests, the sanitizer builds) trims glibc's heap instead.
void release_free_memory() {
  using mallctl_fn = int (*)(const char*, void*, std::size_t*, void*, std::size_t);
  static const auto mallctl = reinterpret_cast<mallctl_fn>(::dlsym(RTLD_DEFAULT, "mallctl"));
  if (mallctl == nullptr) {
    ::malloc_trim(0);
    return;
  }
  // 4096 is MALLCTL_ARENAS_ALL: every arena.
  mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
}

// The child of `family` found by `key` in `cache`, made with the labels `make_labels()` gives
// on first use only (Family::Add locks and hashes every label on each call).
template <class MakeLabels>
Counter& cached_child(std::mutex& mutex, std::map<std::string, Counter*, std::less<>>& cache,
                      Family<Counter>& family, MakeLabels&& make_labels, std::string_view key) {
  std::lock_guard lock(mutex);
  if (auto it = cache.find(key); it != cache.end()) return *it->second;
  Counter* c = &family.Add(make_labels());
  cache.emplace(std::string{key}, c);
  return *c;
}

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

struct metrics::impl {
  // A registry per family: a scrape copies and writes one family at a time, so with thousands of
  // workspaces its memory peaks at one family's copy, not all of them.
  std::vector<std::shared_ptr<prometheus::Registry>> registries;
  std::atomic<std::size_t> last_scrape_bytes{0};
  prometheus::Registry& next_registry() {
    return *registries.emplace_back(std::make_shared<prometheus::Registry>());
  }

  Family<Counter>& counter(const char* name, const char* help) {
    return prometheus::BuildCounter().Name(name).Help(help).Register(next_registry());
  }
  Family<Gauge>& gauge(const char* name, const char* help) {
    return prometheus::BuildGauge().Name(name).Help(help).Register(next_registry());
  }
  Family<Histogram>& histogram(const char* name, const char* help) {
    return prometheus::BuildHistogram().Name(name).Help(help).Register(next_registry());
  }

  Family<Counter>& requests =
      counter("ticketd_http_requests_total", "HTTP requests served, by route and status code");
  Family<Histogram>& request_seconds =
      histogram("ticketd_http_request_duration_seconds",
                "Time from a request's last byte to its response, by route");
  Family<Histogram>& redis_seconds = histogram("ticketd_redis_round_trip_seconds",
                                               "Time from sending a Redis command to its reply");
  Family<Counter>& redis_errors =
      counter("ticketd_redis_errors_total", "Redis requests that failed, by kind");
  Family<Gauge>& redis_up =
      gauge("ticketd_redis_connections_up", "Redis connections of this daemon that are ready");
  Family<Counter>& transitions = counter("ticketd_ticket_transitions_total",
                                         "Ticket operations applied by this daemon, by action");
  Family<Counter>& enqueues =
      counter("ticketd_tickets_enqueued_total", "Tickets that entered a queue through this daemon");
  Family<Counter>& assignments = counter("ticketd_assignments_total",
                                         "Tickets assigned to agents through this daemon, by mode");
  Family<Counter>& offers = counter("ticketd_offers_total", "Offers of pushed tickets, by outcome");
  Family<Counter>& overflows =
      counter("ticketd_overflows_total", "Tickets that overflowed to another queue");
  Family<Counter>& escalations = counter("ticketd_escalations_total", "Tickets escalated");
  Family<Histogram>& wait_seconds = histogram(
      "ticketd_queue_wait_seconds", "Time from a ticket entering its queue to an agent getting it");
  Family<Gauge>& connected =
      gauge("ticketd_agent_connections", "Agent WebSocket connections open on this daemon");
  Family<Counter>& events = counter("ticketd_events_delivered_total",
                                    "Events sent to agent connections and event feeds, by result");
  Family<Counter>& timers =
      counter("ticketd_timers_fired_total", "Lifecycle timers fired by this daemon");
  Family<Counter>& sla_warnings = counter("ticketd_sla_warnings_total",
                                          "SLA warnings fired by this daemon, by queue and target");
  Family<Counter>& sla_breaches = counter("ticketd_sla_breaches_total",
                                          "SLA breaches fired by this daemon, by queue and target");
  Family<Counter>& followups = counter("ticketd_followups_due_total",
                                       "Follow-ups that fell due (tickets back to their agent)");
  Family<Counter>& auto_resolves =
      counter("ticketd_auto_resolves_total", "Tickets resolved by their clock, by reason");
  Family<Counter>& auto_closes =
      counter("ticketd_auto_closes_total", "Resolved tickets closed by their clock");
  Family<Counter>& reloads =
      counter("ticketd_config_reloads_total", "Configuration reloads, by result");
  Family<Gauge>& in_flight =
      gauge("ticketd_http_requests_in_flight",
            "HTTP requests read and still being handled (the response not yet computed)");
  Family<Gauge>& queue_depth =
      gauge("ticketd_queue_depth", "Tickets waiting in a queue (shared state)");
  Family<Gauge>& queue_oldest = gauge("ticketd_queue_oldest_wait_seconds",
                                      "How long the oldest waiting ticket of a queue has waited");
  Family<Gauge>& queue_available =
      gauge("ticketd_queue_agents_available", "Online agents of a queue with free capacity");
  Family<Gauge>& agents = gauge("ticketd_agents", "Agents by status (shared state)");
  Family<Gauge>& queue_units_used = gauge("ticketd_queue_capacity_units_used",
                                          "Capacity units in use by a queue's online agents");
  Family<Gauge>& queue_units_available =
      gauge("ticketd_queue_capacity_units_available",
            "Capacity units left to a queue's online agents (channels configured)");
  Family<Gauge>& channel_agents = gauge(
      "ticketd_channel_agents", "Agents by their presence on a channel (channels configured)");
  Family<Gauge>& wrap_ups = gauge("ticketd_wrap_ups", "Wrap-ups running, by channel");
  Family<Gauge>& queue_at_risk =
      gauge("ticketd_queue_sla_at_risk",
            "Waiting tickets whose next due time falls before the queue's expected wait");
  Family<Gauge>& queue_expected_wait =
      gauge("ticketd_queue_expected_wait_seconds",
            "A queue's depth over the rate tickets left it in the last minutes");
  Family<Counter>& returns =
      counter("ticketd_returns_total", "Assigned tickets given back by an absent agent, by reason");
  Family<Counter>& missed_offers =
      counter("ticketd_missed_offers_total",
              "Offer timeouts counted toward agents.missed_offers_away, and the agents set away");
  Family<Gauge>& build =
      gauge("ticketd_build_info", "Build of this daemon: its version and source revision");
  Family<Counter>& task_failures =
      counter("ticketd_task_failures_total",
              "Long-lived internal tasks that failed (the daemon then stops to be restarted)");
  Family<Gauge>& scrape_redis =
      gauge("ticketd_scrape_redis_ok", "1 when this scrape read the shared state from Redis");
  // The process, as the Prometheus client libraries of other languages report it.
  Family<Counter>& process_cpu =
      counter("process_cpu_seconds_total", "User and system CPU time spent, in seconds");
  Family<Gauge>& process_resident =
      gauge("process_resident_memory_bytes", "Resident memory size in bytes");
  Family<Gauge>& process_virtual =
      gauge("process_virtual_memory_bytes", "Virtual memory size in bytes");
  Family<Gauge>& process_fds = gauge("process_open_fds", "Open file descriptors");
  Family<Gauge>& process_max_fds = gauge("process_max_fds", "The limit of open file descriptors");
  Family<Gauge>& process_start =
      gauge("process_start_time_seconds", "Start time of the process since the epoch, in seconds");

  // Cached children: Family::Add takes a lock and hashes labels on every call.
  std::array<std::array<std::atomic<Counter*>, known_statuses.size()>, api::route_count>
      request_counters{};
  std::array<Histogram*, api::route_count> request_histograms{};
  Histogram* redis_histogram = nullptr;
  std::array<Counter*, 8> redis_error_counters{};
  Gauge* up_gauge = nullptr;

  std::mutex labelled_mutex;
  std::map<std::string, Counter*, std::less<>> task_failure_counters;
  std::mutex scrape_mutex;
  std::mutex workspaces_mutex;
  std::map<std::string, std::shared_ptr<workspace_metrics>, std::less<>> workspaces;

  // The process gauges from /proc (Linux), refreshed at every scrape.
  void update_process() {
    std::lock_guard lock(scrape_mutex);
    const auto stat = self_stat();
    if (stat.valid) {
      const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
      const double cpu = static_cast<double>(stat.utime + stat.stime) / ticks;
      auto& counted = process_cpu.Add({});
      if (cpu > counted.Value()) counted.Increment(cpu - counted.Value());
      process_virtual.Add({}).Set(static_cast<double>(stat.vsize));
      process_resident.Add({}).Set(static_cast<double>(stat.rss) *
                                   static_cast<double>(::sysconf(_SC_PAGESIZE)));
    }
    std::error_code ec;
    std::size_t fds = 0;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
         it.increment(ec)) {
      ++fds;
    }
    if (!ec) process_fds.Add({}).Set(static_cast<double>(fds));
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
      process_max_fds.Add({}).Set(static_cast<double>(limit.rlim_cur));
    }
  }

  struct proc_stat {
    bool valid = false;
    unsigned long long utime = 0, stime = 0, starttime = 0, vsize = 0;
    long long rss = 0;
  };

  // /proc/self/stat: the fields after the command name (which may hold spaces), by position.
  static proc_stat self_stat() {
    proc_stat out;
    std::ifstream in("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    if (close == std::string::npos) return out;
    std::istringstream fields(text.substr(close + 2));
    std::string skip;
    // Fields 3 to 13, then utime (14), stime (15), 16-21, starttime (22), vsize (23), rss (24).
    for (int i = 3; i <= 13; ++i) fields >> skip;
    fields >> out.utime >> out.stime;
    for (int i = 16; i <= 21; ++i) fields >> skip;
    fields >> out.starttime >> out.vsize >> out.rss;
    out.valid = static_cast<bool>(fields);
    return out;
  }

  // Boot time plus the process's start in clock ticks after boot.
  static double process_start_seconds() {
    const auto stat = self_stat();
    std::ifstream in("/proc/stat");
    std::string key;
    double boot = 0;
    while (in >> key) {
      if (key == "btime") {
        in >> boot;
        break;
      }
    }
    if (!stat.valid || boot == 0) return 0;
    return boot + static_cast<double>(stat.starttime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }

  impl() {
    for (std::size_t r = 0; r < api::route_count; ++r) {
      request_histograms[r] = &request_seconds.Add(
          {{"route", std::string{api::route_label(static_cast<api::route_id>(r))}}},
          latency_buckets);
    }
    redis_histogram = &redis_seconds.Add({}, latency_buckets);
    constexpr std::array<const char*, 8> error_kinds{"none",       "unavailable", "timeout",
                                                     "overloaded", "protocol",    "dropped",
                                                     "expired",    "no_replicas"};
    for (std::size_t i = 1; i < error_kinds.size(); ++i) {
      redis_error_counters[i] = &redis_errors.Add({{"kind", error_kinds[i]}});
    }
    // Both results exist from the start, so increase() sees a first failed reload.
    reloads.Add({{"result", "success"}});
    reloads.Add({{"result", "failure"}});
    up_gauge = &redis_up.Add({});
    build.Add({{"version", std::string{build_version}}, {"revision", std::string{build_revision}}})
        .Set(1);
    scrape_redis.Add({}).Set(0);
    process_start.Add({}).Set(process_start_seconds());
    process_cpu.Add({});
  }

  Counter& labelled(std::map<std::string, Counter*, std::less<>>& cache, Family<Counter>& family,
                    const char* label, std::string_view value) {
    return cached_child(
        labelled_mutex, cache, family,
        [&] {
          return prometheus::Labels{{label, std::string{value}}};
        },
        value);
  }
};

metrics::metrics() : impl_(std::make_unique<impl>()) {}
metrics::~metrics() = default;

void metrics::http_request(api::route_id route, int status, std::chrono::nanoseconds elapsed) {
  const auto r = static_cast<std::size_t>(route);
  const auto s = status_index(status);
  auto& slot = impl_->request_counters[r][s];
  Counter* c = slot.load(std::memory_order_acquire);
  if (c == nullptr) {
    const std::string code = known_statuses[s] != 0 ? std::to_string(known_statuses[s]) : "other";
    c = &impl_->requests.Add({{"route", std::string{api::route_label(route)}}, {"code", code}});
    slot.store(c, std::memory_order_release);
  }
  c->Increment();
  impl_->request_histograms[r]->Observe(seconds(elapsed));
}

void metrics::task_failed(std::string_view task) {
  impl_->labelled(impl_->task_failure_counters, impl_->task_failures, "task", task).Increment();
}

void metrics::config_reload(bool ok) {
  impl_->reloads.Add({{"result", ok ? "success" : "failure"}}).Increment();
}

void metrics::requests_in_flight(std::size_t n) {
  impl_->in_flight.Add({}).Set(static_cast<double>(n));
}

void metrics::scrape_read(bool ok) { impl_->scrape_redis.Add({}).Set(ok ? 1 : 0); }

std::shared_ptr<workspace_metrics> metrics::workspace(const std::string& name) {
  std::lock_guard lock(impl_->workspaces_mutex);
  auto& slot = impl_->workspaces[name];
  if (!slot) slot = std::make_shared<workspace_metrics>(*impl_, name);
  return slot;
}

void metrics::workspace_removed(const std::string& name) {
  std::shared_ptr<workspace_metrics> m;
  {
    std::lock_guard lock(impl_->workspaces_mutex);
    if (auto it = impl_->workspaces.find(name); it != impl_->workspaces.end()) m = it->second;
  }
  if (m) m->clear_shared_state();
}

std::string metrics::render() {
  impl_->update_process();
  prometheus::TextSerializer serializer;
  std::string text;
  // The last scrape's size and a little more: the text grows without being copied as it does.
  text.reserve(impl_->last_scrape_bytes + impl_->last_scrape_bytes / 8);
  for (const auto& registry : impl_->registries) text += serializer.Serialize(registry->Collect());
  impl_->last_scrape_bytes = text.size();
  // The copy of every series a scrape makes goes back to the system at once: with thousands of
  // workspaces it is tens of megabytes the allocator would otherwise keep.
  if (text.size() > trim_above_bytes) release_free_memory();
  return text;
}

void metrics::round_trip(std::chrono::nanoseconds elapsed) {
  impl_->redis_histogram->Observe(seconds(elapsed));
}

void metrics::failed(redis_errc why) {
  const auto i = static_cast<std::size_t>(why);
  if (i < impl_->redis_error_counters.size() && impl_->redis_error_counters[i] != nullptr) {
    impl_->redis_error_counters[i]->Increment();
  }
}

void metrics::connection_state(bool up) { impl_->up_gauge->Increment(up ? 1.0 : -1.0); }

struct workspace_metrics::impl {
  impl(metrics::impl& families, std::string ws) : f(families), name(std::move(ws)) {}

  metrics::impl& f;
  std::string name;

  prometheus::Labels labels(
      std::initializer_list<std::pair<const std::string, std::string>> more = {}) const {
    prometheus::Labels out(more);
    out.emplace("workspace", name);
    return out;
  }

  // The label a child has beside `workspace` (none: name null).
  struct extra_label {
    const char* name = nullptr;
    std::string_view value;
  };

  // A child made on first use, its labels built then only: Family::Add gives the same one for
  // the same labels, so a race only makes it twice.
  template <class T, class... Extra>
  T& child(std::atomic<T*>& slot, Family<T>& family, extra_label more, Extra&&... extra) {
    T* p = slot.load(std::memory_order_acquire);
    if (p == nullptr) {
      auto l = labels();
      if (more.name != nullptr) l.emplace(more.name, std::string{more.value});
      p = &family.Add(l, std::forward<Extra>(extra)...);
      slot.store(p, std::memory_order_release);
    }
    return *p;
  }

  Counter& labelled(std::map<std::string, Counter*, std::less<>>& cache, Family<Counter>& family,
                    const char* label, std::string_view value) {
    return cached_child(
        labelled_mutex, cache, family,
        [&] {
          return labels({{label, std::string{value}}});
        },
        value);
  }

  void remove_queue_gauges(const std::string& queue) {
    const auto l = labels({{"queue", queue}});
    for (auto* family : {&f.queue_depth, &f.queue_oldest, &f.queue_available, &f.queue_units_used,
                         &f.queue_units_available, &f.queue_at_risk, &f.queue_expected_wait}) {
      family->Remove(&family->Add(l));
    }
  }

  std::array<std::atomic<Counter*>, 5> assignments{};
  std::array<std::atomic<Counter*>, 5> offers{};
  std::atomic<Counter*> timers{};
  std::atomic<Counter*> overflows{};
  std::atomic<Counter*> escalations{};
  std::atomic<Histogram*> waits{};
  std::atomic<Gauge*> connected{};
  std::atomic<Counter*> delivered{};
  std::atomic<Counter*> dropped{};

  std::mutex labelled_mutex;
  std::map<std::string, Counter*, std::less<>> transitions;
  std::map<std::string, Counter*, std::less<>> enqueues;
  std::mutex shared_mutex;
  std::set<std::string, std::less<>> shared_queues;  // queues with gauges (under shared_mutex)
};

workspace_metrics::workspace_metrics(metrics::impl& families, std::string name)
    : impl_(std::make_unique<impl>(families, std::move(name))) {}

workspace_metrics::~workspace_metrics() = default;

void workspace_metrics::create_series() {
  auto& f = impl_->f;
  for (std::size_t i = 0; i < assignment_modes.size(); ++i) {
    impl_->child(impl_->assignments[i], f.assignments, {"mode", assignment_modes[i]});
  }
  for (std::size_t i = 0; i < offer_outcomes.size(); ++i) {
    impl_->child(impl_->offers[i], f.offers, {"outcome", offer_outcomes[i]});
  }
  impl_->child(impl_->timers, f.timers, {});
  impl_->child(impl_->overflows, f.overflows, {});
  impl_->child(impl_->connected, f.connected, {});
  impl_->child(impl_->escalations, f.escalations, {});
  impl_->child(impl_->delivered, f.events, {"result", "delivered"});
  impl_->child(impl_->dropped, f.events, {"result", "dropped"});
  impl_->child(impl_->waits, f.wait_seconds, {}, wait_buckets());
}

void workspace_metrics::transition(std::string_view action) {
  impl_->labelled(impl_->transitions, impl_->f.transitions, "action", action).Increment();
}

void workspace_metrics::enqueued(std::string_view queue) {
  impl_->labelled(impl_->enqueues, impl_->f.enqueues, "queue", queue).Increment();
}

void workspace_metrics::assigned(assignment_mode mode) {
  const auto i = static_cast<std::size_t>(mode);
  impl_->child(impl_->assignments[i], impl_->f.assignments, {"mode", assignment_modes[i]})
      .Increment();
}

void workspace_metrics::timers_fired(std::int64_t count) {
  impl_->child(impl_->timers, impl_->f.timers, {}).Increment(static_cast<double>(count));
}

void workspace_metrics::offer(offer_outcome outcome, std::int64_t count) {
  const auto i = static_cast<std::size_t>(outcome);
  impl_->child(impl_->offers[i], impl_->f.offers, {"outcome", offer_outcomes[i]})
      .Increment(static_cast<double>(count));
}

void workspace_metrics::overflowed(std::int64_t count) {
  impl_->child(impl_->overflows, impl_->f.overflows, {}).Increment(static_cast<double>(count));
}

void workspace_metrics::escalated() {
  impl_->child(impl_->escalations, impl_->f.escalations, {}).Increment();
}

void workspace_metrics::timer_fired(const routing::timer_note& note) {
  using kind = routing::timer_note::kind;
  auto& f = impl_->f;
  const auto add = [&](Family<Counter>& family,
                       std::initializer_list<std::pair<const std::string, std::string>> l) {
    family.Add(impl_->labels(l)).Increment();
  };
  switch (note.what) {
    case kind::sla_warning:
      add(f.sla_warnings, {{"queue", note.queue}, {"target", note.label}});
      break;
    case kind::sla_breached:
      add(f.sla_breaches, {{"queue", note.queue}, {"target", note.label}});
      break;
    case kind::followup:
      add(f.followups, {});
      break;
    case kind::resolved:
      add(f.auto_resolves, {{"reason", note.label}});
      break;
    case kind::closed:
      add(f.auto_closes, {});
      break;
    case kind::returned:
      add(f.returns, {{"reason", note.label}});
      break;
    case kind::missed_offer:
      add(f.missed_offers, {{"outcome", "missed"}});
      break;
    case kind::missed_offers_away:
      add(f.missed_offers, {{"outcome", "set_away"}});
      break;
  }
}

void workspace_metrics::waited(std::int64_t queued_at_ms, std::int64_t now_ms) {
  impl_->child(impl_->waits, impl_->f.wait_seconds, {}, wait_buckets())
      .Observe(static_cast<double>(std::max<std::int64_t>(0, now_ms - queued_at_ms)) / 1000.0);
}

void workspace_metrics::agents_connected(std::int64_t delta) {
  impl_->child(impl_->connected, impl_->f.connected, {}).Increment(static_cast<double>(delta));
}

void workspace_metrics::event_delivered(bool dropped) {
  auto& slot = dropped ? impl_->dropped : impl_->delivered;
  impl_->child(slot, impl_->f.events, {"result", dropped ? "dropped" : "delivered"}).Increment();
}

void workspace_metrics::update_shared_state(const routing::queue_stats& stats,
                                            std::int64_t now_ms) {
  auto& f = impl_->f;
  std::lock_guard lock(impl_->shared_mutex);
  std::set<std::string, std::less<>> seen;
  for (const auto& q : stats.queues) {
    const auto labels = impl_->labels({{"queue", q.name}});
    f.queue_depth.Add(labels).Set(static_cast<double>(q.depth));
    const double oldest =
        q.oldest_enqueued_s
            ? std::max<double>(0, static_cast<double>(now_ms / 1000 - *q.oldest_enqueued_s))
            : 0.0;
    f.queue_oldest.Add(labels).Set(oldest);
    f.queue_available.Add(labels).Set(static_cast<double>(q.agents_available));
    f.queue_units_used.Add(labels).Set(static_cast<double>(q.units_used));
    f.queue_units_available.Add(labels).Set(
        static_cast<double>(std::max<std::int64_t>(0, q.units_capacity - q.units_used)));
    f.queue_at_risk.Add(labels).Set(static_cast<double>(q.at_risk));
    // Unknown while nothing left the queue lately: the series goes rather than lie.
    if (q.expected_wait_s) {
      f.queue_expected_wait.Add(labels).Set(static_cast<double>(*q.expected_wait_s));
    } else {
      f.queue_expected_wait.Remove(&f.queue_expected_wait.Add(labels));
    }
    seen.insert(q.name);
  }
  for (auto it = impl_->shared_queues.begin(); it != impl_->shared_queues.end();) {
    if (seen.contains(*it)) {
      ++it;
      continue;
    }
    impl_->remove_queue_gauges(*it);
    it = impl_->shared_queues.erase(it);
  }
  impl_->shared_queues.insert(seen.begin(), seen.end());
  f.agents.Add(impl_->labels({{"status", "online"}})).Set(static_cast<double>(stats.agents_online));
  f.agents.Add(impl_->labels({{"status", "away"}})).Set(static_cast<double>(stats.agents_away));
  f.agents.Add(impl_->labels({{"status", "offline"}}))
      .Set(static_cast<double>(stats.agents_offline));
  for (const auto& ch : stats.channels) {
    const auto set = [&](const char* status, std::int64_t n) {
      f.channel_agents.Add(impl_->labels({{"channel", ch.name}, {"status", status}}))
          .Set(static_cast<double>(n));
    };
    set("online", ch.online);
    set("away", ch.away);
    set("offline", ch.offline);
    f.wrap_ups.Add(impl_->labels({{"channel", ch.name}})).Set(static_cast<double>(ch.wrap_ups));
  }
}

void workspace_metrics::clear_shared_state() {
  auto& f = impl_->f;
  std::lock_guard lock(impl_->shared_mutex);
  for (const auto& name : impl_->shared_queues) impl_->remove_queue_gauges(name);
  impl_->shared_queues.clear();
  for (const char* status : {"online", "away", "offline"}) {
    f.agents.Remove(&f.agents.Add(impl_->labels({{"status", status}})));
  }
}

void record_ticket(workspace_metrics& m, const routing::ticket& t, assignment_mode when_assigned) {
  if (t.status == routing::ticket_status::queued && t.personal_queue.empty()) m.enqueued(t.queue);
  if (t.status == routing::ticket_status::assigned) m.assigned(when_assigned);
}

void record_action(workspace_metrics& m, routing::ticket_action a, const routing::ticket_result& r,
                   std::int64_t now_ms) {
  using routing::ticket_action;
  m.transition(routing::to_string(a));
  const assignment_mode mode = a == ticket_action::reassign ? assignment_mode::reassign
                               : a == ticket_action::accept ? assignment_mode::accepted
                                                            : assignment_mode::returned;
  record_ticket(m, r.value, mode);
  if (a == ticket_action::accept) m.offer(offer_outcome::accepted);
  if (a == ticket_action::reject) m.offer(offer_outcome::rejected);
  if (a == ticket_action::escalate) m.escalated();
  record_pushes(m, r.assignments, now_ms);
}

void record_pushes(workspace_metrics& m, std::span<const routing::assignment> pushed,
                   std::int64_t now_ms) {
  for (const auto& a : pushed) {
    if (a.status == routing::ticket_status::offered) {
      m.offer(offer_outcome::made);
    } else {
      m.assigned(assignment_mode::push);
    }
    if (a.queued_at) m.waited(*a.queued_at, now_ms);
  }
}

}  // namespace ticketd::daemon
