#pragma once
// The per-process lock registry, the one piece of global mutable state in picklejar: one
// LockEntry per lock file, keyed by the file's identity (device + inode), so every spelling of
// its path (symlinks, "dir/../file", hard links) meets the same descriptor and the same
// in-process lock.
//
// POSIX record locks belong to the process and vanish when it closes ANY descriptor of the
// file, so a descriptor is closed only with its entry, when no FileLock uses it (no lock is
// held then), and a descriptor opened for a file that already has an entry is kept as that
// entry's spare rather than closed. The lookup is a stat() of the path, not an open.
//
// fork(): the child holds none of the parent's record locks (fcntl(2): "Record locks are not
// inherited by a child created via fork(2)"), so pthread_atfork gives it a fresh, empty
// registry. The parent's registry is kept (never destroyed: other threads of the parent may
// have held its mutexes at the fork) but its descriptors are closed in the child: a close in
// the child drops only the child's own locks (none), never the parent's.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "lock_entry.hpp"

namespace picklejar::store {

class LockRegistry {
 public:
  // This process's registry (a fresh one in a forked child).
  static LockRegistry& current();

  // The entry for the lock file `path` names, with one reference for the caller (give it back
  // with unref()). Opens, and if needed creates, the lock file when this process has no entry
  // for it; exclusive needs a read-write descriptor. nullptr only when the file is missing,
  // cannot be created and `may_be_missing`. Throws StoreError.
  LockEntry* ref(const std::filesystem::path& path, LockMode mode, bool may_be_missing);

  // Gives a reference back; the last one closes the file's descriptors.
  void unref(LockEntry* entry) noexcept;

  // Test hook: the in-process state of the lock file `path` names; nullopt when this process
  // has no entry for it (so its descriptors are closed).
  std::optional<LockCounts> inspect(const std::filesystem::path& path);

 private:
  LockRegistry() = default;
  LockEntry& adopt(const OpenedLockFile& file);
  void erase(LockEntry& entry) noexcept;

  static void prepare_fork() noexcept;
  static void parent_after_fork() noexcept;
  static void child_after_fork() noexcept;

  std::mutex mutex_;
  std::map<FileId, std::unique_ptr<LockEntry>> entries_;
  LockRegistry* parent_ = nullptr;  // in a forked child: the parent's, kept reachable
};

}  // namespace picklejar::store
