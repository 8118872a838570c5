// The session file backend: one SQLite transaction per session transaction (BEGIN, or the
// writers' lock then BEGIN IMMEDIATE), the tables of docs/FORMAT.md read and written with
// cached statements, and the file-only operations (backup, vacuum, integrity check).

#include "sqlite_backend.hpp"

#include <fmt/format.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <system_error>
#include <thread>

#include <picklejar/session.hpp>

#include "backup_file.hpp"
#include "entry_rows.hpp"
#include "schema_check.hpp"

namespace picklejar::store {
namespace {

namespace fs = std::filesystem;

// The longest pause between two looks at a WAL index another process is making.
constexpr std::chrono::milliseconds kIndexPause{20};

constexpr const char* kSelectAllEntries =
    "SELECT key, pickle, protocol, digest, revision, modified_us FROM entries";

std::int64_t file_revision(Db& db) {
  auto q = db.query("SELECT value FROM meta WHERE name = 'revision'");
  return q->step() ? q->column_int(0) : -1;
}

bool any_tombstones(Db& db) {
  auto q = db.query("SELECT EXISTS (SELECT 1 FROM tombstones)");
  return q->step() && q->column_int(0) != 0;
}

}  // namespace

// The writers' lock (write transactions only), then the SQLite transaction: destroyed in the
// other order, so the lock outlives the rollback.
class SqliteBackend::Txn final : public BackendTransaction {
 public:
  Txn(SqliteBackend& backend, TxnKind kind)
      : backend_(backend),
        lock_(kind == TxnKind::write ? std::optional(backend.writer_lock()) : std::nullopt) {
    if (kind == TxnKind::write) {
      txn_.emplace(*backend.db_, Transaction::Kind::write);
    } else {
      backend.begin_read(txn_);
    }
    backend.tombstones_checked_ = false;
  }
  void commit() override {
    txn_->commit();
    if (!lock_) backend_.check_read_stamp();  // a read without the WAL index: still one state?
    // After our own COMMIT: the data version counts it, and no other's (the lock kept other
    // writers out).
    if (lock_) backend_.seen_data_version_ = backend_.db_->data_version();
  }

