#include "daemon/service/workspaces.hpp"

namespace ticketd::daemon {

std::shared_ptr<const config::config> served_config(const config::config& main,
                                                    const config::config& file) {
  auto cfg = std::make_shared<config::config>(file);
  cfg->server = main.server;
  cfg->redis = main.redis;
  // Tokens are the main file's alone (checked before a request's workspace is known): a copy
  // per workspace would cost a platform with a token per tenant its memory.
  cfg->auth = {};
  cfg->events = main.events;
  cfg->workspaces_dir.clear();
  cfg->workspaces.clear();
  return cfg;
}

workspace::workspace(std::shared_ptr<const runtime> rt, std::shared_ptr<workspace_metrics> m)
    : name_(rt->cfg->workspace), runtime_(std::move(rt)), metrics_(std::move(m)) {}

workspace::~workspace() = default;

void workspace::ensure_tail(const std::function<std::unique_ptr<event_tail>(workspace&)>& make) {
  const std::lock_guard lock(tail_mutex_);
  if (tail_ || tail_stopped_) return;
  tail_ = make(*this);
  tail_->start();
}

bool workspace::has_tail() {
  const std::lock_guard lock(tail_mutex_);
  return tail_ != nullptr;
}

void workspace::retry_tail() {
  const std::lock_guard lock(tail_mutex_);
  if (tail_) tail_->retry_now();
}

void workspace::stop_tail() {
  const std::lock_guard lock(tail_mutex_);
  tail_stopped_ = true;
  if (tail_) tail_->stop();
}

void workspace::retire() {
  retired_.store(true, std::memory_order_release);
  stop_tail();
}

void workspace::release_tail() {
  const std::lock_guard lock(tail_mutex_);
  tail_stopped_ = true;
  tail_.reset();
}

workspace_set::workspace_set(list all) { set(std::move(all)); }

std::shared_ptr<const workspace_set::state> workspace_set::make_state(list all) {
  auto s = std::make_shared<state>();
  s->all = std::move(all);
  for (const auto& w : s->all) s->by_name.emplace(w->name(), w);
  return s;
}

std::shared_ptr<workspace> workspace_set::main() const {
  return state_.load(std::memory_order_acquire)->all.front();
}

std::shared_ptr<workspace> workspace_set::find(std::string_view name) const {
  const auto s = state_.load(std::memory_order_acquire);
  const auto it = s->by_name.find(name);
  return it == s->by_name.end() ? nullptr : it->second;
}

workspace_set::resolved workspace_set::resolve(std::string_view name) const {
  const auto s = state_.load(std::memory_order_acquire);
  const auto& main = s->all.front();
  if (name.empty()) return {main, main};
  const auto it = s->by_name.find(name);
  return {main, it == s->by_name.end() ? nullptr : it->second};
}

std::shared_ptr<const workspace_set::list> workspace_set::all() const {
  auto s = state_.load(std::memory_order_acquire);
  return {s, &s->all};
}

std::size_t workspace_set::size() const {
  return state_.load(std::memory_order_acquire)->all.size();
}

void workspace_set::set(list all) {
  state_.store(make_state(std::move(all)), std::memory_order_release);
}

}  // namespace ticketd::daemon
