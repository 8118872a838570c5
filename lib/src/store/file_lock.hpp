#pragma once
// Locks a session's sidecar lock file ("<database>.lock") for this process and thread.
//
// Across processes the lock is a POSIX record lock (Boost.Interprocess file_lock: fcntl
// F_SETLK over the whole file), which Python's fcntl.lockf() sees too. Record locks do
// not exclude threads of one process and vanish when any descriptor of the file is
// closed, so a per-process registry keyed by the lock file's identity (device + inode)
// keeps one descriptor per file, open while any lock on it is held, and layers an
// in-process shared mutex on top. docs/FORMAT.md states the protocol.

#include <chrono>
#include <filesystem>
#include <memory>

namespace picklejar::store {

enum class LockMode { shared, exclusive };

// The lock file next to a database: the database path with ".lock" appended.
std::filesystem::path lock_path_for(const std::filesystem::path& database);

// A held lock; released when destroyed (or by release()). Move-only.
class FileLock {
 public:
  // Creates the lock file if missing, then waits up to `timeout` for the lock. Throws
  // LockTimeout naming the file when the wait runs out, StoreError when the file cannot
  // be created or opened. A zero timeout tries once.
  static FileLock acquire(const std::filesystem::path& lock_file, LockMode mode,
                          std::chrono::milliseconds timeout);

  FileLock(FileLock&&) noexcept;
  FileLock& operator=(FileLock&&) noexcept;
  ~FileLock();

  LockMode mode() const noexcept;
  bool held() const noexcept;
  void release() noexcept;

 private:
  struct State;
  explicit FileLock(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace picklejar::store