 private:
  SqliteBackend& backend_;
  std::optional<FileLock> lock_;
  std::optional<Transaction> txn_;
};

std::unique_ptr<BackendTransaction> SqliteBackend::begin(TxnKind kind) {
  return std::make_unique<Txn>(*this, kind);
}

FileLock SqliteBackend::writer_lock() const {
  LockOptions lock;
  lock.shared_holders = SharedHolders::pass;
  lock.database_mode = new_file_mode_;
  return FileLock::acquire(lock_file_, LockMode::exclusive, lock_timeout_, lock);
}

void SqliteBackend::wait_for_writers() const {
  // No lock file: no writer is creating the file (a writer makes it first). Looking must not
  // leave one next to a file that is refused.
  struct stat st {};
  if (::lstat(lock_file_.c_str(), &st) != 0) return;
  try {
    (void)FileLock::acquire(lock_file_, LockMode::shared, lock_timeout_,
                            MissingLockFile::read_unlocked);
  } catch (const StoreError&) {  // cannot open it (another user's, read-only, ...): no wait
  }
}

void SqliteBackend::begin_read(std::optional<Transaction>& txn) {
  if (!unindexed_) {
    txn.emplace(*db_, Transaction::Kind::read);
    return;
  }
  // A -wal and a -shm: a writer has the file open and made its index, which SQLite reads
  // without writing. Without both, the file itself holds every commit (no writer has it open,
  // or one is just opening or closing: SQLite makes the -wal before the -shm and deletes the
  // -shm, after a full checkpoint, before the -wal), so its own pages are read. An index a
  // writer is still making (or one a crash left to recover, which only a writer can) is
  // waited for up to the lock timeout.
  const auto deadline = std::chrono::steady_clock::now() + lock_timeout_;
  for (std::chrono::milliseconds pause{1};; pause = std::min(pause * 2, kIndexPause)) {
    txn.reset();
    read_stamp_.reset();
    const FileStamp stamp = take_file_stamp(file_.file);
    const bool indexed = stamp.wal.exists && stamp.shm.exists;
    db_ = Db::open(file_, indexed ? Db::Access::read_only : Db::Access::page_one, limits_);
    db_->exec("PRAGMA query_only = 1");
    checked_schema_.reset();
    txn.emplace(*db_, Transaction::Kind::read);
    if (!indexed) {
      read_stamp_ = stamp;
      return;
    }
    try {
      // Starts the read: from here the index is held and no writer deletes it.
      auto q = db_->query("PRAGMA schema_version");
      (void)q->step();
      return;
    } catch (const SqliteError& e) {
      if (!cannot_index_wal(e.code()) || std::chrono::steady_clock::now() >= deadline) throw;
    }
    std::this_thread::sleep_for(pause);
  }
}

void SqliteBackend::check_read_stamp() const {
  if (!read_stamp_ || take_file_stamp(file_.file) == *read_stamp_) return;
  throw StoreError(name_, std::nullopt,
                   fmt::format("cannot read '{}': a writer changed it during the read, which "
                               "could not use SQLite's WAL index (this user may not write its "
                               "directory); read again",
                               name_));
}

template <class Read>
auto SqliteBackend::checked(Read&& read) -> decltype(read()) {
  if (!read_stamp_) return read();
  std::optional<decltype(read())> result;
  try {
    result.emplace(read());
  } catch (const StoreError&) {  // damage in pages a writer was changing: say that instead
    check_read_stamp();
    throw;
  }
  check_read_stamp();
  return std::move(*result);
}

std::uint64_t SqliteBackend::feed_version() {
  if (unindexed_) return take_file_stamp(file_.file).version();
  auto q = db_->query("PRAGMA data_version");
  return q->step() ? static_cast<std::uint64_t>(q->column_int(0)) : 0;
}

void SqliteBackend::check_schema_current() {
  std::int64_t cookie = 0;
  {
    auto q = db_->query("PRAGMA schema_version");
    if (!q->step()) db_->fail(SQLITE_ERROR, "no result from a pragma on");
    cookie = q->column_int(0);
  }
  if (checked_schema_ == cookie) return;
  check_schema(*db_, file_format_);
  checked_schema_ = cookie;
}

// ---- reading
// -------------------------------------------------------------------------------------

bool SqliteBackend::unchanged(std::int64_t seen, bool known, TxnKind kind) {
  return checked([&] { return unchanged_now(seen, known, kind); });
}

bool SqliteBackend::unchanged_now(std::int64_t seen, bool known, TxnKind kind) {
  // BEGIN IMMEDIATE has started reading, so the data version is current: unchanged, the file
  // (schema included) is as the session last saw it. (A deferred BEGIN reads nothing until
  // the first query.)
  if (known && kind == TxnKind::write && seen_data_version_ &&
      db_->data_version() == seen_data_version_)
    return true;
  check_schema_current();
  if (known && file_revision(*db_) == seen) {
    seen_data_version_ = db_->data_version();
    return true;
  }
  no_tombstones_ = false;  // another writer may have erased keys
  return false;
}

void SqliteBackend::caught_up() noexcept { seen_data_version_ = db_->data_version(); }

Meta SqliteBackend::read_meta() {
  return checked([&] { return store::read_meta(*db_); });
}

// Rows come in rowid order, which is key order for keys saved together (a save writes them
// sorted), so the end is the hint and building the map costs no key comparisons beyond one
// per row; other orders still insert correctly.
KeyMap<EntryPtr> SqliteBackend::read_all_entries() {
  return checked([&] {
    KeyMap<EntryPtr> all;
    auto q = db_->query(kSelectAllEntries);
    while (q->step()) {
      const std::string_view key = row_key(*q, 0, "entries", name_);
      all.emplace_hint(all.end(), key, read_entry(*q, key, name_));
    }
    return all;
  });
}

std::vector<std::pair<std::string, EntryPtr>> SqliteBackend::read_entries_since(
    std::int64_t since) {
  return checked([&] {
    std::vector<std::pair<std::string, EntryPtr>> changed;
    auto q = db_->query(since == 0 ? kSelectAllEntries
                                   : "SELECT key, pickle, protocol, digest, revision, "
                                     "modified_us FROM entries WHERE revision > ?1");
    if (since != 0) q->bind(1, since);
    while (q->step()) {
      const std::string_view key = row_key(*q, 0, "entries", name_);
      changed.emplace_back(std::string(key), read_entry(*q, key, name_));
    }
    return changed;
  });
}

std::vector<std::string> SqliteBackend::read_erased_since(std::int64_t since) {
  return checked([&] {
    std::vector<std::string> erased;
    auto q = db_->query("SELECT key FROM tombstones WHERE revision > ?1");
    q->bind(1, since);
    while (q->step()) erased.emplace_back(row_key(*q, 0, "tombstones", name_));
    return erased;
  });
}

std::vector<std::string> SqliteBackend::read_keys() {
  return checked([&] {
    std::vector<std::string> keys;
    auto q = db_->query("SELECT key FROM entries");
    while (q->step()) keys.emplace_back(row_key(*q, 0, "entries", name_));
    return keys;
  });
}

// ---- writing one revision
// ------------------------------------------------------------------------

bool SqliteBackend::may_have_tombstones() {
  if (!tombstones_checked_ && !no_tombstones_) no_tombstones_ = !any_tombstones(*db_);
  tombstones_checked_ = true;
  return !no_tombstones_;
}

void SqliteBackend::put_entry(const std::string& key, const Entry& entry, std::int64_t revision,
                              std::int64_t now) {
  const bool tombstones = may_have_tombstones();  // which a set key must lose
  db_->query(
         "INSERT INTO entries (key, pickle, protocol, digest, revision, modified_us) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (key) DO UPDATE SET "
         "pickle = excluded.pickle, protocol = excluded.protocol, digest = excluded.digest, "
         "revision = excluded.revision, modified_us = excluded.modified_us")
      ->bind_text(1, key)
      .bind_blob(2, entry.pickle)
      .bind(3, entry.protocol)
      .bind_blob(4, entry.digest.view())
      .bind(5, revision)
      .bind(6, now)
      .run();
  if (tombstones) db_->query("DELETE FROM tombstones WHERE key = ?1")->bind_text(1, key).run();
}

void SqliteBackend::erase_entry(const std::string& key, std::int64_t revision) {
  (void)may_have_tombstones();
  db_->query("DELETE FROM entries WHERE key = ?1")->bind_text(1, key).run();
  if (db_->changes() == 0) return;  // nothing there: nobody needs to hear of it
  db_->query("INSERT OR REPLACE INTO tombstones (key, revision) VALUES (?1, ?2)")
      ->bind_text(1, key)
      .bind(2, revision)
      .run();
  no_tombstones_ = false;
}

std::int64_t SqliteBackend::purge_tombstones(std::int64_t revision, std::int64_t purged) {
  // Nothing to purge without tombstones: purged_revision only moves when some were deleted.
  if (!may_have_tombstones()) return purged;
  const std::int64_t limit = revision - kTombstoneRetention;
  if (limit <= purged) return purged;
  db_->query("DELETE FROM tombstones WHERE revision <= ?1")->bind(1, limit).run();
  return db_->changes() == 0 ? purged : limit;
}

void SqliteBackend::write_meta(const Meta& before, const Meta& after) {
  db_->query(
         "UPDATE meta SET value = CASE name WHEN 'revision' THEN ?1 ELSE ?2 END "
         "WHERE name IN ('revision', 'modified_us')")
      ->bind(1, after.revision)
      .bind(2, after.modified_us)
      .run();
  const auto integer = [this](std::string_view name, std::int64_t was, std::int64_t now) {
    if (was != now) store::write_meta(*db_, name, now);
  };
  const auto text = [this](std::string_view name, const std::string& was, const std::string& now) {
    if (was != now) store::write_meta(*db_, name, now);
  };
  integer("purged_revision", before.purged_revision, after.purged_revision);
  integer("app_schema_version", before.app_schema_version, after.app_schema_version);
  integer("default_protocol", before.default_protocol, after.default_protocol);
  text("writer_name", before.writer_name, after.writer_name);
  text("writer_version", before.writer_version, after.writer_version);
  text("writer_app", before.writer_app, after.writer_app);
  text("integrity_scheme", before.integrity_scheme, after.integrity_scheme);
  if (before.key_id != after.key_id) {
    if (after.key_id) {
      store::write_meta(*db_, "key_id", *after.key_id);
    } else {
      db_->query("INSERT OR REPLACE INTO meta (name, value) VALUES ('key_id', NULL)")->run();
    }
  }
  if (before.file_id != after.file_id && after.file_id)  // a copy took its source's id
    store::write_meta(*db_, "file_id", file_id_hex(*after.file_id));
}

// ---- the whole file
// ------------------------------------------------------------------------------

void SqliteBackend::describe(SessionFileInfo& info, bool in_transaction) {
  info.journal_mode = journal_mode_;
  info.synchronous = synchronous_;
  std::optional<Transaction> txn;
  if (!in_transaction) {  // transact() and migrations have a write transaction open
    begin_read(txn);
    check_schema_current();
  }
  {
    auto q = db_->query("SELECT count(*), coalesce(sum(length(pickle)), 0) FROM entries");
    if (q->step()) {
      info.entries = q->column_int(0);
      info.pickle_bytes = q->column_int(1);
    }
  }
  const auto pragma = [this](const char* sql) {
    auto q = db_->query(sql);
    return q->step() ? q->column_int(0) : 0;
  };
  info.page_size = pragma("PRAGMA page_size");
  info.file_bytes = pragma("PRAGMA page_count") * info.page_size;
  info.free_pages = pragma("PRAGMA freelist_count");
  if (txn) txn->commit();
  if (txn) check_read_stamp();
  std::error_code error;
  fs::path wal_file = file_.file;
  wal_file += "-wal";
  const std::uintmax_t wal = fs::file_size(wal_file, error);
  info.wal_bytes = error ? 0 : static_cast<std::int64_t>(wal);
}

std::vector<std::string> SqliteBackend::check_database(bool in_transaction) {
  // Inside transact() the write transaction is open already.
  std::optional<Transaction> txn;
  if (!in_transaction) {
    begin_read(txn);
    check_schema_current();  // the check evaluates the schema's constraints and indexes
  }
  std::vector<std::string> problems;
  {
    auto q = db_->query("PRAGMA integrity_check");
    while (q->step())
      if (q->column_text(0) != "ok") problems.emplace_back(q->column_text(0));
  }
  if (txn) txn->commit();
  if (txn) check_read_stamp();
  return problems;
}

// VACUUM INTO copies the schema and builds its indexes with no time limit, so the schema is
// checked on this connection first: another program may have changed it since the open.
BackupInfo SqliteBackend::copy_checked(const fs::path& out, const Signer& signer) {
  {
    std::optional<Transaction> txn;
    begin_read(txn);
    check_schema_current();
    txn->commit();
  }
  // A copy read while a writer changed the file may mix two states: not published then.
  return write_backup(*db_, path_, out, signer, limits_, [this] { check_read_stamp(); });
}

// `out` must not be the session's own file or one SQLite or the lock protocol keeps beside it,
// and must not look like a database in use (renaming over one would corrupt it).
BackupInfo SqliteBackend::backup_to(const fs::path& out, const Signer& signer) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal", ".lock"}) {
    std::error_code error;
    if (fs::equivalent(out, name_ + suffix, error))
      throw StoreError(name_, std::nullopt,
                       fmt::format("cannot back up '{}' to '{}': that is the session's own file",
                                   name_, out.string()));
  }
  std::error_code error;
  if (fs::exists(out.string() + "-wal", error))
    throw StoreError(name_, std::nullopt,
                     fmt::format("cannot back up '{}' to '{}': '{}-wal' exists, so a program may "
                                 "have it open as a database; choose another name",
                                 name_, out.string(), out.string()));
  return copy_checked(out, signer);  // one read transaction: no lock file, as every reader
}

