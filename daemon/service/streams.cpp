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
// Frames an agent stream keeps between watching and the handshake's answer (an outbox's worth).
constexpr std::size_t early_limit = 1024;
// Events per read of the stream when an SSE client catches up.
constexpr std::size_t sse_page = 256;

// {"type": "error", "action", "ticket", "error": {...}}: the error object is the HTTP API's
// (error_body), with its code, sentence and details.
std::string error_frame(std::string_view action, std::string_view ticket, const routing::error& e) {
  std::string out;
  json_writer w(out);
  w.begin_object().field("type", "error");
  if (!action.empty()) w.field("action", action);
  if (!ticket.empty()) w.field("ticket", ticket);
  write_error(w, e);
  w.end_object();
  return out;
}

class agent_session final : public agent_channel,
                            public std::enable_shared_from_this<agent_session> {
 public:
  agent_session(std::string agent, ticket_store& store, std::shared_ptr<workspace> ws)
      : agent_(std::move(agent)),
        store_(store),
        ws_(std::move(ws)),
        runtime_(ws_->holder()),
        hub_(ws_->hub()),
        metrics_(ws_->metrics()) {}

  asio::awaitable<bool> prepare() override {
    auto ex = co_await asio::this_coro::executor;
    std::weak_ptr<agent_session> weak = shared_from_this();
    // Watching first: the offers that going online causes come back through the stream, and
    // so does everything that happens once the handshake is answered.
    watch_ = hub_.watch_agent(agent_, ex, [weak](std::shared_ptr<const event_list> events) {
      if (auto self = weak.lock()) self->deliver(*events);
    });
    const auto rt = runtime_.get();
    if (!co_await hub_.until_live(rt->cfg->redis.timeout)) {
      // The tail cannot read the stream: an agent told it is connected would miss its offers.
      hub_.unwatch(watch_);
      watch_ = 0;
      co_return false;
    }
    metrics_.agents_connected(1);
    presence_ = co_await store_.agent_presence(*rt, agent_, 1, presence_status(*rt, true));
    if (!presence_) {
      log_warning("agent {} connected but Redis did not record it: {}", agent_,
                  presence_.error().message);
    }
    co_return true;
  }

  asio::awaitable<void> opened(send_fn send) override {
    send_ = std::move(send);
    std::string hello;
    json_writer w(hello);
    w.begin_object().field("type", "connected").field("agent", agent_);
    if (presence_) {
      record_pushes(metrics_, presence_->assignments, store_.now());
      w.field("status", routing::to_string(presence_->value.status));
      w.key("tickets").strings(presence_->value.tickets);
    }
    w.end_object();
    if (send_) send_(std::move(hello));
    // What happened since prepare(), in order, after the hello.
    auto early = std::move(early_);
    early_.clear();
    for (auto& frame : early) send_frame(std::move(frame));
    co_return;
  }

  asio::awaitable<std::string> received(std::string text) override {
    auto frame = parse_agent_frame(text);
    if (!frame) co_return error_frame("", "", frame.error());
    const auto rt = runtime_.get();
    const std::string_view action = routing::to_string(frame->action);
    // An action may set a timer: the workspace's timers are looked at every second for a while.
    ws_->touch(steady_ms());
    if (ws_->retired()) {
      // A reload removed the workspace while this stream was open: its data stays as it is.
      auto e = routing::make_error(routing::errc::not_found,
                                   "workspace '" + ws_->name() + "' is no longer served");
      e.details.emplace_back("field", "workspace");
      co_return error_frame(action, frame->ticket, e);
    }
    frame->request.agent = agent_;
    // The reply frame shows the ticket's status and version only.
    auto t = co_await store_.act(*rt, frame->action, frame->ticket, std::nullopt, frame->request,
                                 {}, routing::action_view::brief);
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
    closed_ = true;
    hub_.unwatch(watch_);
    metrics_.agents_connected(-1);
    if (slow) log_warning("agent {} disconnected: it did not read its events fast enough", agent_);
    // Uncount only a connection Redis counted: another daemon's stream of this agent stays.
    // Uncounted only when opened's +1 was answered: a +1 that timed out may have counted it
    // after all, and uncounting it blindly could take another daemon's stream away.
    if (!presence_) co_return;
    // A workspace a reload removed is left as it was (it may be purged already).
    if (ws_->retired()) co_return;
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

  // Before the handshake is answered, frames wait here (as many as an outbox holds).
  void deliver(const event_list& events) {
    for (const auto& e : events) {
      if (closed_) {
        metrics_.event_delivered(true);
      } else if (!send_) {
        if (early_.size() < early_limit) {
          early_.push_back(event_data_json(e, true));
        } else {
          metrics_.event_delivered(true);
        }
      } else {
        send_frame(event_data_json(e, true));
      }
    }
  }

  void send_frame(std::string frame) {
    if (!send_) {
      metrics_.event_delivered(true);
      return;
    }
    if (send_(std::move(frame))) {
      metrics_.event_delivered(false);
    } else {
      metrics_.event_delivered(true);
      send_ = nullptr;
      closed_ = true;
    }
  }

  std::string agent_;
  ticket_store& store_;
  std::shared_ptr<workspace> ws_;  // kept while the stream is open (a reload may drop it)
  runtime_holder& runtime_;
  event_hub& hub_;
  workspace_metrics& metrics_;
  send_fn send_;
  std::vector<std::string> early_;  // events of the time between prepare() and opened()
  bool closed_ = false;
  routing::outcome<routing::agent_result> presence_{
      routing::make_error(routing::errc::internal, {})};
  std::uint64_t watch_ = 0;
};

class sse_session final : public event_stream, public std::enable_shared_from_this<sse_session> {
 public:
  sse_session(std::string after, bool follow, ticket_store& store, std::shared_ptr<workspace> ws)
      : last_(std::move(after)),
        follow_(follow),
        store_(store),
        ws_(std::move(ws)),
        runtime_(ws_->holder()),
        hub_(ws_->hub()),
        metrics_(ws_->metrics()) {}

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
      if (!follow_) co_return std::nullopt;  // caught up: an export ends here
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
  bool follow_;
  ticket_store& store_;
  std::shared_ptr<workspace> ws_;  // kept while the stream is open (a reload may drop it)
  runtime_holder& runtime_;
  event_hub& hub_;
  workspace_metrics& metrics_;
  std::optional<asio::steady_timer> timer_;
  std::uint64_t watch_ = 0;
  bool woken_ = false;
  bool stopped_ = false;
};

}  // namespace

std::shared_ptr<agent_channel> make_agent_channel(std::string agent, ticket_store& store,
                                                  std::shared_ptr<workspace> ws) {
  return std::make_shared<agent_session>(std::move(agent), store, std::move(ws));
}

std::shared_ptr<event_stream> make_event_stream(std::string after, bool follow, ticket_store& store,
                                                std::shared_ptr<workspace> ws) {
  return std::make_shared<sse_session>(std::move(after), follow, store, std::move(ws));
}

}  // namespace ticketd::daemon::api
