#include "simulate/private_redis.hpp"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

namespace ticketd::simulate {

namespace {

bool answers(const std::filesystem::path& socket) {
  redisContext* c = redisConnectUnix(socket.c_str());
  const bool ok = c != nullptr && c->err == 0;
  if (c != nullptr) redisFree(c);
  return ok;
}

}  // namespace

private_redis::private_redis(const std::string& binary) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ticketd-sim-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error("cannot create a temporary directory under " +
                             std::filesystem::temp_directory_path().string());
  }
  dir_ = tmpl;
  std::vector<std::string> args{binary,
                                "--port",
                                "0",
                                "--unixsocket",
                                socket().string(),
                                "--unixsocketperm",
                                "700",
                                "--dir",
                                dir_.string(),
                                "--save",
                                "",
                                "--appendonly",
                                "no",
                                "--daemonize",
                                "no",
                                "--loglevel",
                                "warning",
                                "--logfile",
                                (dir_ / "redis.log").string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    stop();
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a killed simulation takes its server with it
    ::setpgid(0, 0);  // a terminal's ^C goes to the simulation, which stops the server itself
    if (::getppid() != parent) ::_exit(127);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  // A process starting has no event to wait on: look every 10 ms, for at most 15 s.
  for (int i = 0; i < 1500; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      stop();
      throw std::runtime_error("redis-server exited at start; is `" + binary +
                               "` installed (apt-get install redis-server)?");
    }
    if (answers(socket())) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const std::string where = socket().string();
  stop();
  throw std::runtime_error("redis-server did not answer within 15 s on " + where);
}

private_redis::~private_redis() { stop(); }

void private_redis::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace ticketd::simulate
