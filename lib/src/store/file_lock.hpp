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

#include <chrono>
#include <filesystem>
#include <memory>

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
                          std::chrono::milliseconds timeout,
                          MissingLockFile missing = MissingLockFile::fail);

  FileLock(FileLock&&) noexcept;
  FileLock& operator=(FileLock&&) noexcept;
  ~FileLock();

  LockMode mode() const noexcept;  // shared for a moved-from FileLock
  bool held() const noexcept;      // false once released, moved from, or in a forked child
  void release() noexcept;         // idempotent

 private:
  struct State;
  explicit FileLock(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace picklejar::store