void SqliteBackend::vacuum() {
  const FileLock held = writer_lock();
  // VACUUM rebuilds every table and index (evaluating index expressions) with no time limit:
  // the schema, which another program may have changed since the open, is checked first.
  {
    Transaction txn(*db_, Transaction::Kind::read);
    check_schema_current();
    txn.commit();
  }
  db_->exec_unlimited("VACUUM");
  // VACUUM wrote the new file into the WAL; the checkpoint moves it into the file, which
  // shrinks, and TRUNCATE gives back the WAL's space (if a reader in another process still
  // uses an older snapshot, the checkpoint stops short and a later one finishes).
  if (journal_mode_ == "wal") db_->exec_unlimited("PRAGMA wal_checkpoint(TRUNCATE)");
}

FileContents read_session_file(const fs::path& file, const DbLimits& limits,
                               const std::function<void(const Inspection&)>& check) {
  const std::string name = file.string();
  const auto db = Db::open(file, Db::Access::read_only, limits);
  FileContents contents{inspect(*db), {}};
  check(contents.found);
  Transaction txn(*db, Transaction::Kind::read);
  auto q = db->query(kSelectAllEntries);
  while (q->step()) {
    std::string key(row_key(*q, 0, "entries", name));
    EntryPtr entry = read_entry(*q, key, name);  // checks every column's type
    contents.entries.emplace_back(std::move(key), std::move(entry));
  }
  return contents;
}

}  // namespace picklejar::store
