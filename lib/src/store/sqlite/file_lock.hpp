#pragma once
// Locks a session's sidecar lock file ("<database>.lock") for this process and thread.
//
// Across processes the lock is a POSIX record lock over the whole file (fcntl F_SETLK,
// l_start 0, l_len 0, through the Boost.Interprocess primitives that file_lock uses; see
// lock_fcntl.hpp), which Python's fcntl.lockf() sees too. Record locks do not exclude
// threads of one process and vanish when any descriptor of the file is closed, so a
// per-process registry keyed by the lock file's identity (device + inode) keeps one
// descriptor per file, never closed while any lock on it is held, and layers an in-process
// reader/writer lock on top. docs/FORMAT.md "Lock protocol" states the protocol between
// processes; docs/LOCKING.md the design inside one.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>

namespace picklejar::store {

enum class LockMode { shared, exclusive };

// The lock file next to a database: the database path with ".lock" appended.
std::filesystem::path lock_path_for(const std::filesystem::path& database);

// What a shared acquire does when the lock file is missing and cannot be created because its
// directory or file system is read-only (EACCES, EPERM, EROFS). Added to the lead's interface
// for read-only sessions on read-only media; the default keeps the declared behaviour.
enum class MissingLockFile {
  fail,           // StoreError naming the lock file and why (the default)
  read_unlocked,  // return a FileLock that holds nothing (held() == false). Safe enough for
                  // reading: a writer must create the lock file first, after which readers
                  // lock it; SQLite's own read transaction still gives a consistent snapshot.
                  // Exclusive requests still fail.
};

// What an exclusive request does when other processes hold the lock file shared (F_RDLCK).
// The protocol (docs/FORMAT.md "Lock protocol") no longer has readers take the lock, so a
// shared lock is an older picklejar reading, or another user holding it to keep writers out:
// session writers pass it (SQLite's own write lock is what excludes writers) rather than wait.
enum class SharedHolders {
  wait,  // wait for them like for any holder (the default)
  pass,  // do not wait: return a FileLock that keeps this process's threads out but holds no
         // record lock (holds_record_lock() == false)
};

struct LockOptions {
  MissingLockFile missing = MissingLockFile::fail;
  SharedHolders shared_holders = SharedHolders::wait;  // exclusive requests only
  // The mode the database will get, for a lock file created before the database exists
  // (open_lock_file, lock_fcntl.hpp); default 0666 & ~umask.
  std::optional<mode_t> database_mode;
};

// A held lock; released when destroyed (or by release()). Move-only. Not reentrant: a thread
// must not ask for a lock on a file (any spelling) that its own FileLock holds. Exclusive then
// waits for itself until `timeout` (LockTimeout); shared after shared joins, unless another
// thread already waits for exclusive (waiting writers keep new readers out, so a stream of
// readers cannot starve a writer).
//
// Thread safety: acquire() may be called from any thread; one FileLock object must not be
// used by two threads at once. It may be released on another thread than took it.
// After fork(): the child holds none of the parent's locks; a FileLock it inherited reports
// held() == false and its release() does nothing (the parent's lock is untouched).
class FileLock {
 public:
  // Creates the lock file if missing (never truncating it), then waits up to `timeout` for
  // the lock, first for other FileLocks of this process, then for other processes. Throws
  // LockTimeout naming the file (and the holding process, when known) when the wait runs
  // out, StoreError when the file cannot be created, opened or locked. A zero timeout tries
  // once; timeouts beyond ten years are ten years.
  static FileLock acquire(const std::filesystem::path& lock_file, LockMode mode,
                          std::chrono::milliseconds timeout, const LockOptions& options);
  static FileLock acquire(const std::filesystem::path& lock_file, LockMode mode,
                          std::chrono::milliseconds timeout,
                          MissingLockFile missing = MissingLockFile::fail) {
    LockOptions options;
    options.missing = missing;
    return acquire(lock_file, mode, timeout, options);
  }

  FileLock(FileLock&&) noexcept;
  FileLock& operator=(FileLock&&) noexcept;
  ~FileLock();

  LockMode mode() const noexcept;  // shared for a moved-from FileLock
  bool held() const noexcept;      // false once released, moved from, or in a forked child
  // Whether this process holds the record lock (false for a lock that holds nothing, and for
  // an exclusive lock that passed other processes' shared locks).
  bool holds_record_lock() const noexcept;
  void release() noexcept;  // idempotent

 private:
  struct State;
  explicit FileLock(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace picklejar::store
