// workgen: a synthetic day for `ticketd simulate` (bench/README.md "Simulation"): agents in
// four overlapping shifts (a third on billing, the rest on general, one in ten also on vip),
// tickets arriving over the day (twice as many in working hours as at night) on email and chat, a
// third of them with a customer reply later, JSON lines in time order on stdout. Seeded: the same
// arguments write the same file.
//
//   workgen [--tickets 50000] [--agents 100] [--seed 1] [--start 2026-11-23T00:00:00Z]

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct line {
  std::int64_t at;  // ms from the start
  std::uint64_t order;
  std::string text;  // the JSON after "at"
};

std::string rfc3339(std::int64_t epoch_ms) {
  const std::time_t s = epoch_ms / 1000;
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(epoch_ms % 1000));
  return out;
}

// 53 random bits as a fraction in [0, 1): the same on every platform.
double fraction(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

}  // namespace

int main(int argc, char** argv) {
  long tickets = 50'000, agents = 100;
  std::uint64_t seed = 1;
  std::int64_t start = 1795392000000;  // 2026-11-23T00:00:00Z, a Monday
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view a = argv[i];
    if (a == "--tickets") {
      tickets = std::atol(argv[i + 1]);
    } else if (a == "--agents") {
      agents = std::atol(argv[i + 1]);
    } else if (a == "--seed") {
      seed = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (a == "--start") {
      std::tm tm{};
      if (strptime(argv[i + 1], "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return 2;
      start = static_cast<std::int64_t>(timegm(&tm)) * 1000;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  constexpr std::int64_t hour = 3'600'000, day = 24 * hour;
  std::mt19937_64 rng(seed);
  std::vector<line> out;
  std::uint64_t order = 0;
  auto add = [&](std::int64_t at, std::string text) {
    out.push_back({at, order++, std::move(text)});
  };
  add(0,
      R"("op": "handling", "channel": "email", "reply_after": 300, "resolve_after": 1800, "spread": 0.6)");
  add(0,
      R"("op": "handling", "channel": "chat", "reply_after": 90, "resolve_after": 300, "spread": 0.6)");
  // Shifts of 9 hours starting every 6: at any time one or two groups work.
  for (long a = 0; a < agents; ++a) {
    const std::string id = "agent-" + std::to_string(a);
    const std::int64_t begin = (a % 4) * 6 * hour;
    // A third of the agents work billing (pull) only, the rest general (push).
    std::string queues = a % 3 == 0 ? R"(["billing")" : R"(["general")";
    if (a % 10 == 0) queues += R"(, "vip")";
    queues += "]";
    const char* skills = a % 2 == 0 ? R"({"english": 3, "german": 2})" : R"({"english": 2})";
    add(begin, R"("op": "agent", "id": ")" + id + R"(", "queues": )" + queues + R"(, "skills": )" +
                   skills + R"(, "max_concurrent": 5)");
    add(std::min(begin + 9 * hour, day - 1),
        R"("op": "status", "agent": ")" + id + R"(", "status": "offline")");
  }
  for (long t = 0; t < tickets; ++t) {
    // Working hours (8-20) get two thirds of the day's tickets.
    std::int64_t at = fraction(rng) < 2.0 / 3
                          ? 8 * hour + static_cast<std::int64_t>(fraction(rng) * 12 * hour)
                          : static_cast<std::int64_t>(fraction(rng) * day);
    const std::string id = "T-" + std::to_string(t);
    const bool chat = fraction(rng) < 0.4;
    const double kind = fraction(rng);
    std::string body =
        R"("op": "create", "id": ")" + id + R"(", "channel": ")" + (chat ? "chat" : "email") + "\"";
    if (kind < 0.2) {
      body += R"(, "attributes": {"topic": "refund"})";
    } else if (kind < 0.25) {
      body += R"(, "queue": "vip", "priority": "urgent")";
    } else if (kind < 0.35) {
      body += R"(, "requires": [{"skill": "german", "level": 2, "relax_after": 600}])";
    }
    add(at, body);
    if (fraction(rng) < 1.0 / 3) {
      const std::int64_t later =
          at + 20 * 60'000 + static_cast<std::int64_t>(fraction(rng) * 3 * hour);
      add(std::min(later, day - 1), R"("op": "customer-reply", "ticket": ")" + id + "\"");
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const line& a, const line& b) {
    return a.at != b.at ? a.at < b.at : a.order < b.order;
  });
  std::string buf;
  for (const auto& l : out) {
    buf.clear();
    buf += R"({"at": ")" + rfc3339(start + l.at) + "\", " + l.text + "}\n";
    std::fwrite(buf.data(), 1, buf.size(), stdout);
  }
  return 0;
}
