#pragma once
// The session file backend (internal): one SQLite file, its sidecar lock file for writers
// (docs/FORMAT.md "Lock protocol"), PRAGMA data_version and inotify for change notification.
//   sqlite_backend.cpp  reading, writing one revision, the whole file
//   open.cpp            opening: inspection, the open plan, creation, upgrade, journal mode

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../backend.hpp"
#include "file_lock.hpp"
#include "file_name.hpp"
#include "file_stamp.hpp"
#include "format.hpp"
#include "sqlite.hpp"

namespace picklejar::store {

// What a session's connections let a file cost (docs/FORMAT.md "Hardening").
inline DbLimits db_limits(const SessionOptions& options) {
  return {options.lock_timeout, options.decode.limits.max_input_bytes};
}

class SqliteBackend final : public Backend {
 public:
  SqliteBackend(const OpenRequest& request);

  // Opens the session file `request.path` (docs/FORMAT.md "Opening a file"): creates,
  // upgrades and backs it up as the options ask, and refuses what must be refused.
  static std::pair<std::unique_ptr<SqliteBackend>, OpenPlan> open(const OpenRequest& request);

  std::unique_ptr<BackendTransaction> begin(TxnKind kind) override;
  bool unchanged(std::int64_t seen, bool known, TxnKind kind) override;
  void caught_up() noexcept override;
  Meta read_meta() override;
  KeyMap<EntryPtr> read_all_entries() override;
  std::vector<std::pair<std::string, EntryPtr>> read_entries_since(std::int64_t since) override;
  std::vector<std::string> read_erased_since(std::int64_t since) override;
  std::vector<std::string> read_keys() override;
  void put_entry(const std::string& key, const Entry& entry, std::int64_t revision,
                 std::int64_t now) override;
  void erase_entry(const std::string& key, std::int64_t revision) override;
  std::int64_t purge_tombstones(std::int64_t revision, std::int64_t purged) override;
  void write_meta(const Meta& before, const Meta& after) override;
  ChangeFeed& feed() override { return *feed_; }
  void ready() override;
  void describe(SessionFileInfo& info, bool in_transaction) override;
  std::vector<std::string> check_database(bool in_transaction) override;
  BackupInfo backup_to(const std::filesystem::path& out, const Signer& signer) override;
  void vacuum() override;
  void close() override { db_->close(); }
  void abandon() noexcept override {
    if (db_) db_->abandon();
  }

 private:
  friend class SqliteOpen;
  class Txn;
  // The writers' lock (exclusive), within the lock timeout. It passes other processes' shared
  // locks (older picklejar readers, or another user holding the lock file): SQLite's write
  // lock, which every write transaction takes next, is what keeps writers apart.
  FileLock writer_lock() const;
  // For a reader about to refuse a file that a writer may be creating: waits (up to the lock
  // timeout) until no writer holds the lock file. Best effort.
  void wait_for_writers() const;
  // Inside a transaction, before anything else is read: checks the schema (schema_check.hpp)
  // on the first transaction and whenever another connection changed it.
  void check_schema_current();
  bool unchanged_now(std::int64_t seen, bool known, TxnKind kind);
  // Whether the file may hold tombstones, asked once per write transaction.
  bool may_have_tombstones();
  // Begins a read transaction in `txn`: on the session's connection, or, reading a file it
  // cannot index (`unindexed_`), on a new one: immutable=1 and stamped while no -wal exists.
  void begin_read(std::optional<Transaction>& txn);
  // After an immutable read: StoreError when a writer changed the file or made a -wal since
  // the read began (what was read may mix two states).
  void check_read_stamp() const;
  // `read()`, checked as above when immutable; a failure of a read the file changed under
  // is reported as that change.
  template <class Read>
  auto checked(Read&& read) -> decltype(read());
  // What the change feed compares: PRAGMA data_version, or the file's stamp when unindexed.
  std::uint64_t feed_version();
  // A consistent, checked copy of the file (one read transaction of its own).
  BackupInfo copy_checked(const std::filesystem::path& out, const Signer& signer);
  // Before anything else is written by the open (SessionOptions::keep_backups).
  void automatic_backup(const Meta& found, const Signer& signer);

  std::filesystem::path path_;
  std::string name_;                 // as shown
  store::FileName file_;             // what `path_` names (file_name.hpp)
  std::filesystem::path lock_file_;  // file_.lock_file(), made once
  mode_t new_file_mode_;             // options.file_mode, or default_file_mode()
  bool read_only_;
  std::chrono::milliseconds lock_timeout_;
  Durability durability_;
  FilesystemCheck filesystem_;
  DbLimits limits_;
  std::size_t keep_backups_;
  std::filesystem::path backup_directory_;
  std::unique_ptr<Db> db_;
  std::string journal_mode_;
  std::string synchronous_;
  // The file's format version: the schema check holds the file to its objects.
  std::int64_t file_format_ = kFormatVersion;
  // PRAGMA schema_version when `db_` last checked the schema; empty before its first
  // transaction. SQLite reads the schema again only when this cookie changes.
  std::optional<std::int64_t> checked_schema_;
  // The connection's data version when the session was last current: inside a write
  // transaction an unchanged data version means nothing to refresh, without reading the meta
  // revision.
  std::optional<std::uint32_t> seen_data_version_;
  // True when the file was known to hold no tombstones at the session's revision: a save then
  // needs neither to look for a set key's tombstone nor to purge.
  bool no_tombstones_ = false;
  bool tombstones_checked_ = false;  // in this write transaction
  // A read-only session of a WAL-mode file in a directory it may not write, so that it cannot
  // make the -shm index once the last writer deleted it: every read transaction opens its own
  // connection.
  bool unindexed_ = false;
  std::optional<FileStamp> read_stamp_;  // when the current read is immutable: its start
  std::unique_ptr<ChangeFeed> feed_;     // uses `db_`: declared after it, destroyed before it
};

// SQLite's feed for the session file `path`: version() is `version` (PRAGMA data_version of
// the session's connection, or the file's stamp); wait() blocks on inotify events
// of the file, its -wal and its -journal (Linux), or polls version() with a growing pause when
// `poll_only` (a network file system, where inotify sees no other machine's writes) or when
// inotify is not available. Throws StoreError when the wake pipe cannot be made.
std::unique_ptr<ChangeFeed> sqlite_change_feed(std::function<std::uint64_t()> version,
                                               const std::filesystem::path& path, bool poll_only);

// Every object in the schema of the session file at `path` that docs/FORMAT.md does not allow.
std::vector<std::string> sqlite_schema_problems(const std::filesystem::path& path,
                                                const SessionOptions& options);

// Every entry of the session file `file` (a backup to restore), each row checked, with its
// inspection (FormatError for anything but a session file), which `check` sees first.
struct FileContents {
  Inspection found;
  std::vector<std::pair<std::string, EntryPtr>> entries;
};
FileContents read_session_file(const std::filesystem::path& file, const DbLimits& limits,
                               const std::function<void(const Inspection&)>& check);

}  // namespace picklejar::store
