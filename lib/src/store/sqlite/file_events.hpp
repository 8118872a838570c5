#pragma once
// The operating system's side of waiting for a session file to change (internal): inotify
// events for a few names in one directory (Linux), with a descriptor for poll();
// change_feed.cpp decides what to wait for (with ../wake_pipe.hpp).

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "../wake_pipe.hpp"

namespace picklejar::store {

// inotify on a directory, reporting writes, creations, deletions and renames of the files
// named `names` in it. A directory is watched rather than the files because SQLite creates
// and deletes the -wal and -journal files as it goes.
class DirectoryWatch {
 public:
  // nullptr when inotify is not available: another system, or none left (EMFILE, ENOSPC:
  // fs.inotify.max_user_instances / max_user_watches), or the directory cannot be watched.
  static std::unique_ptr<DirectoryWatch> open(const std::filesystem::path& directory,
                                              std::vector<std::string> names);
  DirectoryWatch(const DirectoryWatch&) = delete;
  DirectoryWatch& operator=(const DirectoryWatch&) = delete;
  ~DirectoryWatch();

  int fd() const noexcept { return fd_; }
  // Reads every queued event; true when one concerned a watched name (or events were lost).
  bool drain() noexcept;
  // True once the directory itself was deleted or moved: no more events will come.
  bool dead() const noexcept { return dead_; }

 private:
  DirectoryWatch(int fd, std::vector<std::string> names) noexcept
      : fd_(fd), names_(std::move(names)) {}
  int fd_;
  std::vector<std::string> names_;
  bool dead_ = false;
};

}  // namespace picklejar::store
