#include "wake_pipe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include <picklejar/error.hpp>

namespace picklejar::store {

WakePipe::WakePipe() {
  int fds[2];
  if (::pipe(fds) != 0)
    throw StoreError(
        "", std::nullopt,
        fmt::format("cannot make a pipe to wait for changes: {}", std::strerror(errno)));
  read_ = fds[0];
  write_ = fds[1];
  for (const int fd : fds) {
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
}

WakePipe::~WakePipe() {
  ::close(read_);
  ::close(write_);
}

void WakePipe::wake() noexcept {
  const char byte = 1;
  // A full pipe already holds a wake-up: EAGAIN is fine.
  [[maybe_unused]] const ssize_t ignored = ::write(write_, &byte, 1);
}

bool WakePipe::drain() noexcept {
  bool woken = false;
  char buffer[64];
  while (::read(read_, buffer, sizeof buffer) > 0) woken = true;
  return woken;
}

}  // namespace picklejar::store
