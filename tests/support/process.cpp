#include "tests/support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace ticketd::testing {

process::process(std::vector<std::string> argv, std::filesystem::path log_file,
                 std::vector<std::string> extra_env)
    : log_file_(std::move(log_file)) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (auto& e : extra_env) env_strings.push_back(e);
  std::vector<char*> env;
  for (auto& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);
  const int fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + log_file_.string());
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // A test binary that is killed (a timeout, ^C) takes its servers with it. The signal comes
    // when the forking thread ends: processes are started from the test's own thread.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execve(args[0], args.data(), env.data());
    ::_exit(127);
  }
  ::close(fd);
}

process::~process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds(10));
  }
}

bool process::running() {
  if (status_ || pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = status;
    return false;
  }
  return true;
}

std::optional<int> process::wait_exit(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (status_ && WIFEXITED(*status_)) return WEXITSTATUS(*status_);
  return std::nullopt;
}

void process::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

std::optional<int> process::terminate(std::chrono::milliseconds wait) {
  signal(SIGTERM);
  auto code = wait_exit(wait);
  if (running()) kill9();
  return code;
}

void process::kill9() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  wait_exit(std::chrono::seconds(10));
}

std::string process::log() const {
  std::ifstream in(log_file_);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace ticketd::testing
