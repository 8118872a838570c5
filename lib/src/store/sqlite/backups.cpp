// The automatic backups of a session file that SessionOptions::keep_backups asks for, and
// list_backups(), which finds them.

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <system_error>

#include <picklejar/session.hpp>

#include "backup_file.hpp"
#include "sqlite_backend.hpp"

namespace picklejar {
namespace {

using std::chrono::system_clock;
namespace fs = std::filesystem;

constexpr std::string_view kBackupInfix = ".backup-";
// "20261207T084233.645309Z": sorts by time, and is a valid file name everywhere.
constexpr std::size_t kStampSize = 23;

std::string stamp(system_clock::time_point time) {
  using namespace std::chrono;
  const auto us = floor<microseconds>(time);
  const auto day = floor<days>(us);
  const year_month_day date(day);
  const hh_mm_ss clock(us - day);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}.{:06}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count(),
                     clock.subseconds().count());
}

std::optional<int> digits(std::string_view text, std::size_t at, std::size_t count) {
  int n = 0;
  const char* first = text.data() + at;
  const auto [end, error] = std::from_chars(first, first + count, n);
  if (error != std::errc() || end != first + count) return std::nullopt;
  return n;
}

std::optional<system_clock::time_point> parse_stamp(std::string_view text) {
  using namespace std::chrono;
  if (text.size() != kStampSize || text[8] != 'T' || text[15] != '.' || text[22] != 'Z')
    return std::nullopt;
  const auto y = digits(text, 0, 4), mo = digits(text, 4, 2), d = digits(text, 6, 2);
  const auto h = digits(text, 9, 2), mi = digits(text, 11, 2), s = digits(text, 13, 2);
  const auto us = digits(text, 16, 6);
  if (!y || !mo || !d || !h || !mi || !s || !us) return std::nullopt;
  const year_month_day date{year{*y}, month{static_cast<unsigned>(*mo)},
                            day{static_cast<unsigned>(*d)}};
  if (!date.ok() || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;
  return sys_days(date) + hours(*h) + minutes(*mi) + seconds(*s) + microseconds(*us);
}

fs::path backup_directory(const fs::path& file, const fs::path& directory) {
  if (!directory.empty()) return directory;
  return file.has_parent_path() ? file.parent_path() : fs::path(".");
}

// Whether the backup `backup` holds revision `meta.revision` of the file `meta` describes.
bool holds(const fs::path& backup, const store::Meta& meta, const store::DbLimits& limits) {
  try {
    const store::Meta found = store::read_file_meta(backup, limits);
    return found.created_us == meta.created_us && found.revision == meta.revision;
  } catch (const Error&) {
    return false;  // unreadable: make a new one
  }
}

}  // namespace

std::vector<BackupFile> list_backups(const fs::path& file, const fs::path& directory) {
  const fs::path where = backup_directory(file, directory);
  const std::string prefix = file.filename().string() + std::string(kBackupInfix);
  std::vector<BackupFile> found;
  std::error_code error;
  fs::directory_iterator it(where, error);
  if (error == std::errc::no_such_file_or_directory) return found;
  for (; !error && it != fs::directory_iterator(); it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix)) continue;
    if (const auto time = parse_stamp(std::string_view(name).substr(prefix.size())))
      found.push_back({it->path(), *time});
  }
  if (error)
    throw StoreError(
        where.string(), std::nullopt,
        fmt::format("cannot list the backups in '{}': {}", where.string(), error.message()));
  std::sort(found.begin(), found.end(),
            [](const BackupFile& a, const BackupFile& b) { return a.time > b.time; });
  return found;
}

fs::path next_backup_path(const fs::path& file, const fs::path& directory) {
  const fs::path where = directory.empty() ? file.parent_path() : directory;  // "" for "."
  return where /
         (file.filename().string() + std::string(kBackupInfix) + stamp(system_clock::now()));
}

void store::SqliteBackend::automatic_backup(const store::Meta& found, const store::Signer& signer) {
  const fs::path where = backup_directory(path_, backup_directory_);
  std::vector<BackupFile> backups = list_backups(path_, where);
  if (backups.empty() || !holds(backups.front().path, found, limits_)) {
    const fs::path out = next_backup_path(path_, where);
    copy_checked(out, signer);
    backups.insert(backups.begin(), {out, system_clock::now()});
  }
  for (std::size_t i = keep_backups_; i < backups.size(); ++i) {
    std::error_code ignored;  // one that cannot go stays; the next open tries again
    fs::remove(backups[i].path, ignored);
  }
}

}  // namespace picklejar
