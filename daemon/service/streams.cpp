#include "daemon/service/streams.hpp"

#include <chrono>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/api/error_response.hpp"
#include "daemon/api/json_writer.hpp"
#include "daemon/api/requests.hpp"
#include "daemon/common/log.hpp"

namespace ticketd::daemon::api {

namespace asio = boost::asio;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

// How long an idle event feed waits before writing a comment line, so proxies and clients see
// the connection alive.
constexpr std::chrono::seconds keep_alive_interval{15};
// Events per read of the stream when an SSE client catches up.
constexpr std::size_t sse_page = 256;

std::string error_frame(std::string_view action, std::string_view ticket, const routing::error& e) {
  std::string out;
  json_writer w(out);
  w.begin_object().field("type", "error");
  if (!action.empty()) w.field("action", action);
  if (!ticket.empty()) w.field("ticket", ticket);
  w.key("error")
      .begin_object()
      .field("code", routing::code_name(e.code))
      .field("message", e.message);
  w.end_object().end_object();
  return out;
}

class agent_session final : public agent_channel,
                            public std::enable_shared_from_this<agent_session> {
 public:
  agent_session(std::string agent, ticket_store& store, runtime_holder& runtime, event_hub& hub,
                metrics& m)
      : agent_(std::move(agent)), store_(store), runtime_(runtime), hub_(hub), metrics_(m) {}

  asio::awaitable<void> opened(send_fn send) override {
    send_ = std::move(send);
    auto ex = co_await asio::this_coro::executor;
    std::weak_ptr<agent_session> weak = shared_from_this();
    // Watching first: the offers that going online causes come back through the stream.
    watch_ = hub_.watch_agent(agent_, ex, [weak](std::shared_ptr<const event_list> events) {
      if (auto self = weak.lock()) self->deliver(*events);
    });
    metrics_.agents_connected(1);
    const auto rt = runtime_.get();
    co_await hub_.until_live(rt->cfg->redis.timeout);
    auto r = co_await store_.agent_presence(*rt, agent_, 1, presence_status(*rt, true));
    counted_ = r.has_value();
    std::string hello;
    json_writer w(hello);
    w.begin_object().field("type", "connected").field("agent", agent_);
    if (r) {
      record_pushes(metrics_, r->assignments, store_.now());
      w.field("status", routing::to_string(r->value.status));
      w.key("tickets").strings(r->value.tickets);
    }
    w.end_object();
    if (send_) send_(std::move(hello));
    if (!r)
      log_warning("agent {} connected but Redis did not record it: {}", agent_, r.error().message);
  }

  asio::awaitable<std::string> received(std::string text) override {
    auto frame = parse_agent_frame(text);
    if (!frame) co_return error_frame("", "", frame.error());
    const auto rt = runtime_.get();
    const std::string_view action = routing::to_string(frame->action);
    frame->request.agent = agent_;
    auto t = co_await store_.act(*rt, frame->action, frame->ticket, std::nullopt, frame->request);
    if (!t) co_return error_frame(action, frame->ticket, t.error());
    record_action(metrics_, frame->action, *t, store_.now());
    std::string out;
    json_writer w(out);
    w.begin_object().field("type", "reply").field("action", action).field("ticket", frame->ticket);
    w.field("status", routing::to_string(t->value.status)).field("version", t->value.version);
    w.end_object();
    co_return out;
  }

  asio::awaitable<void> closed(bool slow) override {
    send_ = nullptr;
    hub_.unwatch(watch_);
    metrics_.agents_connected(-1);
    if (slow) log_warning("agent {} disconnected: it did not read its events fast enough", agent_);
    // Uncount only a connection Redis counted: another daemon's stream of this agent stays.
    if (!counted_) co_return;
    const auto rt = runtime_.get();
    auto r = co_await store_.agent_presence(*rt, agent_, -1, presence_status(*rt, false));
    if (r) {
      record_pushes(metrics_, r->assignments, store_.now());
    } else {
      log_warning("agent {} disconnected but Redis did not record it: {}", agent_,
                  r.error().message);
    }
  }

 private:
  static std::optional<routing::agent_status> presence_status(const runtime& rt, bool open) {
    if (rt.cfg->agents.presence != config::presence_mode::connection) return std::nullopt;
    return open ? routing::agent_status::online : routing::agent_status::offline;
  }

  void deliver(const event_list& events) {
    for (const auto& e : events) {
      if (!send_) {
        metrics_.event_delivered(true);
        continue;
      }
      if (send_(event_data_json(e, true))) {
        metrics_.event_delivered(false);
      } else {
        metrics_.event_delivered(true);
        send_ = nullptr;
      }
    }
  }

  std::string agent_;
  ticket_store& store_;
  runtime_holder& runtime_;
  event_hub& hub_;
  metrics& metrics_;
  send_fn send_;
  std::uint64_t watch_ = 0;
  // Redis counted this connection (opened's +1 was answered). A +1 that timed out may have
  // counted it after all; uncounting it blindly could take another daemon's stream away.
  bool counted_ = false;
};

class sse_session final : public event_stream, public std::enable_shared_from_this<sse_session> {
 public:
  sse_session(std::string after, ticket_store& store, runtime_holder& runtime, event_hub& hub,
              metrics& m)
      : last_(std::move(after)), store_(store), runtime_(runtime), hub_(hub), metrics_(m) {}

