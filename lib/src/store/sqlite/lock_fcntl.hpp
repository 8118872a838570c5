#pragma once
// The cross-process half of FileLock: opening the sidecar lock file, and POSIX record locks
// over the whole of it (l_whence = SEEK_SET, l_start = 0, l_len = 0: every byte, present and
// future), taken through Boost.Interprocess's file-lock primitives.
//
// Why not a boost::interprocess::file_lock object: in Boost 1.74 it opens the file itself
// (without O_CLOEXEC) and neither adopts nor exposes a descriptor, so the registry could not
// fstat() it to learn which file it opened, nor keep it out of exec'd children. The functions
// below are the very ones file_lock::try_lock / try_lock_sharable / unlock call, on a
// descriptor we own. file_lock::timed_lock is not used: it spins (pause, yield, one-tick
// sleeps) and burns a core while waiting; poll_lock() sleeps with a growing backoff instead.

#include <sys/types.h>

#include <chrono>
#include <compare>
#include <filesystem>
#include <optional>

#include "file_lock.hpp"

namespace picklejar::store {

using LockClock = std::chrono::steady_clock;

// A file's identity: the same for every path spelling (symlinks, "dir/../file", hard links).
// Unique while we keep a descriptor of the file open (the inode cannot be reused until then).
struct FileId {
  dev_t device = 0;
  ino_t inode = 0;
  auto operator<=>(const FileId&) const = default;
};

// The identity of the file `path` names now, or nullopt when stat() fails.
std::optional<FileId> file_id_of(const std::filesystem::path& path) noexcept;

struct OpenedLockFile {
  int fd = -1;
  bool writable = false;  // opened read-write; false: read-only, shared locks only
  FileId id;
};

// Opens `path` for locking, creating it if missing (never truncating), never through a
// symbolic link (O_NOFOLLOW). A new lock file gets read and write permission for each class of
// users that may write its database (lock_file_mode(), file_name.hpp), and its owner when we
// are root; without a database yet, the database's mode is `database_mode` (when given) or
// 0666 & ~umask. An existing lock file we may not write is opened read-only. A lock file that
// is a symbolic link, not a regular file, or owned by another user than ours or the
// database's is refused (StoreError): another user could hold locks on it, or have planted it
// to make us create a file elsewhere. When the file is missing and cannot be created because
// its directory or file system is read-only (EACCES, EPERM, EROFS), returns nullopt if
// `may_be_missing`; throws StoreError otherwise and for every other failure.
std::optional<OpenedLockFile> open_lock_file(const std::filesystem::path& path, bool may_be_missing,
                                             std::optional<mode_t> database_mode = std::nullopt);

// One non-blocking attempt (F_SETLK). Throws StoreError on errors other than "held".
bool try_lock_fd(int fd, LockMode mode, const std::filesystem::path& path);

enum class PollResult {
  locked,     // this process holds the lock now
  timed_out,  // another process held it until the deadline
  shared,     // (with `pass_shared`) other processes hold it shared: not taken, not waited for
};

// Tries until `deadline`, sleeping between tries with a backoff growing from 50 µs to 1 ms;
// always tries at least once. With `pass_shared` (exclusive requests), returns
// PollResult::shared as soon as a try fails because of another process's shared lock
// (F_GETLK says F_RDLCK).
PollResult poll_lock_fd(int fd, LockMode mode, LockClock::time_point deadline,
                        const std::filesystem::path& path, bool pass_shared = false);

// Drops this process's lock on the whole file. Cannot fail on a descriptor we own.
void unlock_fd(int fd) noexcept;

// For error messages: the pid of a process holding a lock that conflicts with `mode`
// (F_GETLK), 0 when it is unknown (another pid namespace), nullopt when none does now.
std::optional<pid_t> lock_holder(int fd, LockMode mode) noexcept;

}  // namespace picklejar::store
