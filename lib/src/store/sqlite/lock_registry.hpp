#pragma once
// The per-process lock registry, the one piece of global mutable state in picklejar: one
// LockEntry per lock file, keyed by the file's identity (device + inode), so every spelling of
// its path (symlinks, "dir/../file", hard links) meets the same descriptor and the same
// in-process lock.
//
// POSIX record locks belong to the process and vanish when it closes ANY descriptor of the
// file, so descriptors are closed only while no FileLock uses the entry (no lock is held
// then), and a descriptor opened for a file that already has an entry is kept as that
// entry's spare rather than closed. The lookup is a stat() of the path, never an open; a path
// looked up before is first tried as the file it named then, without the stat() (FileLock's
// check after locking finds a path that names another file since, and looks it up again).
//
// Idle entries (no FileLock) keep their descriptor open, up to kIdleLimit of them, least
// recently used closed first: reopening would cost four more system calls per acquire.
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
#include <string>

#include "lock_entry.hpp"

namespace picklejar::store {

class LockRegistry {
 public:
  // This process's registry (a fresh one in a forked child).
  static LockRegistry& current();

  // The entry for the lock file `path` names, with one reference for the caller (give it back
  // with unref()). Opens, and if needed creates, the lock file when this process has no entry
  // for it; exclusive needs a read-write descriptor. nullptr only when the file is missing,
  // cannot be created and `may_be_missing`. Throws StoreError. With `recent`, a path seen
  // before gives the entry of the file it named then, without a stat(): the caller must check
  // that the path still names it (file_id_of) and ask again without `recent` if not.
  LockEntry* ref(const std::filesystem::path& path, LockMode mode, bool may_be_missing, bool recent,
                 std::optional<mode_t> database_mode = std::nullopt);

  // Gives a reference back; the last one makes the entry idle (spare descriptors closed).
  void unref(LockEntry* entry) noexcept;

  static constexpr int kIdleLimit = 8;  // idle entries whose descriptor stays open

  // Test hook: the in-process state of the lock file `path` names; nullopt when this process
  // has no entry for it (so no descriptor of it is open).
  std::optional<LockCounts> inspect(const std::filesystem::path& path);

 private:
  LockRegistry() = default;
  LockEntry* find(const FileId& id, LockMode mode);
  LockEntry& adopt(const OpenedLockFile& file);
  LockEntry* take(LockEntry& entry) noexcept;
  void unref_locked(LockEntry& entry) noexcept;
  void evict_idle() noexcept;
  void remember(const std::filesystem::path& path, const FileId& id);

  static void prepare_fork() noexcept;
  static void parent_after_fork() noexcept;
  static void child_after_fork() noexcept;

  std::mutex mutex_;
  std::map<FileId, std::unique_ptr<LockEntry>> entries_;
  // The file each path named when last looked up (for ref()'s `recent`); a stale one costs a
  // lock and a retry, never a wrong lock. Cleared when it passes kRecentLimit paths.
  std::map<std::string, FileId, std::less<>> recent_;
  static constexpr std::size_t kRecentLimit = 64;
  int idle_ = 0;                    // entries without references
  unsigned long long clock_ = 0;    // orders idle entries by last use
  LockRegistry* parent_ = nullptr;  // in a forked child: the parent's, kept reachable
};

}  // namespace picklejar::store
