#include "daemon/process/embedded_redis.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "daemon/common/log.hpp"

namespace ticketd::daemon {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr auto start_deadline = 15s;
constexpr auto stop_deadline = 15s;

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

bool process_alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

bool is_redis_server(pid_t pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name.rfind("redis-server", 0) == 0 || name.rfind("redis-check", 0) == 0;
}

bool wait_gone(pid_t pid, std::chrono::steady_clock::duration limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (process_alive(pid)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    // Reap it if it is our own child; otherwise it is an orphan of an earlier ticketd.
    ::waitpid(pid, nullptr, WNOHANG);
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// One blocking PING over the unix socket; true when Redis answers +PONG.
bool answers_ping(const fs::path& socket) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    constexpr char ping[] = "*1\r\n$4\r\nPING\r\n";
    if (::write(fd, ping, sizeof ping - 1) == static_cast<ssize_t>(sizeof ping - 1)) {
      char buf[16] = {};
      const auto n = ::read(fd, buf, sizeof buf - 1);
      ok = n >= 5 && std::strncmp(buf, "+PONG", 5) == 0;
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

struct embedded_redis::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& ioc, fs::path dir, fs::path binary)
      : io(ioc), state_dir(std::move(dir)), server_binary(std::move(binary)), restart_timer(ioc) {}

  asio::io_context& io;
  fs::path state_dir;
  fs::path server_binary;
  asio::steady_timer restart_timer;
  std::unique_ptr<asio::posix::stream_descriptor> watch;
  pid_t pid = -1;
  int lock_fd = -1;
  bool stopping = false;
  std::chrono::milliseconds restart_backoff{100};

  fs::path socket() const { return state_dir / "redis.sock"; }
  fs::path pidfile() const { return state_dir / "redis.pid"; }

  std::vector<std::string> arguments() const {
    return {server_binary.string(), "--port", "0", "--unixsocket", socket().string(),
            "--unixsocketperm", "700", "--dir", state_dir.string(), "--appendonly", "yes",
            // Every change written and fsynced before Redis answers it: nothing acknowledged
            // is lost, whatever stops Redis or its machine. With everysec, Redis holds its AOF
            // write back while its once-a-second background fsync is still running, and
            // answers meanwhile: a kill -9 then loses acknowledged writes (docs/operations.md,
            // "Durability").
            "--appendfsync", "always",
            // Rewrite the AOF when it has doubled and passed 1 GiB. Redis's default (64 MB)
            // suits small read-mostly datasets; a busy queue appends ~2 KB per ticket cycle and
            // would fork and rewrite its whole dataset every few seconds.
            "--auto-aof-rewrite-percentage", "100", "--auto-aof-rewrite-min-size", "1gb", "--save",
            "", "--daemonize", "no", "--pidfile", pidfile().string(), "--loglevel", "warning",
            "--protected-mode", "yes"};
  }

  std::string lock_state_dir() {
    std::error_code ec;
    fs::create_directories(state_dir, ec);
    if (ec) {
      return "cannot create server.state_dir " + state_dir.string() + ": " + ec.message() +
             " (create it, or set server.state_dir to a writable directory)";
    }
    if (socket().string().size() >= sizeof(sockaddr_un::sun_path)) {
      return "server.state_dir " + state_dir.string() +
             " is too long for a unix socket path; choose a shorter one";
    }
    const auto lock_path = state_dir / "ticketd.lock";
    lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd < 0) {
      const int err = errno;
      std::string message = "cannot open " + lock_path.string() + ": " + std::strerror(err);
      if (err == EACCES) {
        message +=
            " (server.state_dir and its files must belong to the user ticketd runs as: "
            "chown -R that user " +
            state_dir.string() + ")";
      }
      return message;
    }
    if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
      return "another ticketd runs the embedded Redis in " + state_dir.string() +
             "; stop it, or give this one another server.state_dir";
    }
    return {};
  }

  // A server left by an earlier ticketd that died must not share the AOF with ours.
  void stop_leftover() {
    std::ifstream in(pidfile());
    pid_t old = -1;
    if (!(in >> old) || !process_alive(old) || !is_redis_server(old)) return;
    log_warning("stopping a leftover embedded redis-server (pid {}) in {}", old,
                state_dir.string());
    ::kill(old, SIGTERM);
    if (!wait_gone(old, stop_deadline)) {
      ::kill(old, SIGKILL);
      wait_gone(old, 2s);
    }
  }

  std::string spawn() {
    const auto args = arguments();
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t child = ::fork();
    if (child < 0) return std::string{"fork failed: "} + std::strerror(errno);
    if (child == 0) {
      // Only async-signal-safe calls until exec.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(1);
      ::setpgid(0, 0);  // terminal signals go to ticketd, which stops Redis last
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    pid = child;
    const int fd = pidfd_open(child);
    if (fd >= 0) {
      watch = std::make_unique<asio::posix::stream_descriptor>(io, fd);
      auto self = shared_from_this();
      watch->async_wait(asio::posix::stream_descriptor::wait_read,
                        [self](boost::system::error_code ec) { self->on_exit(ec); });
    }
    return {};
  }

  std::string wait_ready() {
    const auto deadline = std::chrono::steady_clock::now() + start_deadline;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return "redis-server exited at start (status " + std::to_string(status) + "); is `" +
               server_binary.string() + "` installed (apt-get install redis-server)?";
      }
      if (answers_ping(socket())) return {};
      std::this_thread::sleep_for(20ms);
    }
    return "redis-server did not answer within 15 s on " + socket().string();
  }

  void on_exit(boost::system::error_code ec) {
    if (ec || stopping) return;
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    watch.reset();
    log_error("embedded redis-server exited (status {}); restarting in {} ms", status,
              restart_backoff.count());
    restart_timer.expires_after(restart_backoff);
    auto self = shared_from_this();
    restart_timer.async_wait([self](boost::system::error_code wec) {
      if (wec || self->stopping) return;
      self->restart_backoff = std::min(self->restart_backoff * 2, std::chrono::milliseconds{5000});
      if (auto err = self->spawn(); !err.empty()) log_error("cannot restart redis-server: {}", err);
    });
  }
};

embedded_redis::embedded_redis(asio::io_context& ioc, fs::path state_dir, fs::path server_binary)
    : impl_(std::make_shared<impl>(ioc, std::move(state_dir), std::move(server_binary))) {}

embedded_redis::~embedded_redis() { stop(); }

std::string embedded_redis::start() {
  if (auto err = impl_->lock_state_dir(); !err.empty()) return err;
  impl_->stop_leftover();
  if (auto err = impl_->spawn(); !err.empty()) return err;
  return impl_->wait_ready();
}

void embedded_redis::stop() {
  auto& i = *impl_;
  if (i.stopping) return;
  i.stopping = true;
  i.restart_timer.cancel();
  if (i.watch) {
    boost::system::error_code ignored;
    i.watch->cancel(ignored);
  }
  if (i.pid > 0) {
    ::kill(i.pid, SIGTERM);
    if (!wait_gone(i.pid, stop_deadline)) {
      log_error("redis-server did not stop within 15 s; killing it");
      ::kill(i.pid, SIGKILL);
      wait_gone(i.pid, 2s);
    }
    ::waitpid(i.pid, nullptr, WNOHANG);
    i.pid = -1;
  }
  if (i.lock_fd >= 0) {
    ::close(i.lock_fd);
    i.lock_fd = -1;
  }
}

fs::path embedded_redis::socket_path() const { return impl_->socket(); }

}  // namespace ticketd::daemon
