// find_zone(): a zoneinfo key checked, looked up in the system's time zone database, read
// (bounded, regular files only) and cached for the process.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <picklejar/error.hpp>

#include "zone.hpp"

namespace picklejar::tz {
namespace {

// Larger than any zone file (the largest in tzdata 2024 is under 4 KB; "fat" ones ~ 3 KB).
constexpr std::size_t kMaxZoneFileBytes = 1 << 20;
// Distinct zones kept; past it the cache starts over (a process rarely meets more than a few).
constexpr std::size_t kMaxCachedZones = 256;

bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '+' || c == '-' || c == '.';
}

// A relative path of plain parts: nothing a pickle could use to reach another file.
void check_key(std::string_view key) {
  if (key.empty() || key.size() > 255) throw ValueError("a zone key must be 1-255 characters");
  std::size_t start = 0;
  while (start <= key.size()) {
    std::size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    const std::string_view part = key.substr(start, end - start);
    if (part.empty() || part == "." || part == "..")
      throw ValueError("a zone key must be a relative path without empty, '.' or '..' parts");
    for (const char c : part)
      if (!key_char(c)) throw ValueError("a zone key holds only letters, digits and _+-./");
    start = end + 1;
  }
}

std::vector<std::string> search_path() {
  if (const char* dir = std::getenv("TZDIR"); dir && *dir) return {dir};
  return {"/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo", "/etc/zoneinfo"};
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// The file's bytes, or nullopt when there is no regular file (of a sane size) at `path`.
std::optional<std::string> read_zone_file(const std::string& path) {
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  struct stat st {};
  if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) > kMaxZoneFileBytes)
    return std::nullopt;
  std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

std::shared_ptr<const Zone> load_zone(std::string_view key) {
  const std::vector<std::string> dirs = search_path();
  for (const std::string& dir : dirs) {
    const std::string path = fmt::format("{}/{}", dir, key);
    std::optional<std::string> bytes = read_zone_file(path);
    if (!bytes) continue;
    try {
      return std::make_shared<const Zone>(Zone::from_tzif(*bytes));
    } catch (const ValueError& e) {
      throw ValueError(fmt::format("{}: {}", path, e.what()));
    }
  }
  std::string list;
  for (const std::string& dir : dirs) list += (list.empty() ? "" : ", ") + dir;
  throw ValueError(fmt::format("no such zone in the time zone database ({})", list));
}

}  // namespace

std::shared_ptr<const Zone> find_zone(std::string_view key) {
  check_key(key);
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const Zone>, std::less<>> cache;
  {
    const std::lock_guard<std::mutex> lock(mutex);
    if (const auto it = cache.find(key); it != cache.end()) return it->second;
  }
  std::shared_ptr<const Zone> zone = load_zone(key);  // outside the lock: file I/O
  const std::lock_guard<std::mutex> lock(mutex);
  if (cache.size() >= kMaxCachedZones) cache.clear();
  return cache.try_emplace(std::string(key), std::move(zone)).first->second;
}

}  // namespace picklejar::tz
