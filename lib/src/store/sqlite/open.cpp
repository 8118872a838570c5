// Opening a session file: look at the file with reads only and without a lock, decide what
// opening it takes (create, upgrade, migrate, or refuse), then do that: a creation or an
// upgrade in one write transaction that looks again first (another process may have done it
// meanwhile). The session makes the first load before anything else changes the file, and
// only then does ready() set the journal mode.

#include <fmt/format.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <picklejar/session.hpp>

#include "filesystem.hpp"
#include "format_steps.hpp"
#include "schema_check.hpp"
#include "sqlite_backend.hpp"

namespace picklejar::store {
namespace {

bool file_exists(const FileName& name) {
  struct stat st {};
  if (::lstat(name.file.c_str(), &st) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  throw StoreError(name.shown, std::nullopt,
                   fmt::format("cannot open '{}': {}", name.shown, std::strerror(errno)));
}

std::string pragma_text(Db& db, const char* sql) {
  auto q = db.query(sql);
  if (!q->step()) db.fail(SQLITE_ERROR, "no result from a pragma on");
  return std::string(q->column_text(0));
}

}  // namespace

// The steps of opening, with what they share.
class SqliteOpen {
 public:
  SqliteOpen(SqliteBackend& backend, const OpenRequest& request) : b_(backend), request_(request) {}

  OpenPlan run() {
    if (request_.options.mode != OpenMode::create && !file_exists(b_.file_))
      throw StoreError(b_.name_, std::nullopt,
                       fmt::format("cannot open '{}': no such file", b_.name_));
    auto [found, plan] = look_and_decide();
    b_.file_format_ = found.format_version;
    const bool backup =
        found.kind == Inspection::Kind::picklejar && b_.keep_backups_ > 0 && !b_.read_only_;
    if (plan.create || plan.upgrade) {
      const FileLock held = b_.writer_lock();
      if (plan.create) create_database_file(b_.file_, b_.new_file_mode_);
      open_connection(plan.create ? Db::Access::create : Db::Access::read_write);
      if (backup) b_.automatic_backup(found.meta, request_.signer);
      plan = create_or_upgrade();
    } else {
      open_connection(b_.read_only_ ? Db::Access::read_only : Db::Access::read_write);
      if (backup) b_.automatic_backup(found.meta, request_.signer);
    }
    return plan;
  }

 private:
  // What the file holds, read without a lock: look_at() first (nothing may appear next to a
  // file that is not ours), then a read-only connection. SQLite's crash recovery (a hot
  // journal, a WAL without its index) needs write access; a writable session then reads
  // through a read-write connection instead, which still writes nothing of its own.
  //
  // A read-only session of a WAL-mode file in a directory it may not write cannot make the
  // file's index when no writer has it open: it reads through a connection of its own per
  // read transaction (SqliteBackend::begin_read()), and so does this first look.
  Inspection inspect_file() {
    const Inspection first = look_at(b_.file_, b_.limits_);
    if (first.kind != Inspection::Kind::picklejar) return first;
    if (b_.read_only_ && wal_index_unmakeable(b_.file_.file)) {
      b_.unindexed_ = true;
      std::optional<Transaction> txn;
      b_.begin_read(txn);
      Inspection found = inspect_current(*b_.db_);
      txn->commit();
      b_.check_read_stamp();
      return found;
    }
    try {
      return inspect(*Db::open(b_.file_, Db::Access::read_only, b_.limits_));
    } catch (const SqliteError& e) {
      const int code = e.code();
      const bool needs_recovery = code == SQLITE_READONLY_ROLLBACK ||
                                  code == SQLITE_READONLY_RECOVERY ||
                                  code == SQLITE_READONLY_CANTINIT || code == SQLITE_CANTOPEN;
      if (!needs_recovery || b_.read_only_) throw;
    }
    return inspect(*Db::open(b_.file_, Db::Access::read_write, b_.limits_));
  }

  OpenPlan decide(const Inspection& found) const {
    OpenPlan plan;
    const OpenMode mode = request_.options.mode;
    switch (found.kind) {
      case Inspection::Kind::missing:
        if (mode != OpenMode::create)
          throw StoreError(b_.name_, std::nullopt,
                           fmt::format("cannot open '{}': no such file", b_.name_));
        plan.create = true;
        return plan;
      case Inspection::Kind::empty:
        if (mode != OpenMode::create)
          throw FormatError(b_.name_, std::nullopt,
                            fmt::format("not a picklejar file '{}': it is empty "
                                        "(OpenMode::create makes an empty file a new session)",
                                        b_.name_));
        plan.create = true;
        return plan;
      case Inspection::Kind::picklejar:
        break;
    }
    check_format_version(request_, found.format_version, found.meta.min_reader_version, plan);
    check_integrity_key(request_, found.meta);
    check_app_schema(request_, found.meta, plan);
    return plan;
  }

