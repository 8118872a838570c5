#include "lock_fcntl.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/interprocess/detail/os_file_functions.hpp>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include <fmt/format.h>

#include <picklejar/error.hpp>

#include "file_name.hpp"

namespace picklejar::store {
namespace {

namespace ipc = boost::interprocess::ipcdetail;
namespace fs = std::filesystem;

// O_NONBLOCK: opening a FIFO planted at the lock path must not hang (fstat rejects it next).
// O_NOFOLLOW: a symbolic link planted at the lock path must not make us open (or create) the
// file it points to.
constexpr int kOpenFlags = O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW;

[[noreturn]] void fail(const fs::path& path, const char* what, const char* why) {
  throw StoreError(path.string(), std::nullopt,
                   std::string(what) + " '" + path.string() + "': " + why);
}

[[noreturn]] void fail(const fs::path& path, const char* what, int error) {
  fail(path, what, std::strerror(error));
}

bool is_read_only_error(int error) { return error == EACCES || error == EPERM || error == EROFS; }

std::filesystem::path database_of(const fs::path& lock_file) {
  fs::path database = lock_file;
  if (database.extension() == ".lock") database.replace_extension();
  return database;
}

// Gives a lock file we just created read and write permission for the users who may write its
// database, and its owner when we are root (as SQLite's robust_open/robustFchown give -wal and
// -shm the database's), so that nobody who can only read the session can hold a lock on it.
void set_up_new(int fd, const fs::path& lock_file, std::optional<mode_t> database_mode) {
  struct stat st {};
  if (lock_file.extension() == ".lock" && ::stat(database_of(lock_file).c_str(), &st) == 0) {
    if (::geteuid() == 0) (void)!::fchown(fd, st.st_uid, st.st_gid);
    (void)::fchmod(fd, lock_file_mode(st.st_mode));
  } else {
    (void)::fchmod(fd, lock_file_mode(database_mode.value_or(default_file_mode(false))));
  }
}

// A lock file another user owns is theirs to lock forever (or to have planted): only ours, and
// the database owner's (who made it for everyone who may write the session), are used.
void check_owner(int fd, const struct stat& st, const fs::path& path) {
  if (st.st_uid == ::geteuid() || st.st_uid == 0) return;  // root could do anything anyway
  struct stat database {};
  if (::stat(database_of(path).c_str(), &database) == 0 && st.st_uid == database.st_uid) return;
  ::close(fd);
  fail(path, "cannot use lock file",
       fmt::format("it belongs to user {}, neither this process's user ({}) nor the owner of "
                   "the database",
                   st.st_uid, ::geteuid())
           .c_str());
}

OpenedLockFile checked(int fd, bool writable, const fs::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);  // a descriptor of a file we know nothing about: no lock of ours is on it
    fail(path, "cannot stat lock file", error);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, "cannot use lock file", "not a regular file");
  }
  check_owner(fd, st, path);
  return {fd, writable, FileId{st.st_dev, st.st_ino}};
}

[[noreturn]] void fail_open(const fs::path& path, const char* doing, int error) {
  if (error == ELOOP)
    fail(path, doing, "it is a symbolic link, which picklejar never follows for a lock file");
  fail(path, doing, error);
}

}  // namespace

std::optional<FileId> file_id_of(const fs::path& path) noexcept {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

std::optional<OpenedLockFile> open_lock_file(const fs::path& path, bool may_be_missing,
                                             std::optional<mode_t> database_mode) {
  int fd = ::open(path.c_str(), O_RDWR | kOpenFlags);
  if (fd >= 0) return checked(fd, true, path);
  int why = errno;
  const char* doing = "cannot open lock file";
  if (why == ENOENT) {
    // O_EXCL, so we know we created the file and may set its mode and owner. EEXIST: another
    // process created it since (opened as found), or something was planted there (O_EXCL
    // never follows a symbolic link: the open below then fails with ELOOP).
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | kOpenFlags, 0600);
    if (fd >= 0) {
      set_up_new(fd, path, database_mode);
      return checked(fd, true, path);
    }
    why = errno;
    doing = "cannot create lock file";
    if (why == EEXIST) {
      fd = ::open(path.c_str(), O_RDWR | kOpenFlags);
      if (fd >= 0) return checked(fd, true, path);
      why = errno;
      doing = "cannot open lock file";
    }
  }
  if (!is_read_only_error(why)) fail_open(path, doing, why);
  // We may not write it, or not create it: shared locks need only read access.
  fd = ::open(path.c_str(), O_RDONLY | kOpenFlags);
  if (fd >= 0) return checked(fd, false, path);
  if (errno != ENOENT) fail_open(path, "cannot open lock file", errno);
  if (may_be_missing) return std::nullopt;
  fail(path, "cannot create lock file", why);
}

bool try_lock_fd(int fd, LockMode mode, const fs::path& path) {
  bool acquired = false;
  const bool ok = mode == LockMode::exclusive ? ipc::try_acquire_file_lock(fd, acquired)
                                              : ipc::try_acquire_file_lock_sharable(fd, acquired);
  if (!ok) fail(path, "cannot lock", errno);
  return acquired;
}

namespace {

// Whether the lock that kept an exclusive request out is another process's shared lock.
bool held_shared(int fd) noexcept {
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  return ::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type == F_RDLCK;
}

}  // namespace

PollResult poll_lock_fd(int fd, LockMode mode, LockClock::time_point deadline, const fs::path& path,
                        bool pass_shared) {
  using namespace std::chrono_literals;
  LockClock::duration pause = 50us;
  for (;;) {
    if (try_lock_fd(fd, mode, path)) return PollResult::locked;
    if (pass_shared && mode == LockMode::exclusive && held_shared(fd)) return PollResult::shared;
    const auto now = LockClock::now();
    if (now >= deadline) return PollResult::timed_out;
    std::this_thread::sleep_for(std::min(pause, deadline - now));
    pause = std::min<LockClock::duration>(pause * 2, 1ms);
  }
}

void unlock_fd(int fd) noexcept {
  // F_UNLCK over the whole file never splits a lock, so it needs no new lock record (no
  // ENOLCK); EBADF would be our bug.
  (void)ipc::release_file_lock(fd);
}

std::optional<pid_t> lock_holder(int fd, LockMode mode) noexcept {
  struct flock probe {};
  probe.l_type = mode == LockMode::exclusive ? F_WRLCK : F_RDLCK;
  probe.l_whence = SEEK_SET;
  if (::fcntl(fd, F_GETLK, &probe) != 0 || probe.l_type == F_UNLCK) return std::nullopt;
  return std::max<pid_t>(probe.l_pid, 0);
}

}  // namespace picklejar::store