  ~sse_session() override {
    if (watch_ != 0) hub_.unwatch(watch_);
  }

  asio::awaitable<std::optional<std::string>> next() override {
    if (stopped_) co_return std::nullopt;
    if (!timer_) {
      auto ex = co_await asio::this_coro::executor;
      timer_.emplace(ex);
      std::weak_ptr<sse_session> weak = shared_from_this();
      watch_ = hub_.watch_all(ex, [weak] {
        if (auto self = weak.lock()) {
          self->woken_ = true;
          if (self->timer_) self->timer_->cancel();
        }
      });
      // The first read below comes after the tail's start, so no wake-up is missed.
      co_await hub_.until_live(runtime_.get()->cfg->redis.timeout);
      // Clients reconnect after a second when the connection drops.
      co_return std::string{"retry: 1000\n\n"};
    }
    for (;;) {
      woken_ = false;
      auto events = co_await store_.events_after(*runtime_.get(), last_, sse_page);
      if (stopped_) co_return std::nullopt;
      if (!events) {
        co_await pause(std::chrono::seconds(1));
        co_return std::string{": waiting for Redis\n\n"};
      }
      if (!events->empty()) {
        std::string text;
        for (const auto& e : *events) {
          text += sse_record(e);
          metrics_.event_delivered(false);
        }
        last_ = events->back().id;
        co_return text;
      }
      if (!woken_) co_await pause(keep_alive_interval);
      if (stopped_) co_return std::nullopt;
      if (!woken_) co_return std::string{": keep-alive\n\n"};
    }
  }

  void stop() override {
    stopped_ = true;
    if (timer_) timer_->cancel();
  }

 private:
  asio::awaitable<void> pause(std::chrono::milliseconds d) {
    timer_->expires_after(d);
    co_await timer_->async_wait(use_tuple);
  }

  std::string last_;
  ticket_store& store_;
  runtime_holder& runtime_;
  event_hub& hub_;
  metrics& metrics_;
  std::optional<asio::steady_timer> timer_;
  std::uint64_t watch_ = 0;
  bool woken_ = false;
  bool stopped_ = false;
};

}  // namespace

std::shared_ptr<agent_channel> make_agent_channel(std::string agent, ticket_store& store,
                                                  runtime_holder& runtime, event_hub& hub,
                                                  metrics& m) {
  return std::make_shared<agent_session>(std::move(agent), store, runtime, hub, m);
}

std::shared_ptr<event_stream> make_event_stream(std::string after, ticket_store& store,
                                                runtime_holder& runtime, event_hub& hub,
                                                metrics& m) {
  return std::make_shared<sse_session>(std::move(after), store, runtime, hub, m);
}

}  // namespace ticketd::daemon::api
