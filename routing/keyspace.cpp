#include "routing/keyspace.hpp"

#include <array>

namespace ticketd::routing {
namespace {

constexpr std::array<std::pair<key_part, std::string_view>, 20> parts{{
    {key_part::ticket, "t:"},
    {key_part::queue, "q:"},
    {key_part::queue_age, "qo:"},
    {key_part::queue_age_count, "qc:"},
    {key_part::queue_agents, "qa:"},
    {key_part::personal_queue, "pq:"},
    {key_part::agent, "a:"},
    {key_part::held, "h:"},
    {key_part::agents, "agents"},
    {key_part::timers, "timers"},
    {key_part::events, "events"},
    {key_part::settings, "settings"},
    {key_part::config, "cfg:"},
    {key_part::idempotency, "i:"},
    {key_part::forced, "forced"},
    {key_part::queue_required, "qr:"},
    {key_part::queue_sets, "qg:"},
    {key_part::customer, "cu:"},
    {key_part::queue_departures, "qd:"},
    {key_part::stream_token, "st:"},
}};

std::string_view suffix(key_part part) { return parts[static_cast<std::size_t>(part)].second; }

}  // namespace

std::span<const std::pair<key_part, std::string_view>> key_parts() { return parts; }

std::uint16_t key_slot(std::string_view key) {
  // Only the part between the first '{' and the next '}' counts, when it is not empty.
  if (const auto open = key.find('{'); open != std::string_view::npos) {
    const auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  std::uint16_t crc = 0;  // CRC16/XMODEM: polynomial 0x1021, initial 0, no reflection
  for (const char c : key) {
    crc = static_cast<std::uint16_t>(crc ^ (static_cast<std::uint8_t>(c) << 8));
    for (int bit = 0; bit < 8; ++bit) {
      crc = static_cast<std::uint16_t>((crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
  }
  return static_cast<std::uint16_t>(crc & 16383);
}

keyspace::keyspace(std::string_view workspace) {
  prefix_.reserve(workspace.size() + 11);
  prefix_.append("ticketd:{").append(workspace).append("}:");
  slot_ = key_slot(prefix_);
}

std::string keyspace::key(key_part part) const {
  std::string k = prefix_;
  k.append(suffix(part));
  return k;
}

std::string keyspace::key(key_part part, std::string_view id) const {
  std::string k = prefix_;
  k.append(suffix(part)).append(id);
  return k;
}

}  // namespace ticketd::routing