  // Inspects and decides without a lock. Readers take none, so a first look may fall in the
  // middle of another process's creation (an empty file): a refusal is confirmed by a second
  // look after any writer holding the lock file is done.
  std::pair<Inspection, OpenPlan> look_and_decide() {
    try {
      Inspection found = inspect_file();
      const OpenPlan plan = decide(found);
      return {std::move(found), plan};
    } catch (const FormatError&) {
      b_.wait_for_writers();
    }
    Inspection found = inspect_file();
    const OpenPlan plan = decide(found);
    return {std::move(found), plan};
  }

  void open_connection(Db::Access access) {
    if (b_.unindexed_) access = Db::Access::page_one;  // until the first read transaction
    b_.db_ = Db::open(b_.file_, access, b_.limits_);
    if (b_.read_only_) b_.db_->exec("PRAGMA query_only = 1");
  }

  // Under the writers' lock, in one write transaction: looks at the file again (another
  // process may have created or upgraded it since the first look) and creates or upgrades it
  // as it now needs. A file that must be refused now is left as it was (the transaction rolls
  // back).
  OpenPlan create_or_upgrade() {
    Transaction txn(*b_.db_, Transaction::Kind::write);
    const Inspection found = inspect_current(*b_.db_);
    const OpenPlan plan = decide(found);
    if (plan.create) create_schema(*b_.db_, new_store_meta(request_));
    if (plan.upgrade)
      upgrade_format(*b_.db_, found.format_version, kFormatVersion, format_steps(),
                     request_.signer);
    txn.commit();
    b_.file_format_ = plan.create || plan.upgrade ? kFormatVersion : found.format_version;
    return plan;
  }

  SqliteBackend& b_;
  const OpenRequest& request_;
};

SqliteBackend::SqliteBackend(const OpenRequest& request)
    : path_(request.path),
      name_(request.name),
      file_(resolve_file_name(request.path, request.options.follow_symlinks)),
      lock_file_(file_.lock_file()),
      new_file_mode_(
          request.options.file_mode
              ? static_cast<mode_t>(*request.options.file_mode)
              : default_file_mode(request.options.integrity_key.has_value() ||
                                  request.signer.scheme() == IntegrityScheme::hmac_sha256)),
      read_only_(request.options.mode == OpenMode::read_only),
      lock_timeout_(request.options.lock_timeout),
      durability_(request.options.durability),
      filesystem_(request.options.filesystem),
      limits_(db_limits(request.options)),
      keep_backups_(request.options.keep_backups),
      backup_directory_(request.options.backup_directory) {}

std::pair<std::unique_ptr<SqliteBackend>, OpenPlan> SqliteBackend::open(
    const OpenRequest& request) {
  auto backend = std::make_unique<SqliteBackend>(request);
  const OpenPlan plan = SqliteOpen(*backend, request).run();
  return {std::move(backend), plan};
}

// After the first load (a file refused there is left as it was): WAL, or the rollback journal
// on a network file system, and the durability's synchronous setting; then the change feed,
// which watches what the journal mode says.
void SqliteBackend::ready() {
  bool rollback_journal = filesystem_ == FilesystemCheck::network;
  if (filesystem_ == FilesystemCheck::detect) {
    const auto type = filesystem_type(file_.file);
    rollback_journal = type && is_network_filesystem(*type);
  }
  if (!read_only_ && rollback_journal) {
    db_->exec("PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL");
  } else if (!read_only_) {
    db_->exec("PRAGMA journal_mode = WAL");
    db_->exec(durability_ == Durability::durable ? "PRAGMA synchronous = FULL"
                                                 : "PRAGMA synchronous = NORMAL");
  }
  // An immutable connection says "delete" for a WAL-mode file.
  journal_mode_ = unindexed_ ? "wal" : pragma_text(*db_, "PRAGMA journal_mode");
  static constexpr const char* kSynchronous[] = {"off", "normal", "full", "extra"};
  const std::string level = pragma_text(*db_, "PRAGMA synchronous");
  synchronous_ = level.size() == 1 && level[0] >= '0' && level[0] <= '3'
                     ? kSynchronous[level[0] - '0']
                     : level;
  // Rollback-journal files are those on network file systems (or treated as such), where
  // inotify sees no other machine's writes: they poll.
  feed_ = sqlite_change_feed([this] { return feed_version(); }, path_,
                             journal_mode_ != "wal" && !unindexed_);
}

std::vector<std::string> sqlite_schema_problems(const std::filesystem::path& path,
                                                const SessionOptions& options) {
  const FileName name = resolve_file_name(path, options.follow_symlinks);
  if (!file_exists(name))
    throw StoreError(name.shown, std::nullopt,
                     fmt::format("cannot open '{}': no such file", name.shown));
  refuse_symlink(name);
  const auto db = Db::open(name, Db::Access::read_only, db_limits(options));
  Transaction txn(*db, Transaction::Kind::read);
  auto version = db->query("PRAGMA user_version");
  if (!version->step()) db->fail(SQLITE_ERROR, "no result from a pragma on");
  return schema_problems(*db, version->column_int(0));
}

}  // namespace picklejar::store
