#pragma once
// One lock file's state inside this process: the descriptor all its FileLocks share, and the
// in-process reader/writer lock that decides which threads hold the process's fcntl lock.
//
// The fcntl lock follows the in-process holders: shared while one or more shared holders and
// no exclusive one, exclusive while the exclusive holder has it, released when the last
// holder leaves. It is never converted in place: a shared lock becomes exclusive only after
// every shared holder left (and the fcntl lock was dropped). Two processes converting at
// once would each wait for the other's shared lock until both timed out.

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <vector>

#include "lock_fcntl.hpp"

namespace picklejar::store {

struct LockCounts {
  int shared = 0;          // shared holders in this process
  bool exclusive = false;  // an exclusive holder (or one taking the fcntl lock)
  int waiting = 0;         // threads waiting in this process (not yet at the fcntl level)
};

class LockEntry {
 public:
  enum class Outcome {
    acquired,        // the lock, in this process and across processes
    passed,          // exclusive with `pass_shared`: this process's threads are kept out, but
                     // other processes held the file shared, so no record lock was taken
    held_here,       // another FileLock of this process kept it until the deadline
    held_elsewhere,  // another process did
  };

  LockEntry(OpenedLockFile file) noexcept;
  LockEntry(const LockEntry&) = delete;
  LockEntry& operator=(const LockEntry&) = delete;

  // Waits until `deadline` at the in-process level, then for the fcntl lock with what is left
  // (see Outcome). Throws StoreError when fcntl fails.
  Outcome acquire(LockMode mode, LockClock::time_point deadline, const std::filesystem::path& path,
                  bool pass_shared = false);
  void release(LockMode mode) noexcept;

  int fd() const noexcept { return fd_.load(std::memory_order_acquire); }
  LockCounts counts();

  // --- Owned by the registry, under its mutex. ---
  FileId id;
  bool writable;
  int references = 0;                // FileLocks and acquisitions in progress using this entry
  unsigned long long last_used = 0;  // when it went idle, by the registry's clock
  std::vector<int> spare_fds;        // other descriptors of this file: closed only when idle
  // Makes a read-write descriptor the one used for locking (after the lock file became
  // writable); the read-only one is kept open, since closing it would drop our locks.
  void adopt_writable(int fd);

 private:
  Outcome acquire_shared(std::unique_lock<std::mutex>& lock, LockClock::time_point deadline,
                         const std::filesystem::path& path);
  Outcome acquire_exclusive(std::unique_lock<std::mutex>& lock, LockClock::time_point deadline,
                            const std::filesystem::path& path, bool pass_shared);

  std::atomic<int> fd_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int readers_ = 0;             // shared holders; > 0 implies the fcntl lock is shared
  bool writer_ = false;         // exclusive holder, or the exclusive taker of the fcntl lock
  bool taking_shared_ = false;  // a thread is taking the shared fcntl lock for the readers
  int waiting_ = 0;
  int writers_waiting_ = 0;  // keeps new readers out so a writer is not starved
};

}  // namespace picklejar::store
