#include "file_name.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>

#include <picklejar/error.hpp>

namespace picklejar::store {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void refuse(const std::string& shown, const std::string& why) {
  throw StoreError(shown, std::nullopt, fmt::format("cannot open '{}': {}", shown, why));
}

fs::path real_directory(const fs::path& directory, const std::string& shown) {
  struct Free {
    void operator()(char* p) const noexcept { std::free(p); }
  };
  const std::unique_ptr<char, Free> real(::realpath(directory.c_str(), nullptr));
  if (!real)
    refuse(shown, fmt::format("its directory '{}': {}", directory.string(), std::strerror(errno)));
  return fs::path(real.get());
}

void check_name_length(const fs::path& directory, const std::string& name,
                       const std::string& shown) {
  const long limit = ::pathconf(directory.c_str(), _PC_NAME_MAX);
  const std::size_t name_max = limit > 0 ? static_cast<std::size_t>(limit) : NAME_MAX;
  if (name.size() + kLongestSuffix <= name_max) return;
  refuse(shown, fmt::format("its name is {} bytes long, and SQLite's '-journal' file next to it "
                            "would not fit the file system's limit of {} bytes: session file "
                            "names may be at most {} bytes",
                            name.size(), name_max, name_max - kLongestSuffix));
}

// The process's umask, read without changing it (umask() can only be read by setting it,
// which races with other threads creating files); Linux shows it in /proc/self/status.
mode_t current_umask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("Umask:"))
      return static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8));
  const mode_t mask = ::umask(022);
  ::umask(mask);
  return mask;
}

}  // namespace

fs::path FileName::lock_file() const {
  fs::path lock = file;
  lock += ".lock";
  return lock;
}

std::string file_uri(const fs::path& path) {
  std::string uri = "file:";
  for (const char c : path.native()) {
    const auto byte = static_cast<unsigned char>(c);
    const bool safe = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                      (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' || byte == '_' ||
                      byte == '~' || byte == '/';
    if (safe) {
      uri.push_back(c);
    } else {
      uri += fmt::format("%{:02X}", byte);
    }
  }
  return uri;
}

FileName resolve_file_name(const fs::path& given, bool follow_symlinks) {
  FileName name;
  name.shown = given.string();
  name.follow_symlinks = follow_symlinks;
  const fs::path last = given.filename();
  if (given.empty() || last.empty() || last == "." || last == "..")
    refuse(name.shown, "it names a directory, not a file");
  const fs::path directory = given.has_parent_path() ? given.parent_path() : fs::path(".");
  check_name_length(directory, last.native(), name.shown);
  // Following links, an existing file is opened (and locked) where its links lead, so that
  // every spelling of it shares one lock file, as SQLite keeps its -wal next to the target.
  std::error_code error;
  const fs::path target = follow_symlinks ? fs::canonical(given, error) : fs::path();
  name.file = follow_symlinks && !error ? target : real_directory(directory, name.shown) / last;
  name.uri = file_uri(name.file);
  return name;
}

void refuse_symlink(const FileName& name) {
  struct stat st {};
  if (name.follow_symlinks || ::lstat(name.file.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return;
  refuse(name.shown,
         "it is a symbolic link, which picklejar follows only when asked to "
         "(SessionOptions::follow_symlinks; follow_symlinks=True in Python; --follow-symlinks)");
}

mode_t default_file_mode(bool integrity_key) noexcept {
  return integrity_key ? 0600 : (0666 & ~current_umask());
}

mode_t lock_file_mode(mode_t database_mode) noexcept {
  mode_t mode = 0;
  if (database_mode & S_IWUSR) mode |= S_IRUSR | S_IWUSR;
  if (database_mode & S_IWGRP) mode |= S_IRGRP | S_IWGRP;
  if (database_mode & S_IWOTH) mode |= S_IROTH | S_IWOTH;
  return mode;
}

bool create_database_file(const FileName& name, mode_t mode) {
  const int nofollow = name.follow_symlinks ? 0 : O_NOFOLLOW;
  const int fd = ::open(name.file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | nofollow, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    refuse(name.shown, std::strerror(errno));
  }
  // A new inode, created just now: no SQLite connection of this process has it open, so
  // closing this descriptor cannot drop SQLite's locks (its howtocorrupt.html, 2.2).
  const int chmod_error = ::fchmod(fd, mode & 0777) == 0 ? 0 : errno;
  ::close(fd);
  if (chmod_error != 0) refuse(name.shown, std::strerror(chmod_error));
  return true;
}

}  // namespace picklejar::store
