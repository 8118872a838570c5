#include "file_stamp.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

namespace picklejar::store {
namespace {

bool same_time(const timespec& a, const timespec& b) noexcept {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool same(const FileStamp::Part& a, const FileStamp::Part& b) noexcept {
  return a.exists == b.exists && a.device == b.device && a.inode == b.inode && a.size == b.size &&
         same_time(a.modified, b.modified) && same_time(a.changed, b.changed);
}

FileStamp::Part stamp_of(const char* file) {
  struct stat st {};
  FileStamp::Part part;
  if (::stat(file, &st) != 0) return part;  // missing (or unreadable: seen as missing)
  part.exists = true;
  part.device = st.st_dev;
  part.inode = st.st_ino;
  part.size = st.st_size;
  part.modified = st.st_mtim;
  part.changed = st.st_ctim;
  return part;
}

// FNV-1a over the fields, one 64-bit word at a time.
std::uint64_t mix(std::uint64_t hash, std::uint64_t word) noexcept {
  for (int i = 0; i < 8; ++i) {
    hash ^= (word >> (8 * i)) & 0xff;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::uint64_t mix(std::uint64_t hash, const FileStamp::Part& part) noexcept {
  const std::uint64_t words[] = {
      part.exists ? 1U : 0U,
      static_cast<std::uint64_t>(part.device),
      static_cast<std::uint64_t>(part.inode),
      static_cast<std::uint64_t>(part.size),
      static_cast<std::uint64_t>(part.modified.tv_sec),
      static_cast<std::uint64_t>(part.modified.tv_nsec),
      static_cast<std::uint64_t>(part.changed.tv_sec),
      static_cast<std::uint64_t>(part.changed.tv_nsec),
  };
  for (const std::uint64_t word : words) hash = mix(hash, word);
  return hash;
}

}  // namespace

bool operator==(const FileStamp& a, const FileStamp& b) noexcept {
  return same(a.file, b.file) && same(a.wal, b.wal) && same(a.shm, b.shm);
}

std::uint64_t FileStamp::version() const noexcept {
  return mix(mix(mix(0xcbf29ce484222325ULL, file), wal), shm);
}

FileStamp take_file_stamp(const std::filesystem::path& file) {
  FileStamp stamp;
  stamp.file = stamp_of(file.c_str());
  std::filesystem::path wal = file;
  wal += "-wal";
  stamp.wal = stamp_of(wal.c_str());
  std::filesystem::path shm = file;
  shm += "-shm";
  stamp.shm = stamp_of(shm.c_str());
  return stamp;
}

bool wal_index_unmakeable(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  unsigned char versions[2] = {0, 0};
  const ssize_t got = ::pread(fd, versions, sizeof versions, 18);
  ::close(fd);
  if (got != 2 || versions[0] != 2 || versions[1] != 2) return false;
  const std::filesystem::path directory = file.has_parent_path() ? file.parent_path() : ".";
  return ::faccessat(AT_FDCWD, directory.c_str(), W_OK | X_OK, AT_EACCESS) != 0;
}

bool cannot_index_wal(int code) noexcept {
  return code == SQLITE_READONLY_DIRECTORY || code == SQLITE_READONLY_CANTINIT ||
         code == SQLITE_READONLY_RECOVERY || code == SQLITE_CANTOPEN;
}

}  // namespace picklejar::store
