// ticketctl: the operators' command line for a running ticketd. The only I/O of ctl/: the
// environment, the token file, and one HTTP/1.1 exchange per request (Beast, on a private
// io_context run to a deadline), each on its own connection.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "ctl/invocation.hpp"
#include "ctl/render.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ctl = ticketd::ctl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// /metrics and a queue head of 1000 full tickets stay far below this.
constexpr std::uint64_t body_limit = 64 * 1024 * 1024;
// export-workload's event stream (events.max_len bounds it).
constexpr std::uint64_t export_body_limit = std::uint64_t{4} * 1024 * 1024 * 1024;

struct transport_error {
  ctl::failure_kind kind;
  std::string what;
};

std::string host_header(const ctl::endpoint& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  return (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

bool is_http_error(const error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_version).category();
}

// Runs the io_context until the operation started by `start` completes; every operation on
// `stream` is bounded by the stream's expiry.
template <class Start>
error_code run(asio::io_context& io, Start start) {
  error_code result;
  start([&result](error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

std::variant<ctl::http_answer, transport_error> exchange(const ctl::invocation& inv,
                                                         const ctl::request_spec& spec,
                                                         std::uint64_t limit = body_limit) {
  asio::io_context io;
  const auto deadline = std::chrono::steady_clock::now() + inv.timeout;

  // The resolver has no expiry of its own: the io_context runs only until the deadline.
  tcp::resolver resolver(io);
  tcp::resolver::results_type endpoints;
  error_code ec;
  bool resolved = false;
  resolver.async_resolve(inv.url.host, std::to_string(inv.url.port),
                         [&](error_code e, tcp::resolver::results_type r) {
                           ec = e;
                           endpoints = std::move(r);
                           resolved = true;
                         });
  io.run_until(deadline);
  if (!resolved) {
    resolver.cancel();
    io.restart();
    io.run();
    return transport_error{ctl::failure_kind::timeout, "resolving " + inv.url.host};
  }
  if (ec) {
    return transport_error{ctl::failure_kind::resolve, ec.message()};
  }

  beast::tcp_stream stream(io);
  stream.expires_at(deadline);
  ec = run(io, [&](auto handler) { stream.async_connect(endpoints, handler); });
  if (ec == beast::error::timeout) return transport_error{ctl::failure_kind::timeout, "connect"};
  if (ec) return transport_error{ctl::failure_kind::connect, ec.message()};

  const auto verb = spec.method == "POST"     ? http::verb::post
                    : spec.method == "DELETE" ? http::verb::delete_
                                              : http::verb::get;
  http::request<http::empty_body> req{verb, spec.target, 11};
  req.set(http::field::host, host_header(inv.url));
  req.set(http::field::user_agent, "ticketctl");
  req.set(http::field::accept, "application/json");
  if (!inv.token.empty()) req.set(http::field::authorization, "Bearer " + inv.token);
  if (req.method() == http::verb::post) req.content_length(0);
  req.keep_alive(false);
  ec = run(io, [&](auto handler) { http::async_write(stream, req, handler); });
  if (ec == beast::error::timeout) return transport_error{ctl::failure_kind::timeout, "write"};
  if (ec) {
    return transport_error{ctl::failure_kind::connect,
                           "the connection broke while sending the request: " + ec.message()};
  }

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(limit);
  ec = run(io, [&](auto handler) { http::async_read(stream, buffer, parser, handler); });
  if (ec == beast::error::timeout) return transport_error{ctl::failure_kind::timeout, "read"};
  if (ec == http::error::end_of_stream) {
    return transport_error{ctl::failure_kind::connect,
                           "the connection closed before an answer came"};
  }
  if (is_http_error(ec)) return transport_error{ctl::failure_kind::protocol, ec.message()};
  if (ec) {
    return transport_error{ctl::failure_kind::connect,
                           "the connection broke while waiting for the answer: " + ec.message()};
  }
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);

  auto res = parser.release();
  ctl::http_answer answer;
  answer.status = static_cast<int>(res.result_int());
  answer.retry_after = std::string{res[http::field::retry_after]};
  answer.body = std::move(res.body());
  return answer;
}

std::optional<std::string> env(std::string_view name) {
  const char* v = std::getenv(std::string{name}.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string{v};
}

// Reads the token file named by the invocation into inv.token; a report when it cannot.
std::optional<ctl::report> load_token(ctl::invocation& inv) {
  if (inv.token_file.empty()) return std::nullopt;
  std::ifstream in(inv.token_file, std::ios::binary);
  if (!in) {
    const int error = errno;
    return ctl::token_failure("cannot read the token file " + ctl::describe_origin(inv) + ": " +
                              std::strerror(error) +
                              "; check the path, and that this user may read the file");
  }
  std::string content(4097, '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  if (in.bad()) {
    return ctl::token_failure("cannot read the token file " + ctl::describe_origin(inv) +
                              "; is it a regular file?");
  }
  content.resize(static_cast<std::size_t>(in.gcount()));
  auto token = ctl::token_from_file(content, inv.token_file);
  if (!token) return ctl::token_failure(token.error().message);
  inv.token = std::move(*token);
  return std::nullopt;
}

// export-workload: every agent page, then the event stream since then, read to its end.
ctl::report run_export(const ctl::invocation& inv) {
  const std::int64_t since =
      inv.since_ms ? *inv.since_ms
                   : std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch() - *inv.since_ago)
                         .count();
  std::vector<ctl::request_spec> requests{ctl::agent_page_request(inv, "")};
  std::vector<ctl::http_answer> answers;
  auto ask = [&](const ctl::invocation& how, std::uint64_t limit) -> std::optional<ctl::report> {
    auto result = exchange(how, requests.back(), limit);
    if (auto* failed = std::get_if<transport_error>(&result)) {
      return ctl::unreachable(how, requests.back(), failed->kind, failed->what);
    }
    answers.push_back(std::move(std::get<ctl::http_answer>(result)));
    return std::nullopt;
  };
  for (;;) {
    if (auto failed = ask(inv, body_limit)) return *failed;
    const auto next = ctl::next_agent_page(answers.back());
    if (!next) break;
    requests.push_back(ctl::agent_page_request(inv, *next));
  }
  // A day of a busy workspace is tens of megabytes of events: more time and room than a lookup.
  ctl::invocation patient = inv;
  patient.timeout = std::max(inv.timeout, std::chrono::milliseconds(std::chrono::minutes(10)));
  requests.push_back(ctl::events_request(inv, since));
  if (auto failed = ask(patient, export_body_limit)) return *failed;
  return ctl::render_export(inv, requests, answers, since);
}

// verify --all: the workspaces served, then each one's verify.
ctl::report run_verify_all(const ctl::invocation& inv) {
  std::vector<ctl::request_spec> requests = ctl::requests_for(inv);
  std::vector<ctl::http_answer> answers;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    auto result = exchange(inv, requests[i]);
    if (auto* failed = std::get_if<transport_error>(&result)) {
      return ctl::unreachable(inv, requests[i], failed->kind, failed->what);
    }
    answers.push_back(std::move(std::get<ctl::http_answer>(result)));
    if (i == 0) {
      for (const auto& name : ctl::workspace_names(answers[0])) {
        requests.push_back(ctl::workspace_verify_request(inv, name));
      }
    }
  }
  return ctl::render_verify_all(inv, requests, answers);
}

ctl::report run_command(ctl::invocation& inv) {
  if (auto failed = load_token(inv)) return *failed;
  if (inv.what == ctl::command::export_workload) return run_export(inv);
  if (inv.what == ctl::command::verify && inv.all) return run_verify_all(inv);
  // A big workspace's keys take a while to delete, a batch at a time.
  if (inv.what == ctl::command::purge_workspace) {
    inv.timeout = std::max(inv.timeout, std::chrono::milliseconds(std::chrono::minutes(10)));
  }
  const auto requests = ctl::requests_for(inv);
  std::vector<ctl::http_answer> answers;
  for (const auto& request : requests) {
    auto result = exchange(inv, request);
    if (auto* failed = std::get_if<transport_error>(&result)) {
      return ctl::unreachable(inv, request, failed->kind, failed->what);
    }
    answers.push_back(std::move(std::get<ctl::http_answer>(result)));
  }
  return ctl::render(inv, answers);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  ctl::report report;
  try {
    auto inv = ctl::parse_invocation(args, env);
    report = inv ? run_command(*inv) : ctl::usage_failure(inv.error().message);
  } catch (const std::exception& e) {
    // Only allocation failures and the like get here; requests report errors as values.
    report.status = ctl::exit_status::unreachable;
    report.err = std::string{"ticketctl: "} + e.what() + "\n";
  }
  std::cout << report.out << std::flush;
  std::cerr << report.err << std::flush;
  return static_cast<int>(report.status);
}
