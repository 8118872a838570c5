#include "process_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <system_error>

namespace picklejar::test {
namespace {

void check_sys(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

}  // namespace

ScratchDir::ScratchDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/picklejar-test-XXXXXX";
  check_sys(::mkdtemp(pattern.data()) != nullptr, "mkdtemp");
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add, ignored);
  std::filesystem::remove_all(path_, ignored);
}

pid_t fork_child(const std::function<int()>& body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  check_sys(pid >= 0, "fork");
  if (pid > 0) return pid;
  int status = 1;
  try {
    status = body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child %d: %s\n", static_cast<int>(::getpid()), e.what());
  } catch (...) {
    std::fprintf(stderr, "child %d: unknown exception\n", static_cast<int>(::getpid()));
  }
  std::fflush(nullptr);
  ::_exit(status);
}

int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) check_sys(errno == EINTR, "waitpid");
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int run_child(const std::function<int()>& body) { return wait_child(fork_child(body)); }

Signal::Signal() { check_sys(::pipe2(fds_, O_CLOEXEC) == 0, "pipe2"); }

Signal::~Signal() {
  ::close(fds_[0]);
  ::close(fds_[1]);
}

void Signal::notify() {
  const char byte = 1;
  check_sys(::write(fds_[1], &byte, 1) == 1, "Signal: write");
}

void Signal::wait() {
  char byte = 0;
  ssize_t n;
  while ((n = ::read(fds_[0], &byte, 1)) < 0 && errno == EINTR) {
  }
  check_sys(n == 1, "Signal: read");
}

bool Signal::ready() {
  struct pollfd p {};
  p.fd = fds_[0];
  p.events = POLLIN;
  return ::poll(&p, 1, 0) == 1;
}

}  // namespace picklejar::test
