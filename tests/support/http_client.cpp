#include "tests/support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <stdexcept>

#include <boost/json/parse.hpp>

#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

namespace ticketd::testing {
namespace {

// recv() and send() go on after a signal: on a socket with SO_RCVTIMEO, Linux never restarts them,
// and a signal the test binary handles (glibc catches one of its own) then fails them with EINTR.
ssize_t receive_some(int fd, char* buf, std::size_t size) {
  ssize_t n;
  do {
    n = ::recv(fd, buf, size, 0);
  } while (n < 0 && errno == EINTR);
  return n;
}

ssize_t send_some(int fd, const char* data, std::size_t size) {
  ssize_t n;
  do {
    n = ::send(fd, data, size, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n;
}

}  // namespace

boost::json::value http_reply::json() const { return boost::json::parse(body); }

namespace {

// The string member `name` of the body's `error` object, or "".
std::string error_member(const std::string& body, std::string_view name) {
  if (body.empty()) return {};
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  const auto* e = v.as_object().if_contains("error");
  if (e == nullptr || !e->is_object()) return {};
  const auto* member = e->as_object().if_contains(name);
  return member != nullptr && member->is_string() ? std::string(member->as_string())
                                                  : std::string{};
}

}  // namespace

std::string http_reply::error_code() const { return error_member(body, "code"); }

std::string http_reply::error_field() const { return error_member(body, "field"); }

std::string http_reply::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string{} : it->second;
}

http_client::http_client(std::uint16_t port, std::string host)
    : port_(port), host_(std::move(host)) {}

http_client::~http_client() { close(); }

http_client::http_client(http_client&& other) noexcept
    : port_(other.port_),
      host_(std::move(other.host_)),
      fd_(other.fd_),
      buffer_(std::move(other.buffer_)) {
  other.fd_ = -1;
}

void http_client::connect() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  ::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr);
  timeval tv{30, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (receive_buffer_ > 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_, sizeof receive_buffer_);
  }
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close();
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port_));
  }
  buffer_.clear();
}

void http_client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

http_reply http_client::request(std::string_view method, std::string_view target,
                                std::string_view body,
                                const std::vector<std::pair<std::string, std::string>>& headers) {
  if (fd_ < 0) connect();
  std::string req;
  req.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host_);
  req.append("\r\nContent-Type: application/json\r\nContent-Length: ")
      .append(std::to_string(body.size()))
      .append("\r\n");
  for (const auto& [name, value] : headers)
    req.append(name).append(": ").append(value).append("\r\n");
  req.append("\r\n").append(body);
  std::size_t sent = 0;
  while (sent < req.size()) {
    const auto n = send_some(fd_, req.data() + sent, req.size() - sent);
    if (n <= 0) {
      close();
      throw std::runtime_error("send failed");
    }
    sent += static_cast<std::size_t>(n);
  }
  auto fill = [this] {
    char buf[65536];
    const auto n = receive_some(fd_, buf, sizeof buf);
    if (n <= 0) {
      close();
      throw std::runtime_error("connection closed while reading the response");
    }
    buffer_.append(buf, static_cast<std::size_t>(n));
  };
  std::size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) fill();
  http_reply reply;
  const std::string head = buffer_.substr(0, header_end);
  reply.status = std::stoi(head.substr(9, 3));
  std::size_t pos = head.find("\r\n");
  while (pos != std::string::npos && pos + 2 < head.size()) {
    const auto next = head.find("\r\n", pos + 2);
    const auto line =
        head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      const std::string name = lower_case(line.substr(0, colon));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      reply.headers[name] = value;
    }
    pos = next;
  }
  const std::size_t length =
      reply.headers.count("content-length") ? std::stoul(reply.headers["content-length"]) : 0;
  while (buffer_.size() < header_end + 4 + length) fill();
  reply.body = buffer_.substr(header_end + 4, length);
  buffer_.erase(0, header_end + 4 + length);
  if (reply.header("connection") == "close") close();
  return reply;
}

std::string http_client::raw(std::string_view bytes) {
  close();
  connect();
  for (std::size_t sent = 0; sent < bytes.size();) {
    const auto n = send_some(fd_, bytes.data() + sent, bytes.size() - sent);
    if (n <= 0) break;  // the server may close before taking all of a refused request
    sent += static_cast<std::size_t>(n);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const auto n = receive_some(fd_, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The receive timeout, not a close: a test that expects the server to close must fail.
      close();
      throw std::runtime_error("the server kept the connection open; it sent: " + out);
    }
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  close();
  return out;
}

http_reply until_confirmed(http_client& c, std::string_view method, std::string_view target,
                           std::string_view body, const std::string& key) {
  const std::vector<std::pair<std::string, std::string>> headers{{"Idempotency-Key", key}};
  http_reply r;
  eventually([&] {
    r = c.request(method, target, body, headers);
    return r.status != 503;
  });
  return r;
}

std::string json_str(const boost::json::value& v, std::string_view key) {
  const auto* f = v.as_object().if_contains(key);
  return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string{};
}

double metric_value(const std::string& metrics_text, const std::string& series) {
  const std::string wanted = series + " ";
  for (std::size_t at = metrics_text.find(wanted); at != std::string::npos;
       at = metrics_text.find(wanted, at + 1)) {
    if (at == 0 || metrics_text[at - 1] == '\n')
      return std::stod(metrics_text.substr(at + wanted.size()));
  }
  return 0;
}

}  // namespace ticketd::testing
