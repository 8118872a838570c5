#include "file_events.hpp"

#include <fcntl.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/inotify.h>
#endif

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>

#include <picklejar/error.hpp>

namespace picklejar::store {

// ---- DirectoryWatch ---------------------------------------------------------------------------

std::unique_ptr<DirectoryWatch> DirectoryWatch::open(const std::filesystem::path& directory,
                                                     std::vector<std::string> names) {
#ifdef __linux__
  const int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0) return nullptr;
  constexpr std::uint32_t kMask =
      IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO;
  if (inotify_add_watch(fd, directory.c_str(), kMask | IN_ONLYDIR) < 0) {
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<DirectoryWatch>(new DirectoryWatch(fd, std::move(names)));
#else
  (void)directory;
  (void)names;
  return nullptr;
#endif
}

DirectoryWatch::~DirectoryWatch() { ::close(fd_); }

bool DirectoryWatch::drain() noexcept {
#ifdef __linux__
  bool relevant = false;
  alignas(inotify_event) std::array<char, 4096> buffer;
  for (;;) {
    const ssize_t got = ::read(fd_, buffer.data(), buffer.size());
    if (got <= 0) return relevant;  // EAGAIN: nothing more queued
    for (ssize_t at = 0; at + static_cast<ssize_t>(sizeof(inotify_event)) <= got;) {
      inotify_event event;
      std::memcpy(&event, buffer.data() + at, sizeof event);
      const char* name = buffer.data() + at + sizeof event;
      at += static_cast<ssize_t>(sizeof event + event.len);
      if (event.mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) dead_ = true;
      if (event.mask & IN_Q_OVERFLOW) relevant = true;
      if (event.len == 0) continue;
      const std::string_view named(name, ::strnlen(name, event.len));
      if (std::find(names_.begin(), names_.end(), named) != names_.end()) relevant = true;
    }
  }
#else
  return false;
#endif
}

}  // namespace picklejar::store
