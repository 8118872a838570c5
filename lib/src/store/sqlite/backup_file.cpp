#include "backup_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <picklejar/error.hpp>

#include "entry_rows.hpp"

namespace picklejar::store {
namespace {

[[noreturn]] void io_failed(const std::string& what, const std::filesystem::path& path) {
  throw StoreError(path.string(), std::nullopt,
                   fmt::format("{} '{}': {}", what, path.string(), std::strerror(errno)));
}

// A file under a temporary name next to `target`, removed unless renamed to it.
class TempFile {
 public:
  explicit TempFile(const std::filesystem::path& target) : target_(target) {
    std::string name = target.string() + ".tmp-XXXXXX";
    fd_ = ::mkstemp(name.data());
    if (fd_ < 0) io_failed("cannot create a temporary file next to", target);
    path_ = std::move(name);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!renamed_) ::unlink(path_.c_str());
  }
  const std::string& path() const noexcept { return path_; }

  // The permission bits of `source` (mkstemp makes the file 0600).
  void copy_mode(const std::filesystem::path& source) {
    struct stat st {};
    if (::stat(source.c_str(), &st) == 0) ::fchmod(fd_, st.st_mode & 07777);
  }
  // SQLite does not sync what VACUUM INTO writes: this does, before the rename.
  void sync() {
    if (::fsync(fd_) != 0) io_failed("cannot write", path_);
  }
  void rename_into_place() {
    if (::rename(path_.c_str(), target_.c_str()) != 0)
      io_failed("cannot rename the backup to", target_);
    renamed_ = true;
    std::filesystem::path directory = target_.parent_path();
    if (directory.empty()) directory = ".";
    const int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {  // the rename itself must survive a power cut too
      ::fsync(dir);
      ::close(dir);
    }
  }

 private:
  std::filesystem::path target_;
  std::string path_;
  int fd_ = -1;
  bool renamed_ = false;
};

// A read-only session connection refuses VACUUM INTO (PRAGMA query_only); the connection is
// opened read-only anyway, so nothing of the file can be written meanwhile.
class QueryOnlyOff {
 public:
  explicit QueryOnlyOff(Db& db) : db_(db) {
    auto q = db_.query("PRAGMA query_only");
    was_on_ = q->step() && q->column_int(0) != 0;
    if (was_on_) db_.exec("PRAGMA query_only = 0");
  }
  QueryOnlyOff(const QueryOnlyOff&) = delete;
  QueryOnlyOff& operator=(const QueryOnlyOff&) = delete;
  ~QueryOnlyOff() {
    if (was_on_) sqlite3_exec(db_.handle(), "PRAGMA query_only = 1", nullptr, nullptr, nullptr);
  }

 private:
  Db& db_;
  bool was_on_ = false;
};

BackupInfo check_copy(const std::string& copy_path, const std::filesystem::path& source,
                      const Signer& signer, const DbLimits& limits) {
  const auto copy = Db::open(copy_path, Db::Access::read_only, limits);
  const Inspection found = inspect(*copy);
  if (found.kind != Inspection::Kind::picklejar)
    throw FormatError(source.string(), std::nullopt,
                      fmt::format("the backup of '{}' is not a session file", source.string()));
  std::vector<std::string> problems;
  {
    auto q = copy->query("PRAGMA integrity_check");
    while (q->step())
      if (q->column_text(0) != "ok") problems.emplace_back(q->column_text(0));
  }
  if (!problems.empty())
    throw FormatError(source.string(), std::nullopt,
                      fmt::format("the backup of '{}' fails SQLite's integrity check: {}",
                                  source.string(), problems.front()));
  BackupInfo info;
  info.revision = found.meta.revision;
  // The copy is the same file: its digests verify under its own rule (and id).
  const Signer bound = signer.for_file(signing_file_id(found.meta));
  Transaction txn(*copy, Transaction::Kind::read);
  auto q = copy->query("SELECT key, pickle, digest FROM entries ORDER BY key");
  while (q->step()) {
    ++info.entries;
    const std::string_view key = row_key(*q, 0, "entries", copy_path);
    if (!bound.verify(key, q->column_blob(1), q->column_blob(2)))
      info.unverified_keys.emplace_back(key);
  }
  return info;
}

}  // namespace

BackupInfo write_backup(Db& db, const std::filesystem::path& source,
                        const std::filesystem::path& out, const Signer& signer,
                        const DbLimits& limits, const std::function<void()>& before_publishing) {
  TempFile temp(out);
  temp.copy_mode(source);
  {
    const QueryOnlyOff writable_copy(db);
    const std::unique_ptr<char, decltype(&sqlite3_free)> sql(
        sqlite3_mprintf("VACUUM INTO %Q", temp.path().c_str()), &sqlite3_free);
    if (!sql) db.fail(SQLITE_NOMEM, "cannot back up");
    // One read transaction of its own: a consistent snapshot, whatever others write meanwhile.
    db.exec_unlimited(sql.get());
  }
  temp.sync();
  BackupInfo info = check_copy(temp.path(), source, signer, limits);
  if (before_publishing) before_publishing();
  temp.rename_into_place();
  info.path = out;
  std::error_code error;
  const auto size = std::filesystem::file_size(out, error);
  info.bytes = error ? 0 : static_cast<std::int64_t>(size);
  return info;
}

Meta read_file_meta(const std::filesystem::path& file, const DbLimits& limits) {
  std::error_code error;
  if (!std::filesystem::exists(file, error))
    throw StoreError(file.string(), std::nullopt,
                     fmt::format("cannot open '{}': no such file", file.string()));
  const auto db = Db::open(file, Db::Access::read_only, limits);
  const Inspection found = inspect(*db);
  if (found.kind != Inspection::Kind::picklejar)
    throw FormatError(file.string(), std::nullopt,
                      fmt::format("not a picklejar file '{}': it is empty", file.string()));
  return found.meta;
}

}  // namespace picklejar::store
