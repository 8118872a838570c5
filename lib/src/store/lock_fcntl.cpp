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

#include <picklejar/error.hpp>

namespace picklejar::store {
namespace {

namespace ipc = boost::interprocess::ipcdetail;
namespace fs = std::filesystem;

// O_NONBLOCK: opening a FIFO planted at the lock path must not hang (fstat rejects it next).
constexpr int kOpenFlags = O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

[[noreturn]] void fail(const fs::path& path, const char* what, const char* why) {
  throw StoreError(path.string(), std::nullopt,
                   std::string(what) + " '" + path.string() + "': " + why);
}

[[noreturn]] void fail(const fs::path& path, const char* what, int error) {
  fail(path, what, std::strerror(error));
}

bool is_read_only_error(int error) { return error == EACCES || error == EPERM || error == EROFS; }

// Gives a lock file we just created its database's permission bits, and its owner when we
// are root (like SQLite's robust_open/robustFchown for -wal and -shm), so another user who
// may open the session may lock it and nobody else can. Best effort, as in SQLite.
void mirror_database(int fd, const fs::path& lock_file) {
  if (lock_file.extension() != ".lock") return;
  fs::path database = lock_file;
  database.replace_extension();
  struct stat st {};
  if (::stat(database.c_str(), &st) != 0) return;
  if (::geteuid() == 0) (void)!::fchown(fd, st.st_uid, st.st_gid);
  (void)::fchmod(fd, st.st_mode & 0666);
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
  return {fd, writable, FileId{st.st_dev, st.st_ino}};
}

}  // namespace

std::optional<FileId> file_id_of(const fs::path& path) noexcept {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

std::optional<OpenedLockFile> open_lock_file(const fs::path& path, bool may_be_missing) {
  int fd = ::open(path.c_str(), O_RDWR | kOpenFlags);
  if (fd >= 0) return checked(fd, true, path);
  int why = errno;
  const char* doing = "cannot open lock file";
  if (why == ENOENT) {
    // O_EXCL, so we know we created the file and may set its mode. EEXIST: created by someone
    // else since, or a dangling symlink, whose target O_CREAT alone creates (0666 & ~umask).
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | kOpenFlags, 0666);
    if (fd >= 0) {
      mirror_database(fd, path);
      return checked(fd, true, path);
    }
    if (errno == EEXIST) fd = ::open(path.c_str(), O_RDWR | O_CREAT | kOpenFlags, 0666);
    if (fd >= 0) return checked(fd, true, path);
    why = errno;
    doing = "cannot create lock file";
  }
  if (!is_read_only_error(why)) fail(path, doing, why);
  // We may not write it, or not create it: shared locks need only read access.
  fd = ::open(path.c_str(), O_RDONLY | kOpenFlags);
  if (fd >= 0) return checked(fd, false, path);
  if (errno != ENOENT) fail(path, "cannot open lock file", errno);
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

bool poll_lock_fd(int fd, LockMode mode, LockClock::time_point deadline, const fs::path& path) {
  using namespace std::chrono_literals;
  LockClock::duration pause = 50us;
  for (;;) {
    if (try_lock_fd(fd, mode, path)) return true;
    const auto now = LockClock::now();
    if (now >= deadline) return false;
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
